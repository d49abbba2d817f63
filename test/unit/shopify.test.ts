// The Shopify context mapping (SPEC §4; issue 4): which customer a storefront
// page names, from the `customer` init option and the globals that
// `{{ content_for_header }}` prints, over the real-world shapes of those
// globals (../shared/notes/shopify-storefront-data.md), plus the fingerprint
// auto-identify keeps instead of a copy of the customer's PII.
import { describe, expect, test } from 'vitest';
import { hash as fingerprint } from '../../src/core/record';
import { findCustomer, type Customer } from '../../src/theme/shopify';

const CID = 6713034932445; // a real storefront's customer id: a JSON number below 2^53
const CID_S = String(CID);

// ------------------------------------------------------------ global shapes

/** `__st` and `ShopifyAnalytics.meta` of a guest on a product page (live HTML, reduced). */
const guestProduct = () => ({
  __st: { a: 72251900215, offset: 28800, reqid: '858cfed9', pageurl: 'brilliant.xyz/products/halo', u: 'be34fdd690c1', p: 'product', rtyp: 'product', rid: 10217206972727 },
  ShopifyAnalytics: {
    meta: {
      currency: 'USD',
      product: { id: 10217206972727, vendor: 'Brilliant Labs', variants: [] },
      page: { pageType: 'product', resourceType: 'product', resourceId: 10217206972727, requestId: '858cfed9' },
    },
  },
});

/** A logged-in customer on a product page: both globals carry the id as a number. */
const loggedInProduct = (cid: unknown = CID, stCid: unknown = cid) => {
  const w: any = guestProduct();
  w.__st.cid = stCid;
  w.ShopifyAnalytics.meta.page.customerId = cid;
  return w;
};

/** A logged-in customer on /account/addresses: `meta.page = {customerId}`, no pageType, no `p`. */
const accountPage = (cid: unknown = CID, stCid: unknown = cid) => ({
  __st: { a: 63748341981, offset: 19800, reqid: '9a7fd838', pageurl: 'peachmode.com/account/addresses', u: '00132fc920a8', cid: stCid },
  ShopifyAnalytics: { meta: { currency: 'INR', page: { customerId: cid } }, lib: { page() {} } },
});

/** Only one of the two globals, the other one absent. */
const stOnly = (cid: unknown) => ({ __st: { a: 1, pageurl: 'x.myshopify.com/', cid } });
const metaOnly = (cid: unknown) => ({ ShopifyAnalytics: { meta: { page: { customerId: cid } } } });

const throwing = (name: string, extra: object = {}) => {
  const w: any = { ...extra };
  Object.defineProperty(w, name, {
    get() {
      throw new Error('a theme getter that throws');
    },
    enumerable: true,
  });
  return w;
};

type Row = {
  name: string;
  win: any;
  option?: Customer | null;
  useGlobals?: boolean;
  /** undefined: a guest (no customer). */
  id: string | undefined;
  /** the reserved fields expected; omitted: not checked. */
  fields?: Record<string, string>;
};

describe('findCustomer(win, option, useGlobals): the globals alone', () => {
  const rows: Row[] = [
    { name: 'guest on a product page (no customerId, no cid)', win: guestProduct(), id: undefined },
    { name: 'guest on the home page', win: { __st: { a: 1, p: 'home' }, ShopifyAnalytics: { meta: { page: { pageType: 'home' } } } }, id: undefined },
    { name: 'logged in on a product page (numbers)', win: loggedInProduct(), id: CID_S, fields: {} },
    { name: 'account page: meta.page has customerId and no pageType', win: accountPage(), id: CID_S, fields: {} },
    { name: 'account page, meta.page.customerId only (no __st)', win: { ShopifyAnalytics: accountPage().ShopifyAnalytics }, id: CID_S },
    { name: 'numeric id', win: metaOnly(123), id: '123' },
    { name: 'string id', win: metaOnly('123'), id: '123' },
    { name: 'string id with whitespace is trimmed', win: metaOnly('  123 '), id: '123' },
    { name: 'gid://shopify/Customer/123 (Hydrogen / headless)', win: metaOnly('gid://shopify/Customer/123'), id: '123' },
    { name: 'gid in __st.cid', win: stOnly('gid://shopify/Customer/987'), id: '987' },
    { name: 'large numeric id stays exact', win: metaOnly(9007199254740991), id: '9007199254740991' },
    { name: 'customerId 0 names no one', win: metaOnly(0), id: undefined },
    { name: "customerId '' names no one", win: metaOnly(''), id: undefined },
    { name: 'customerId null names no one', win: metaOnly(null), id: undefined },
    { name: 'customerId undefined names no one', win: metaOnly(undefined), id: undefined },
    { name: 'customerId NaN names no one', win: metaOnly(NaN), id: undefined },
    { name: 'customerId Infinity names no one', win: metaOnly(Infinity), id: undefined },
    { name: 'customerId -Infinity names no one', win: metaOnly(-Infinity), id: undefined },
    { name: "customerId '   ' names no one", win: metaOnly('   '), id: undefined },
    { name: 'customerId an object names no one', win: metaOnly({ id: 5 }), id: undefined },
    { name: 'customerId an array names no one', win: metaOnly([5]), id: undefined },
    { name: 'customerId true names no one', win: metaOnly(true), id: undefined },
    { name: 'customerId 0 falls back to __st.cid', win: loggedInProduct(0, 555), id: '555' },
    { name: "customerId '' falls back to __st.cid", win: loggedInProduct('', 555), id: '555' },
    { name: 'customerId null falls back to __st.cid', win: loggedInProduct(null, 555), id: '555' },
    { name: 'customerId NaN falls back to __st.cid', win: loggedInProduct(NaN, 555), id: '555' },
    { name: 'meta.page.customerId wins over __st.cid', win: loggedInProduct(111, 222), id: '111' },
    { name: '__st only (no ShopifyAnalytics)', win: stOnly(CID), id: CID_S },
    { name: '__st only, string cid', win: stOnly(CID_S), id: CID_S },
    { name: '__st with cid 0 and no ShopifyAnalytics: a guest', win: stOnly(0), id: undefined },
    { name: 'missing ShopifyAnalytics and __st', win: {}, id: undefined },
    { name: 'ShopifyAnalytics without meta', win: { ShopifyAnalytics: {} }, id: undefined },
    { name: 'ShopifyAnalytics without meta, __st with cid', win: { ShopifyAnalytics: {}, __st: { cid: 42 } }, id: '42' },
    { name: 'meta without page', win: { ShopifyAnalytics: { meta: { currency: 'USD' } } }, id: undefined },
    { name: 'meta without page, __st with cid', win: { ShopifyAnalytics: { meta: {} }, __st: { cid: 42 } }, id: '42' },
    { name: 'ShopifyAnalytics null', win: { ShopifyAnalytics: null, __st: null }, id: undefined },
    { name: 'ShopifyAnalytics a string, __st a number', win: { ShopifyAnalytics: 'x', __st: 5 }, id: undefined },
    { name: 'meta.page null, __st with cid', win: { ShopifyAnalytics: { meta: { page: null } }, __st: { cid: 42 } }, id: '42' },
    { name: 'a ShopifyAnalytics getter that throws, nothing else', win: throwing('ShopifyAnalytics'), id: undefined },
    { name: 'an __st getter that throws, nothing else', win: throwing('__st'), id: undefined },
    { name: 'an __st getter that throws after a valid meta id', win: throwing('__st', metaOnly(77)), id: '77' },
    { name: 'a meta.page getter that throws', win: { ShopifyAnalytics: { meta: throwing('page') } }, id: undefined },
    // The search goes on past a source that names no one: a getter that throws names no one.
    { name: 'a ShopifyAnalytics getter that throws, __st.cid present', win: throwing('ShopifyAnalytics', stOnly(88)), id: '88' },
  ];

  test.each(rows)('$name', ({ win, option = null, useGlobals = true, id, fields }) => {
    let result: ReturnType<typeof findCustomer>;
    expect(() => (result = findCustomer(win, option, useGlobals))).not.toThrow();
    if (id === undefined) {
      expect(result!).toBeFalsy();
      return;
    }
    expect(result!).toBeDefined();
    expect(result![0]).toBe(id);
    expect(typeof result![0]).toBe('string');
    // The globals never carry email, name or phone: the id alone.
    expect(result![1]).toEqual(fields ?? {});
  });

  test('a null or undefined window is a guest, not a throw', () => {
    expect(() => findCustomer(null, null, true)).not.toThrow();
    expect(findCustomer(null, null, true)).toBeFalsy();
    expect(findCustomer(undefined, null, true)).toBeFalsy();
  });

  test('globals set late are read on each call, not once', () => {
    const win: any = guestProduct();
    expect(findCustomer(win, null, true)).toBeFalsy();
    win.ShopifyAnalytics.meta.page.customerId = 31;
    expect(findCustomer(win, null, true)?.[0]).toBe('31');
    delete win.ShopifyAnalytics.meta.page.customerId;
    expect(findCustomer(win, null, true)).toBeFalsy();
  });

  test('findCustomer leaves the globals as it found them', () => {
    const win = loggedInProduct();
    const before = JSON.stringify(win);
    findCustomer(win, { id: 1, email: 'a@example.com' }, true);
    findCustomer(win, null, true);
    expect(JSON.stringify(win)).toBe(before);
  });
});

describe('findCustomer: the customer option (what the Liquid snippet renders)', () => {
  const ada: Customer = { id: CID, email: 'ada@example.com', name: 'Ada Lovelace', firstName: 'Ada', lastName: 'Lovelace', phone: '+447700900123' };
  const ADA_FIELDS = { name: 'Ada Lovelace', email: 'ada@example.com', mobile: '+447700900123' };

  const rows: Row[] = [
    { name: 'a guest page: option null, no globals', win: guestProduct(), option: null, id: undefined },
    { name: 'the option alone (no globals)', win: {}, option: ada, id: CID_S, fields: ADA_FIELDS },
    { name: 'the option on a logged-in page', win: loggedInProduct(), option: ada, id: CID_S, fields: ADA_FIELDS },
    { name: "the option's id wins over the globals' ids", win: loggedInProduct(111, 222), option: { ...ada, id: 333 }, id: '333', fields: ADA_FIELDS },
    { name: 'a string option id', win: {}, option: { ...ada, id: CID_S }, id: CID_S, fields: ADA_FIELDS },
    { name: 'a gid option id is stripped', win: {}, option: { ...ada, id: `gid://shopify/Customer/${CID}` }, id: CID_S, fields: ADA_FIELDS },
    { name: 'option id null falls back to meta.page.customerId', win: loggedInProduct(111, 222), option: { ...ada, id: null }, id: '111' },
    { name: 'option id null falls back to __st.cid', win: stOnly(222), option: { ...ada, id: null }, id: '222' },
    { name: 'option id undefined falls back to the globals', win: stOnly(222), option: { email: 'x@example.com' }, id: '222' },
    { name: 'option id 0 falls back to the globals', win: metaOnly(111), option: { ...ada, id: 0 }, id: '111' },
    { name: "option id '' falls back to the globals", win: metaOnly(111), option: { ...ada, id: '' }, id: '111' },
    { name: 'option id NaN falls back to the globals', win: metaOnly(111), option: { ...ada, id: NaN as any }, id: '111' },
    { name: 'option id null and a guest page: a guest', win: guestProduct(), option: { ...ada, id: null }, id: undefined },
    // Reserved fields from the option.
    { name: 'name from name', win: {}, option: { id: 1, name: 'Ada Lovelace', firstName: 'X', lastName: 'Y' }, id: '1', fields: { name: 'Ada Lovelace' } },
    { name: 'name null: first and last joined by a space', win: {}, option: { id: 1, name: null, firstName: 'Ada', lastName: 'Lovelace' }, id: '1', fields: { name: 'Ada Lovelace' } },
    { name: "name '': first and last joined", win: {}, option: { id: 1, name: '', firstName: 'Ada', lastName: 'Lovelace' }, id: '1', fields: { name: 'Ada Lovelace' } },
    { name: 'name missing: first and last joined', win: {}, option: { id: 1, firstName: 'Seán', lastName: "O'Brien" }, id: '1', fields: { name: "Seán O'Brien" } },
    { name: 'first name alone', win: {}, option: { id: 1, firstName: 'Zoë', lastName: null }, id: '1', fields: { name: 'Zoë' } },
    { name: "first name alone, last name ''", win: {}, option: { id: 1, firstName: 'Zoë', lastName: '' }, id: '1', fields: { name: 'Zoë' } },
    { name: 'last name alone', win: {}, option: { id: 1, firstName: null, lastName: 'Lovelace' }, id: '1', fields: { name: 'Lovelace' } },
    { name: 'no name at all: no name field', win: {}, option: { id: 1, name: null, firstName: null, lastName: null }, id: '1', fields: {} },
    { name: 'email', win: {}, option: { id: 1, email: 'ada@example.com' }, id: '1', fields: { email: 'ada@example.com' } },
    { name: 'mobile from phone', win: {}, option: { id: 1, phone: '+35315550142' }, id: '1', fields: { mobile: '+35315550142' } },
    { name: 'all fields null: the id alone', win: {}, option: { id: 1, email: null, name: null, firstName: null, lastName: null, phone: null }, id: '1', fields: {} },
    { name: 'only an id', win: {}, option: { id: 1 }, id: '1', fields: {} },
    { name: 'the field names are the reserved ones: no firstName/lastName/phone keys', win: {}, option: ada, id: CID_S, fields: ADA_FIELDS },
    // useGlobals false (after reset()): the globals name no one.
    { name: 'useGlobals false ignores meta.page.customerId and __st.cid', win: loggedInProduct(), option: null, useGlobals: false, id: undefined },
    { name: 'useGlobals false ignores __st.cid alone', win: stOnly(222), option: null, useGlobals: false, id: undefined },
    { name: 'useGlobals false: option with id null names no one', win: loggedInProduct(), option: { ...ada, id: null }, useGlobals: false, id: undefined },
    { name: 'useGlobals false: an option with an id still names its customer', win: loggedInProduct(111, 222), option: ada, useGlobals: false, id: CID_S, fields: ADA_FIELDS },
  ];

  test.each(rows)('$name', ({ win, option = null, useGlobals = true, id, fields }) => {
    let result: ReturnType<typeof findCustomer>;
    expect(() => (result = findCustomer(win, option, useGlobals))).not.toThrow();
    if (id === undefined) {
      expect(result!).toBeFalsy();
      return;
    }
    expect(result!).toBeDefined();
    expect(result![0]).toBe(id);
    if (fields !== undefined) expect({ ...result![1] }).toEqual(fields);
    // Whatever the source, only reserved names come back.
    for (const k of Object.keys(result![1])) expect(['name', 'email', 'mobile']).toContain(k);
  });

  test('the option is not modified', () => {
    const option = { ...ada };
    const copy = JSON.stringify(option);
    findCustomer(loggedInProduct(), option, true);
    expect(JSON.stringify(option)).toBe(copy);
  });
});

describe('fingerprint(s)', () => {
  const profile = (id: string, fields: Record<string, string>) => JSON.stringify([id, fields]);
  const base = { name: 'Ada Lovelace', email: 'ada@example.com', mobile: '+447700900123' };

  // Distinct profiles auto-identify must tell apart: each differs from the first in one way.
  const variants: [string, string][] = [
    ['the profile', profile(CID_S, base)],
    ['another id', profile('6713034932446', base)],
    ['email changed', profile(CID_S, { ...base, email: 'ada@example.org' })],
    ['name changed', profile(CID_S, { ...base, name: 'Ada King' })],
    ['mobile changed', profile(CID_S, { ...base, mobile: '+447700900124' })],
    ['mobile removed', profile(CID_S, { name: base.name, email: base.email })],
    ['id alone', profile(CID_S, {})],
    ['unicode name', profile(CID_S, { ...base, name: 'Zoë' })],
    ['unicode name, other accent', profile(CID_S, { ...base, name: 'Zoè' })],
  ];

  test.each(variants)('%s: a short lowercase base-36 string, stable across calls', (_, s) => {
    const f = fingerprint(s);
    expect(typeof f).toBe('string');
    expect(f).toMatch(/^[0-9a-z]{1,7}$/); // a 32-bit hash: never more than 7 base-36 digits
    expect(fingerprint(s)).toBe(f);
    expect(fingerprint(String(s))).toBe(f);
  });

  test('distinct profiles get distinct fingerprints', () => {
    const seen = new Map<string, string>();
    for (const [what, s] of variants) {
      const f = fingerprint(s);
      expect(seen.get(f), `${what} collides with ${seen.get(f)}`).toBeUndefined();
      seen.set(f, what);
    }
  });

  test('keeps no PII: the fingerprint contains no part of the profile', () => {
    for (const [, s] of variants) {
      const f = fingerprint(s);
      expect(f.length).toBeLessThan(8);
      for (const piece of ['ada', 'lovelace', '4477', 'example', '6713']) expect(f).not.toContain(piece);
    }
  });

  test.each([
    ['', 0x811c9dc5],
    ['a', 0xe40c292c],
    ['foobar', 0xbf9cf968],
  ])('is FNV-1a 32 in base 36, as documented: %j', (s, hash) => {
    expect(fingerprint(s)).toBe(hash.toString(36));
  });

  test('order-sensitive and whitespace-sensitive, as a profile comparison must be', () => {
    expect(fingerprint('ab')).not.toBe(fingerprint('ba'));
    expect(fingerprint('a')).not.toBe(fingerprint('a '));
    expect(fingerprint(JSON.stringify(['1', { name: 'A B' }]))).not.toBe(fingerprint(JSON.stringify(['1', { name: 'AB' }])));
  });

  test('never throws on long input', () => {
    const long = 'x'.repeat(100_000);
    expect(() => fingerprint(long)).not.toThrow();
    expect(fingerprint(long)).toMatch(/^[0-9a-z]{1,7}$/);
  });
});

describe('the automatic reset at logout', () => {
  test("forgets the previous customer's name list: the globals name no one, the fingerprint still names the id's hash", async () => {
    const { NAMES, PREFIX } = await import('../../src/core/record');
    const { autoIdentify } = await import('../../src/theme/shopify');
    localStorage.clear();
    // What a logged-in page left: the fingerprint of the auto-identified profile and the names counted for the id.
    localStorage.setItem(PREFIX + 'f', fingerprint(CID_S) + '.' + fingerprint('profile'));
    localStorage.setItem(NAMES + fingerprint(CID_S), '["plan"]');
    localStorage.setItem(NAMES + fingerprint('someone-else'), '["plan"]');
    autoIdentify(() => {
      throw new Error('a guest page identifies no one');
    });
    expect(Object.keys(localStorage).sort()).toEqual([NAMES + fingerprint('someone-else')]);
    localStorage.clear();
  });
});
