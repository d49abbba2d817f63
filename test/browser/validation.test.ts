// Validation in the browser, checked against what the real collector received:
// each rule of SPEC §1 and the 40-character id limit produce an error naming
// the field and the rule, the valid attributes of the same call are still
// delivered, and nothing invalid reaches the collector (zero 422s, nothing
// silently ignored by its type lock), across calls and page reloads.
import { describe, expect, test } from 'vitest';
import { okRequests, pageErrorsOf, useHarness, type Env } from './harness';

const h = useHarness();

async function setup(debug = false) {
  const env = await h.setup();
  await env.serve({ '/': env.page({ debug }) });
  const tab = await env.open('/');
  return { env, tab };
}

/** Every test ends with: nothing invalid reached the collector. */
function expectCleanCollector(env: Env) {
  const c = env.collector;
  const rejected = c.requests.filter((r) => r.status === 422).map((r) => r.body);
  expect(rejected, 'requests the collector answered 422').toEqual([]);
  expect(c.ignored, 'values the collector ignored (type lock)').toEqual([]);
  expect(pageErrorsOf(env.tabs)).toEqual([]);
}

/** The error of `errors` that names `name` (exactly one). */
function errorFor(errors: string[], name: string): string {
  const hits = errors.filter((e) => e.includes(name));
  expect(hits.length, `one error naming "${name}" in ${JSON.stringify(errors)}`).toBe(1);
  return hits[0];
}

const N49 = 'n'.repeat(48) + '9';
const N50 = 'L'.repeat(49) + '0';

describe('SPEC §1 rules', () => {
  test('rule 1 (and non-empty names): a name of 50 characters or an empty name is rejected, the rest delivered', async () => {
    const { env, tab } = await setup();
    const r = await tab.evaluate(
      ([n49, n50]) => (window as any).growlytics.identify('v-len', { [n49]: 'ok49', [n50]: 'too long', '': 'empty', keep: 1 }),
      [N49, N50],
    );
    expect(r.queued).toBe(true);
    expect(r.errors.length).toBe(2);
    expect(errorFor(r.errors, N50)).toMatch(/long|length|char|49|50/i);
    const other = r.errors.find((e: string) => !e.includes(N50));
    expect(other).toMatch(/empty|name/i);
    await env.waitFor((c) => okRequests(c, 'v-len').length === 1, 10_000, 'v-len delivered');
    expect(env.collector.profiles.get('v-len')?.attributes).toEqual({ [N49]: 'ok49', keep: 1 });
    expectCleanCollector(env);
  });

  test('rule 2: names are case-sensitive (Plan, plan and PLAN are three attributes, each with its own type)', async () => {
    const { env, tab } = await setup();
    const r1 = await tab.identify('v-case', { Plan: 'gold', plan: 7, PLAN: true });
    expect(r1).toEqual({ queued: true, errors: [] });
    const r2 = await tab.identify('v-case-2', { plan: 8, Plan: 'silver', PLAN: false });
    expect(r2).toEqual({ queued: true, errors: [] });
    await env.waitFor((c) => okRequests(c, 'v-case').length === 1 && okRequests(c, 'v-case-2').length === 1, 10_000, 'both delivered');
    expect(env.collector.profiles.get('v-case')?.attributes).toEqual({ Plan: 'gold', plan: 7, PLAN: true });
    expect(env.collector.profiles.get('v-case-2')?.attributes).toEqual({ plan: 8, Plan: 'silver', PLAN: false });
    expectCleanCollector(env);
  });

  test('rule 3: values are String, Number, Boolean or Date; everything else is named and dropped; undefined is skipped silently', async () => {
    const { env, tab } = await setup();
    const r = await tab.evaluate(() =>
      (window as any).growlytics.identify('v-types', {
        okString: 'x',
        okNumber: 1.5,
        okZero: 0,
        okNegative: -3,
        okBoolean: false,
        okDate: new Date('2023-05-06T07:08:09.010Z'),
        valObject: { a: 1 },
        valArray: [1, 2],
        valFunction: () => 1,
        valNull: null,
        valNaN: NaN,
        valInfinity: Infinity,
        valNegInfinity: -Infinity,
        valSymbol: Symbol('s'),
        valBigInt: BigInt(10),
        valInvalidDate: new Date(NaN),
        valMap: new Map(),
        skipUndefined: undefined,
      }),
    );
    expect(r.queued).toBe(true);
    const bad = ['valObject', 'valArray', 'valFunction', 'valNull', 'valNaN', 'valInfinity', 'valNegInfinity', 'valSymbol', 'valBigInt', 'valInvalidDate', 'valMap'];
    expect(r.errors.length, JSON.stringify(r.errors)).toBe(bad.length);
    for (const name of bad) expect(errorFor(r.errors, name)).toMatch(/type|value|invalid|string|number|date|finite|allowed/i);
    expect(r.errors.some((e: string) => e.includes('skipUndefined'))).toBe(false);

    await env.waitFor((c) => okRequests(c, 'v-types').length === 1, 10_000, 'v-types delivered');
    const sent = JSON.parse(okRequests(env.collector, 'v-types')[0].body);
    expect(sent).toEqual({
      id: 'v-types',
      attributes: { okString: 'x', okNumber: 1.5, okZero: 0, okNegative: -3, okBoolean: false, okDate: '2023-05-06T07:08:09.010Z' },
    });
    expectCleanCollector(env);
  });

  test('rule 4: at most 50 custom attributes per id, counting earlier calls and remembered across a reload', async () => {
    const { env, tab } = await setup();
    const names = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `a${from + i}`);
    const attrs = (list: string[], v: unknown) => Object.fromEntries(list.map((n) => [n, v]));

    // 30 custom + the three reserved ones (which do not count).
    const r1 = await tab.identify('v-50', { ...attrs(names(0, 30), 'x'), name: 'Ada Lovelace', email: 'ada@example.com', mobile: '+15550100' });
    expect(r1).toEqual({ queued: true, errors: [] });
    await env.waitFor((c) => okRequests(c, 'v-50').length === 1, 10_000, 'first v-50 delivered');
    // 30 more new names: 20 fit, the last 10 are dropped, each named.
    const r2 = await tab.identify('v-50', attrs(names(30, 60), 'y'));
    expect(r2.queued).toBe(true);
    expect(r2.errors.length, JSON.stringify(r2.errors)).toBe(10);
    for (const n of names(50, 60)) expect(errorFor(r2.errors, n)).toMatch(/50|max|limit|many|most/i);
    // An attribute the profile already has is still fine.
    expect(await tab.identify('v-50', { a0: 'updated' })).toEqual({ queued: true, errors: [] });
    // Another id has its own 50.
    expect(await tab.identify('v-50b', attrs(names(60, 110), 'z'))).toEqual({ queued: true, errors: [] });

    await env.waitFor(
      (c) => c.profiles.get('v-50')?.attributes.a0 === 'updated' && Object.keys(c.profiles.get('v-50')!.attributes).length === 53 && okRequests(c, 'v-50b').length === 1,
      10_000,
      'v-50 holds 50 custom attributes + 3 reserved',
    );

    // After a reload the count is remembered.
    await tab.reload();
    const r3 = await tab.identify('v-50', { a60: 'new', a1: 'again' });
    expect(r3.queued).toBe(true);
    expect(r3.errors.length, JSON.stringify(r3.errors)).toBe(1);
    expect(errorFor(r3.errors, 'a60')).toMatch(/50|max|limit|many|most/i);
    await env.waitFor((c) => c.profiles.get('v-50')?.attributes.a1 === 'again', 10_000, 'v-50 a1 updated after reload');

    const held = env.collector.profiles.get('v-50')!.attributes;
    expect(Object.keys(held).filter((n) => !['name', 'email', 'mobile'].includes(n)).sort()).toEqual(names(0, 50).sort());
    // No request ever carried more than 50 custom names.
    for (const req of env.collector.requests) {
      const custom = Object.keys(req.json?.attributes ?? {}).filter((n) => !['name', 'email', 'mobile'].includes(n));
      expect(custom.length).toBeLessThanOrEqual(50);
    }
    expectCleanCollector(env);
  });

  test('rule 5: an attribute type is locked by its first value, across ids, calls and a page reload (Date is its own type)', async () => {
    const { env, tab } = await setup();
    const r1 = await tab.evaluate(() =>
      (window as any).growlytics.identify('t-1', { score: 10, since: new Date('2020-01-01T00:00:00.000Z'), flag: true, tier: 'gold' }),
    );
    expect(r1).toEqual({ queued: true, errors: [] });
    await env.waitFor((c) => okRequests(c, 't-1').length === 1, 10_000, 't-1 delivered');

    const locked = ['score', 'since', 'flag', 'tier'];
    const r2 = await tab.identify('t-2', { score: 'high', since: 'last year', flag: 1, tier: 5, fine: 'yes' });
    expect(r2.queued).toBe(true);
    expect(r2.errors.length, JSON.stringify(r2.errors)).toBe(4);
    for (const n of locked) expect(errorFor(r2.errors, n)).toMatch(/type|lock|number|string|boolean|date/i);
    await env.waitFor((c) => okRequests(c, 't-2').length === 1, 10_000, 't-2 delivered');
    expect(env.collector.profiles.get('t-2')?.attributes).toEqual({ fine: 'yes' });

    await tab.reload();
    const r3 = await tab.identify('t-3', { score: 'x', since: 123, flag: 'yes', tier: false });
    expect(r3.queued).toBe(true);
    expect(r3.errors.length, JSON.stringify(r3.errors)).toBe(4);
    for (const n of locked) errorFor(r3.errors, n);
    const r4 = await tab.evaluate(() =>
      (window as any).growlytics.identify('t-4', { score: 11, since: new Date('2021-02-03T04:05:06.007Z'), flag: false, tier: 'silver' }),
    );
    expect(r4).toEqual({ queued: true, errors: [] });
    await env.waitFor((c) => okRequests(c, 't-4').length === 1 && okRequests(c, 't-3').length === 1, 10_000, 't-3 and t-4 delivered');
    expect(env.collector.profiles.get('t-3')?.attributes).toEqual({});
    expect(env.collector.profiles.get('t-4')?.attributes).toEqual({ score: 11, since: '2021-02-03T04:05:06.007Z', flag: false, tier: 'silver' });
    expect(env.collector.types).toMatchObject({ score: 'number', since: 'date', flag: 'boolean', tier: 'string', fine: 'string' });
    expectCleanCollector(env);
  });
});

describe('SPEC §1 rule 5 as the server applies it', () => {
  test('a string that looks like an ISO-8601 date locks the name as a date at the server: nothing the server would ignore is sent', async () => {
    const { env, tab } = await setup();
    await tab.identify('iso-1', { when: '2024-01-01T00:00:00.000Z', label: 'plain' });
    await env.waitFor((c) => okRequests(c, 'iso-1').length === 1, 10_000, 'iso-1 delivered');
    await tab.identify('iso-2', { when: 'tomorrow', label: '2024-02-02T00:00:00Z' });
    await tab.evaluate(() => (window as any).growlytics.identify('iso-3', { when: new Date('2024-03-03T00:00:00.000Z') }));
    await env.waitFor((c) => okRequests(c, 'iso-2').length === 1 && okRequests(c, 'iso-3').length === 1, 10_000, 'iso-2 and iso-3 delivered');
    expect(env.collector.profiles.get('iso-3')?.attributes).toEqual({ when: '2024-03-03T00:00:00.000Z' });
    expectCleanCollector(env);
  });
});

describe('the id and the attributes argument', () => {
  test('id: non-empty, at most 40 characters after trimming; otherwise nothing is queued and the error names the id', async () => {
    const { env, tab } = await setup();
    const id40 = 'i'.repeat(40);
    const id41 = 'j'.repeat(41);
    const results = await tab.evaluate(
      ([a, b]) => {
        const g = (window as any).growlytics;
        return {
          ok40: g.identify(a, { k: 1 }),
          ok40padded: g.identify('  ' + a.replace(/i/g, 'p') + ' ', { k: 2 }),
          bad41: g.identify(b, { k: 3 }),
          empty: g.identify('', { k: 4 }),
          blank: g.identify('   ', { k: 5 }),
          nan: g.identify(NaN, { k: 6 }),
          inf: g.identify(Infinity, { k: 7 }),
          obj: g.identify({ id: 'x' }, { k: 8 }),
          arr: g.identify(['x'], { k: 9 }),
          bool: g.identify(true, { k: 10 }),
          sym: g.identify(Symbol('x'), { k: 11 }),
          none: g.identify(undefined, { k: 12 }), // no Shopify customer on this page
          nul: g.identify(null),
        };
      },
      [id40, id41],
    );
    expect(results.ok40).toEqual({ queued: true, errors: [] });
    expect(results.ok40padded).toEqual({ queued: true, errors: [] });
    for (const k of ['bad41', 'empty', 'blank', 'nan', 'inf', 'obj', 'arr', 'bool', 'sym', 'none', 'nul'] as const) {
      const r = (results as any)[k];
      expect(r.queued, k).toBe(false);
      expect(r.errors.length, k).toBeGreaterThan(0);
      expect(r.errors.join(' '), k).toMatch(/\bid\b|customer/i);
    }
    expect(results.bad41.errors.join(' ')).toMatch(/40/);

    await env.waitFor((c) => okRequests(c, id40).length === 1 && okRequests(c, 'p'.repeat(40)).length === 1, 10_000, 'the two valid ids delivered');
    await tab.flush(5_000);
    expect(env.collector.requests.map((r) => r.id).sort()).toEqual([id40, 'p'.repeat(40)].sort());
    expectCleanCollector(env);
  });

  test('attributes that are not a plain object reject the call; null and undefined mean none', async () => {
    const { env, tab } = await setup();
    const results = await tab.evaluate(() => {
      const g = (window as any).growlytics;
      class Customer {
        plan = 'x';
      }
      return {
        str: g.identify('rej-str', 'plan=pro'),
        arr: g.identify('rej-arr', [['plan', 'pro']]),
        date: g.identify('rej-date', new Date()),
        map: g.identify('rej-map', new Map([['plan', 'pro']])),
        inst: g.identify('rej-inst', new Customer()),
        num: g.identify('rej-num', 5),
        fn: g.identify('rej-fn', () => ({ plan: 'pro' })),
        nul: g.identify('ok-null', null),
        undef: g.identify('ok-undef', undefined),
      };
    });
    for (const k of ['str', 'arr', 'date', 'map', 'inst', 'num', 'fn'] as const) {
      const r = (results as any)[k];
      expect(r.queued, k).toBe(false);
      expect(r.errors.length, k).toBeGreaterThan(0);
      expect(r.errors.join(' '), k).toMatch(/attributes|object/i);
    }
    expect(results.nul).toEqual({ queued: true, errors: [] });
    expect(results.undef).toEqual({ queued: true, errors: [] });
    await env.waitFor((c) => okRequests(c, 'ok-null').length === 1 && okRequests(c, 'ok-undef').length === 1, 10_000, 'ok-null and ok-undef delivered');
    await tab.flush(5_000);
    expect(env.collector.requests.map((r) => r.id).sort()).toEqual(['ok-null', 'ok-undef']);
    expect(JSON.parse(okRequests(env.collector, 'ok-null')[0].body)).toEqual({ id: 'ok-null', attributes: {} });
    expectCleanCollector(env);
  });
});

describe('debug output', () => {
  test('without data-debug validation errors stay off the console; with data-debug they are printed', async () => {
    const quiet = await setup(false);
    await quiet.tab.identify('dbg-1', { ['q'.repeat(60)]: 1, okay: 'yes' });
    await quiet.env.waitFor((c) => okRequests(c, 'dbg-1').length === 1, 10_000, 'dbg-1 delivered');
    expect(quiet.tab.console).toEqual([]);
    expectCleanCollector(quiet.env);

    const loud = await setup(true);
    const r = await loud.tab.identify('dbg-2', { ['w'.repeat(60)]: 1, okay: 'yes' });
    expect(r.errors.length).toBe(1);
    await loud.env.waitFor((c) => okRequests(c, 'dbg-2').length === 1, 10_000, 'dbg-2 delivered');
    expect(loud.tab.console.some((m) => m.text.includes('w'.repeat(60)))).toBe(true);
    expectCleanCollector(loud.env);
  });
});
