import { describe, expect, it } from 'vitest';
import { checkAttributes, checkId, isPlainObject, kindOf, toId, type Kind } from '../../src/core/validate';

// `types` stands for the store-wide lock: checkAttributes only reads it and
// answers what the call would lock and count; the caller commits.
const check = (attributes: object, types: Record<string, Kind> = Object.create(null), names: string[] = []) => {
  const errors: string[] = [];
  const [accepted, locks, added] = checkAttributes([attributes], (name) => types[name], names, errors);
  return { accepted: { ...accepted }, errors, locks: { ...locks }, added };
};

describe('kindOf (rule 3: String, Number, Boolean or Date)', () => {
  it.each([
    ['text', 'string'],
    ['', 'string'],
    [0, 'number'],
    [-1.5, 'number'],
    [true, 'boolean'],
    [new Date(0), 'date'],
    ['2024-05-01T10:00:00.000Z', 'date'],
    ['2024-05-01T10:00:00Z', 'date'],
    ['2024-05-01', 'string'],
    [NaN, ''],
    [Infinity, ''],
    [null, ''],
    [{}, ''],
    [[], ''],
    [() => 1, ''],
    [Symbol('s'), ''],
    [10n, ''],
    [new Date(NaN), ''],
  ])('%s is %s', (value, kind) => expect(kindOf(value)).toBe(kind));
});

describe('ids', () => {
  it.each([
    ['cust-42', 'cust-42'],
    ['  padded  ', 'padded'],
    [42, '42'],
    [6713034932445, '6713034932445'],
    ['gid://shopify/Customer/123', '123'],
    ['x'.repeat(40), 'x'.repeat(40)],
  ])('%s is sent as %s', (id, sent) => {
    const errors: string[] = [];
    expect(checkId(id, errors)).toBe(sent);
    expect(errors).toEqual([]);
  });

  // Each refusal says which rule, so the theme developer knows what to fix (issue 17, item 3).
  it.each([
    ['', 'id: empty'],
    ['   ', 'id: empty'],
    ['gid://shopify/Customer/', 'id: empty'],
    ['x'.repeat(41), 'id: over 40 chars'],
    [undefined, 'id: none'],
    [null, 'id: none'],
    [NaN, 'id: not a string or finite number'],
    [Infinity, 'id: not a string or finite number'],
    [true, 'id: not a string or finite number'],
    [Symbol('s'), 'id: not a string or finite number'],
    [{ email: 'a@b.c' }, 'id: an object where the id belongs'],
    [[], 'id: an object where the id belongs'],
  ])('%s is refused with its rule', (id, message) => {
    const errors: string[] = [];
    expect(checkId(id, errors)).toBe('');
    expect(errors).toEqual([message]);
  });

  it('says why there is no id when the caller knows (the theme: no logged-in customer)', () => {
    const errors: string[] = [];
    expect(checkId(undefined, errors, 'why')).toBe('');
    expect(errors).toEqual(['id: why']);
  });

  it('toId strips the gid prefix only at the start', () => {
    expect(toId('x-gid://shopify/Customer/1')).toBe('x-gid://shopify/Customer/1');
  });
});

describe('isPlainObject', () => {
  it('accepts object literals and null-prototype objects only', () => {
    expect(isPlainObject({})).toBe(true);
    expect(isPlainObject(Object.create(null))).toBe(true);
    for (const v of [[], new Date(), new Map(), new (class A {})(), 'x', null, undefined, 1]) expect(isPlainObject(v)).toBe(false);
  });
});

describe('checkAttributes', () => {
  it('accepts each type and sends Dates as ISO strings', () => {
    const { accepted, errors } = check({ plan: 'pro', orders: 3, vip: true, since: new Date('2024-01-02T03:04:05.006Z') });
    expect(errors).toEqual([]);
    expect(accepted).toEqual({ plan: 'pro', orders: 3, vip: true, since: '2024-01-02T03:04:05.006Z' });
  });

  it('skips undefined silently, as JSON does', () => {
    const { accepted, errors } = check({ a: undefined, b: 1 });
    expect(accepted).toEqual({ b: 1 });
    expect(errors).toEqual([]);
  });

  it('rule 1: names shorter than 50 characters, non-empty; each error names the attribute', () => {
    const { accepted, errors } = check({ ['n'.repeat(49)]: 1, ['m'.repeat(50)]: 1, '': 1 });
    expect(Object.keys(accepted)).toEqual(['n'.repeat(49)]);
    expect(errors).toEqual([`"${'m'.repeat(50)}": name not 1-49 chars`, '"": name not 1-49 chars']);
  });

  it('rule 2: names are case-sensitive', () => {
    const { accepted, errors } = check({ Plan: 'a', plan: 1 });
    expect(accepted).toEqual({ Plan: 'a', plan: 1 });
    expect(errors).toEqual([]);
  });

  it('rule 3: other values are refused, the rest kept', () => {
    const { accepted, errors } = check({ ok: 1, nul: null, obj: {}, arr: [1], fn: () => 1, big: 1n });
    expect(accepted).toEqual({ ok: 1 });
    expect(errors).toHaveLength(5);
    for (const e of errors) expect(e).toMatch(/^"(nul|obj|arr|fn|big)": not string\/number\/boolean\/Date$/);
  });

  it('rule 3: a number that is not finite and an invalid Date are named as such', () => {
    const { accepted, errors } = check({ ok: 1, nan: NaN, inf: Infinity, neg: -Infinity, day: new Date('nope') });
    expect(accepted).toEqual({ ok: 1 });
    expect(errors).toEqual([
      '"nan": not a finite number',
      '"inf": not a finite number',
      '"neg": not a finite number',
      '"day": an invalid Date',
    ]);
  });

  it('has no length limit of its own on values: the server has none (SPEC §1)', () => {
    const long = 'x'.repeat(100 * 1024);
    const { accepted, errors } = check({ a: long });
    expect(errors).toEqual([]);
    expect(accepted.a).toBe(long);
  });

  it('rule 4: at most 50 custom attributes per profile, counting earlier calls; reserved ones do not count', () => {
    const names = Array.from({ length: 48 }, (_, i) => 'old' + i);
    const { accepted, errors, added } = check({ old0: 'again', a: 1, b: 2, c: 3, name: 'Ada', email: 'a@b.c', mobile: '1' }, undefined, names);
    expect(Object.keys(accepted)).toEqual(['old0', 'a', 'b', 'name', 'email', 'mobile']);
    expect(errors).toEqual(['"c": over 50 custom attributes']);
    expect(added).toEqual(['a', 'b']);
    expect(names).toHaveLength(48); // the caller commits
  });

  it('rule 4 within one call: a name given twice counts once', () => {
    const names = Array.from({ length: 49 }, (_, i) => 'old' + i);
    const errors: string[] = [];
    const [, , added] = checkAttributes([{ a: 1 }, { a: 2, b: 3 }], () => undefined, names, errors);
    expect(added).toEqual(['a']);
    expect(errors).toEqual(['"b": over 50 custom attributes']);
  });

  it('rule 5: a name keeps its first type, store-wide; Date is its own type', () => {
    const first = check({ n: 1, d: new Date(0), s: 'x' });
    expect(first.locks).toEqual({ n: 'number', d: 'date', s: 'string' });
    const types: Record<string, Kind> = first.locks;
    const again = check({ n: '1', d: 'yesterday', s: new Date(0) }, types);
    expect(again.accepted).toEqual({});
    expect(again.errors).toEqual(['"n": type locked to number', '"d": type locked to date', '"s": type locked to string']);
    expect(check({ n: 2 }, types).locks).toEqual({});
  });

  it('rule 5 within one call: the first accepted value locks the name for the later sources', () => {
    const errors: string[] = [];
    const [accepted, locks] = checkAttributes([{ x: 1 }, { x: 'one' }], () => undefined, [], errors);
    expect({ ...accepted }).toEqual({ x: 1 });
    expect({ ...locks }).toEqual({ x: 'number' });
    expect(errors).toEqual(['"x": type locked to number']);
  });

  it('later sources win and reserved fields are validated too', () => {
    const errors: string[] = [];
    const [accepted] = checkAttributes([{ email: 'shop@x.y', name: 'Shop' }, { email: 'caller@x.y' }], () => undefined, [], errors);
    expect({ ...accepted }).toEqual({ email: 'caller@x.y', name: 'Shop' });
  });

  it('keeps __proto__ as plain data and pollutes nothing', () => {
    const { accepted, errors } = check(JSON.parse('{"__proto__": {"polluted": 1}, "x": 1}'));
    expect(errors).toEqual(['"__proto__": not string/number/boolean/Date']);
    const ok = checkAttributes([JSON.parse('{"__proto__": "data"}')], () => undefined, [], []);
    expect(Object.keys(ok[0])).toEqual(['__proto__']);
    expect(({} as any).polluted).toBeUndefined();
    expect(accepted).toEqual({ x: 1 });
  });
});
