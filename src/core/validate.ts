/** A value the server accepts, after Dates became ISO strings. */
export type Value = string | number | boolean;
export type Attributes = Record<string, Value>;
/** The type the server locks for a name. */
export type Kind = 'string' | 'number' | 'boolean' | 'date';
/** Attribute names of the rules: shorter than 50 (rule 1), at most 50 per profile (rule 4). */
const MAX_NAME = 49;
export const MAX_CUSTOM = 50;
const MAX_ID = 40;

/** The server's type for a value, or '' when the server refuses it (rule 3). */
export const kindOf = (v: unknown): Kind | '' => {
  const type = typeof v;
  // A Date travels as the ISO string toISOString() prints; the server reads
  // such a string as a date, so the type lock must too.
  return type == 'string'
    ? /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z$/.test(v as string) ? 'date' : type
    : type == 'boolean' || (type == 'number' && isFinite(v as number))
      ? type
      : v instanceof Date && isFinite(v as any) ? 'date' : '';
};

/** A customer id as sent: trimmed, `gid://shopify/Customer/` stripped, numbers as strings; '' for none. */
export const toId = (v: unknown): string =>
  typeof v == 'string' || kindOf(v) == 'number' ? ('' + v).trim().replace(/^gid:\/\/shopify\/Customer\//, '') : '';

/**
 * Checks an id (explicit, or the logged-in customer's when none was given):
 * '' with an error pushed when there is none or it breaks the rule. The
 * error says which it is, so a theme developer knows what to fix: `none`
 * says why there is none (the theme: no logged-in customer to default to).
 */
export const checkId = (v: unknown, errors: string[], none = 'none'): string => {
  const id = toId(v);
  if (id && !id[MAX_ID]) return id; // no 41st character
  errors.push(
    'id: ' +
      (id
        ? 'over 40 chars'
        : v == null
          ? none
          : typeof v == 'object'
            ? 'an object where the id belongs' // identify({ email }): the id forgotten
            : typeof v == 'string'
              ? 'empty'
              : 'not a string or finite number'),
  );
  return '';
};

/** True for `{}` and `Object.create(null)`: not arrays, Dates, Maps or class instances. */
export const isPlainObject = (v: unknown): v is object => {
  // 1 for what is not an object: neither a null prototype nor Object's.
  const proto = v && typeof v == 'object' ? Object.getPrototypeOf(v) : 1;
  return !proto || proto == Object.prototype;
};

/**
 * Applies SPEC §1 to one call's attributes, from `sources` in order (a later
 * source's value wins). `lockOf` answers the type a name is locked to
 * store-wide (rule 5); `counted` lists the custom names already counted for
 * this id (rule 4). Nothing is changed: the caller commits what this
 * returns once it keeps the call. Each rejected attribute adds one error
 * naming it and the rule. Returns the accepted attributes in a
 * null-prototype object (so a `__proto__` name is plain data), the names
 * whose type this call locks, and the custom names it adds to the count.
 * A getter that throws is left to the caller's catch.
 */
export const checkAttributes = (
  sources: object[],
  lockOf: (name: string) => Kind | false | undefined,
  counted: string[],
  errors: string[],
): [Attributes, Record<string, Kind>, string[]] => {
  const accepted: Attributes = Object.create(null);
  const locks: Record<string, Kind> = Object.create(null);
  const added: string[] = [];
  for (const source of sources) {
    for (const name of Object.keys(source)) {
      const value = (source as Record<string, unknown>)[name];
      if (value === undefined) continue; // as JSON.stringify does
      const kind = kindOf(value);
      // A custom name not counted yet (reserved names, SPEC §1, are not custom).
      // Three lookups, not one merged array: that would copy up to 53 names
      // per attribute on every identify and send, to save one byte.
      const isNew = ['name', 'email', 'mobile'].indexOf(name) < 0 && counted.indexOf(name) < 0 && added.indexOf(name) < 0;
      const locked = locks[name] || lockOf(name);
      // Empty, or a 50th character. (Reserved names are short: no need to
      // except them from the length rule.)
      const rule = !name || name[MAX_NAME]
        ? 'name not 1-49 chars'
        : !kind
          ? typeof value == 'number'
            ? 'not a finite number' // NaN, Infinity
            : value instanceof Date
              ? 'an invalid Date' // new Date('nope')
              : 'not string/number/boolean/Date'
          : locked && locked != kind
            ? 'type locked to ' + locked
            : isNew && counted.length + added.length >= MAX_CUSTOM
              ? 'over 50 custom attributes'
              : '';
      if (rule) {
        errors.push(`"${name}": ${rule}`);
      } else {
        if (isNew) added.push(name);
        if (!locked) locks[name] = kind as Kind;
        accepted[name] = (value as any).toISOString?.() ?? value; // a Date, the one accepted value with toISOString
      }
    }
  }
  return [accepted, locks, added];
};
