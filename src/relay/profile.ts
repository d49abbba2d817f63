import { checkAttributes, checkId, isPlainObject, type Attributes } from '../core/validate';

/** One broken rule, as the relay's 422 lists it (SPEC §6). */
export type FieldError = { field: string; message: string };

/** What a body asks for, checked: the profile to forward, or why not (400: not the form; 422: broken rules). */
export type Checked =
  | { id: string; attributes: Attributes }
  | { status: 400; message: string }
  | { status: 422; errors: FieldError[] };

/**
 * Parses a body and applies the snippet's own rules to it (`src/core/validate.ts`:
 * SPEC §1 rules 1–3, §2's id rule, at most 50 custom attributes), plus the
 * relay's identity rule: a digits-only id (a Shopify customer id) only for
 * `customerId`, the signed `logged_in_customer_id` ('' when unsigned or a
 * guest). The type lock (rule 5) is the browser's and the server's: the
 * relay keeps no state.
 */
export const checkProfile = (text: string, customerId: string): Checked => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { status: 400, message: 'body: not valid JSON' };
  }
  if (!isPlainObject(json)) return { status: 400, message: 'body: must be a JSON object {"id", "attributes"}' };
  const { id, attributes, ...other } = json as Record<string, unknown>;
  const unknown = Object.keys(other);
  if (unknown.length) return { status: 400, message: `body: unknown field "${unknown[0]}"; it holds only "id" and "attributes"` };
  if (attributes != null && !isPlainObject(attributes)) return { status: 400, message: 'attributes: must be a JSON object' };

  const errors: FieldError[] = [];
  const idErrors: string[] = [];
  const checkedId = checkId(id, idErrors);
  for (const message of idErrors) errors.push({ field: 'id', message });
  if (/^\d+$/.test(checkedId) && checkedId != customerId) {
    errors.push({
      field: 'id',
      message:
        'id: digits only is a Shopify customer id, accepted only from that customer signed in through the App Proxy; ' +
        'write a phone id in E.164 with its "+"',
    });
  }

  const source = (attributes ?? {}) as Record<string, unknown>;
  const attributeErrors: string[] = [];
  const [accepted] = checkAttributes([source], () => undefined, [], attributeErrors);
  // checkAttributes names each refused attribute once, in key order: pair
  // its messages with the names it did not accept.
  const refused = Object.keys(source).filter((name) => source[name] !== undefined && !(name in accepted));
  refused.forEach((name, i) => errors.push({ field: `attributes.${name}`, message: attributeErrors[i] }));

  return errors.length ? { status: 422, errors } : { id: checkedId, attributes: accepted };
};
