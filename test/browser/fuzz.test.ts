// Fuzzing the public API in each engine with a seeded PRNG: init, identify,
// flush, reset and push get random junk (Symbols, throwing getters, Proxies
// whose traps throw, revoked Proxies, cyclic and very deep objects, huge
// strings, own `__proto__` keys from JSON.parse, functions, BigInt, NaN, DOM
// objects...). Nothing may escape into the page, identify always answers
// {queued: boolean, errors: string[]}, flush never rejects, no built-in
// prototype changes, and the collector sees zero 422s and ignores nothing.
// SPEC §2 ("never throw, whatever they are given"); issue 2.
// Reproduce a failure with FUZZ_SEED=<seed> (and FUZZ_ITERATIONS=<n>).
import { describe, expect, test } from 'vitest';
import { okRequests, pageErrorsOf, sleep, useHarness } from './harness';

const h = useHarness();

const SEEDS = process.env.FUZZ_SEED ? [Number(process.env.FUZZ_SEED)] : [0xc0ffee, 20240601];
const ITERATIONS = Number(process.env.FUZZ_ITERATIONS || 400);

// Runs before the bundle: a snapshot of the built-ins the snippet must never
// alter, and a record of unhandled rejections.
const BEFORE = `
window.__unhandled = [];
addEventListener('unhandledrejection', function (e) { try { __unhandled.push(String(e.reason && e.reason.message || e.reason)); } catch (_) { __unhandled.push('?'); } });
window.__snap = (function () {
  var targets = {
    'Object': Object, 'Array': Array, 'JSON': JSON, 'Promise': Promise, 'Reflect': Reflect,
    'Object.prototype': Object.prototype, 'Array.prototype': Array.prototype,
    'Function.prototype': Function.prototype, 'String.prototype': String.prototype,
    'Number.prototype': Number.prototype, 'Boolean.prototype': Boolean.prototype,
    'Symbol.prototype': Symbol.prototype, 'BigInt.prototype': BigInt.prototype,
    'Date.prototype': Date.prototype, 'RegExp.prototype': RegExp.prototype,
    'Error.prototype': Error.prototype, 'Promise.prototype': Promise.prototype,
    'Map.prototype': Map.prototype, 'Set.prototype': Set.prototype,
    'Storage.prototype': Storage.prototype, 'EventTarget.prototype': EventTarget.prototype,
    'Response.prototype': Response.prototype
  };
  var globals = ['fetch', 'setTimeout', 'addEventListener', 'JSON', 'Object', 'Array', 'localStorage'];
  function snap() {
    var out = {};
    Object.keys(targets).forEach(function (name) {
      var t = targets[name], m = new Map();
      Reflect.ownKeys(t).forEach(function (k) { m.set(k, Object.getOwnPropertyDescriptor(t, k)); });
      out[name] = { map: m, proto: Object.getPrototypeOf(t) };
    });
    out.globals = globals.map(function (g) { return window[g]; });
    return out;
  }
  var first = snap();
  return function diff() {
    var now = snap(), diffs = [];
    Object.keys(targets).forEach(function (name) {
      var a = first[name], b = now[name];
      if (a.proto !== b.proto) diffs.push(name + ': prototype replaced');
      b.map.forEach(function (d, k) { if (!a.map.has(k)) diffs.push(name + ': added ' + String(k)); });
      a.map.forEach(function (d, k) {
        var e = b.map.get(k);
        if (!e) return diffs.push(name + ': removed ' + String(k));
        ['value', 'get', 'set', 'writable', 'enumerable', 'configurable'].forEach(function (f) {
          if (!Object.is(d[f], e[f])) diffs.push(name + ': ' + String(k) + '.' + f + ' changed');
        });
      });
    });
    now.globals.forEach(function (v, i) { if (v !== first.globals[i]) diffs.push('window.' + globals[i] + ' replaced'); });
    if (({}).polluted !== undefined || ({}).isAdmin !== undefined || [].polluted !== undefined) diffs.push('Object.prototype polluted');
    return diffs;
  };
})();`;

interface FuzzResult {
  calls: number;
  identifies: number;
  escaped: string[];
  badReturns: string[];
  flushNotThenable: number;
  flushRejected: string[];
  flushPending: number;
  sentinel: unknown;
  apiReplaced: boolean;
  protoDiffs: string[];
  unhandled: string[];
}

/** Runs in the page. Self-contained: no references outside its body. */
async function fuzzInPage(a: { seed: number; iterations: number; key: string; endpoint: string }): Promise<FuzzResult> {
  const w = window as any;
  const api = w.growlytics;
  let s = a.seed >>> 0;
  // mulberry32
  const rnd = () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T,>(xs: T[]): T => xs[int(xs.length)];
  const boom = () => {
    throw new Error('fuzz: trap');
  };
  const traps: ProxyHandler<any> = {
    get: boom, set: boom, has: boom, ownKeys: boom, getOwnPropertyDescriptor: boom, getPrototypeOf: boom,
    setPrototypeOf: boom, defineProperty: boom, deleteProperty: boom, isExtensible: boom, preventExtensions: boom,
    apply: boom, construct: boom,
  };
  const own = (o: any, k: PropertyKey, v: unknown) =>
    Object.defineProperty(o, k, { value: v, enumerable: true, configurable: true, writable: true });

  const trapObj = new Proxy({}, traps);
  const trapArr = new Proxy([], traps);
  const trapFn = new Proxy(function () {}, traps);
  const revoked = Proxy.revocable({}, {});
  revoked.revoke();
  const huge = 'h'.repeat(200_000);
  const cyclic: any = { plan: 'c' };
  cyclic.self = cyclic;
  const cyclicArr: any[] = [];
  cyclicArr.push(cyclicArr);
  const getterThrows = Object.defineProperty({ ok: 1 }, 'plan', { enumerable: true, get: boom });
  const inheritedGetter = Object.create(Object.defineProperty({}, 'plan', { enumerable: true, get: boom }));
  const protoJson = JSON.parse('{"__proto__": {"polluted": "yes"}, "plan": "p"}');
  const protoJsonString = JSON.parse('{"__proto__": "str", "plan": "q"}');
  const ctorJson = JSON.parse('{"constructor": {"prototype": {"polluted": "yes"}}, "__proto__": {"isAdmin": true}}');
  const toJsonThrows = { toJSON: boom, plan: 'x' };
  const coercionThrows = { valueOf: boom, toString: boom, [Symbol.toPrimitive]: boom };
  const symKeyed = { [Symbol('k')]: 1, plan: 'sym' };
  const nullProto = Object.assign(Object.create(null), { plan: 'np' });
  const dateThrows: any = new Date(0);
  dateThrows.toISOString = boom;
  dateThrows.getTime = boom;
  dateThrows.valueOf = boom;
  dateThrows.toJSON = boom;
  const frozen = Object.freeze({ plan: 'frozen' });
  const many: any = {};
  for (let i = 0; i < 300; i++) many['m' + i] = i;
  const deepRoot: any = {};
  let deep = deepRoot;
  for (let i = 0; i < 5000; i++) deep = deep.d = {};
  const getterKey = Object.defineProperty({}, 'key', { enumerable: true, get: boom });
  const customerThrows = Object.defineProperty({}, 'customer', { enumerable: true, get: boom });

  const strings = [
    '', ' ', '\u0000', '\ud800', 'x'.repeat(41), 'y'.repeat(40), '__proto__', 'constructor', 'prototype',
    'toString', 'hasOwnProperty', 'gid://shopify/Customer/', 'gid://shopify/Customer/12', '\u{1F642}'.repeat(21),
    '<script>alert(1)</script>', '"', 'name', 'email', 'mobile', 'identify', 'push', 'init', '0', '-1', '1e3',
    'n'.repeat(49), 'n'.repeat(50),
  ];
  const prims: unknown[] = [
    undefined, null, true, false, 0, -0, 1, -1, 1.5, NaN, Infinity, -Infinity, Number.MAX_VALUE, 2 ** 53 + 2,
    BigInt(10), Symbol('s'), Symbol.iterator, ...strings,
  ];
  const objects: unknown[] = [
    {}, [], [1, 2], cyclic, cyclicArr, getterThrows, inheritedGetter, trapObj, trapArr, trapFn, revoked.proxy,
    protoJson, protoJsonString, ctorJson, toJsonThrows, coercionThrows, symKeyed, nullProto, new Date(NaN),
    new Date(0), dateThrows, frozen, many, deepRoot, getterKey, customerThrows, new Map([['plan', 1]]), new Set([1]),
    new WeakMap(), Promise.resolve(1), /re/g, new Uint8Array(4), new ArrayBuffer(8), new Error('e'), document.body,
    window, document, function () {}, () => {}, class {}, Object, Array.prototype, Object.prototype, Object('boxed'),
    Object(5), Object(false), Object(Symbol('boxed')), Object(BigInt(7)), { length: 2, 0: 'identify', 1: 'x' },
  ];
  const junk = (): unknown => (rnd() < 0.5 ? pick(prims) : rnd() < 0.15 ? huge : pick(objects));
  const names = ['plan', 'score', 'since', 'flag', 'k0', 'k1', 'k2', 'name', 'email', 'mobile', '__proto__', 'constructor', 'n'.repeat(49), 'n'.repeat(50), ''];
  const validFor = (k: string): unknown =>
    k === 'score' ? int(100) : k === 'since' ? new Date(1_600_000_000_000 + int(1e9)) : k === 'flag' ? rnd() < 0.5 : 'v' + int(10);
  const attrs = (): unknown => {
    const o: any = rnd() < 0.1 ? Object.create(null) : {};
    const n = int(7);
    for (let i = 0; i < n; i++) {
      const k = rnd() < 0.8 ? pick(names) : pick(strings);
      own(o, k, rnd() < 0.55 ? validFor(k) : junk());
    }
    return o;
  };
  const anId = () => (rnd() < 0.55 ? 'fz-' + int(25) : rnd() < 0.3 ? 'gid://shopify/Customer/' + int(1000) : junk());
  const customer = () =>
    rnd() < 0.3
      ? junk()
      : { id: rnd() < 0.5 ? 'cu-' + int(5) : junk(), email: junk(), name: junk(), firstName: junk(), lastName: junk(), phone: junk() };
  const initOptions = () =>
    rnd() < 0.3
      ? junk()
      : {
          key: rnd() < 0.85 ? a.key : junk(),
          endpoint: rnd() < 0.9 ? a.endpoint : junk(),
          debug: rnd() < 0.5 ? false : junk(),
          customer: rnd() < 0.6 ? undefined : customer(),
          autoIdentify: junk(),
          respectConsent: junk(),
          unknownOption: junk(),
        };
  const argsFor = (m: string): unknown[] => {
    switch (m) {
      case 'identify': {
        const args: unknown[] = rnd() < 0.1 ? [] : [anId(), rnd() < 0.7 ? attrs() : junk()];
        if (rnd() < 0.1) args.push(junk());
        return args;
      }
      case 'init':
        return rnd() < 0.1 ? [] : [initOptions()];
      case 'push': {
        const r = rnd();
        if (r < 0.15) return [junk()];
        if (r < 0.25) return [[junk(), junk()]];
        if (r < 0.35) return [[pick(['__proto__', 'constructor', 'hasOwnProperty', 'toString', 'push', 'then', '']), junk()]];
        if (r < 0.45) return [['push', ['identify', anId(), attrs()]]];
        const mm = pick(['identify', 'identify', 'init', 'flush', 'reset']);
        return [[mm, ...argsFor(mm)]];
      }
      default:
        return rnd() < 0.8 ? [] : [junk(), junk()];
    }
  };

  const out: FuzzResult = {
    calls: 0, identifies: 0, escaped: [], badReturns: [], flushNotThenable: 0, flushRejected: [], flushPending: 0,
    sentinel: null, apiReplaced: false, protoDiffs: [], unhandled: [],
  };
  const describe = (v: unknown) => {
    try {
      return typeof v === 'symbol' ? v.toString() : typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : typeof v;
    } catch {
      return '?';
    }
  };
  const flushes: Promise<void>[] = [];
  const methods = ['identify', 'identify', 'identify', 'identify', 'push', 'push', 'init', 'flush', 'reset'];
  for (let i = 0; i < a.iterations; i++) {
    const m = pick(methods);
    const args = argsFor(m);
    const detached = rnd() < 0.1;
    out.calls++;
    let r: any;
    try {
      const fn = api[m];
      r = detached ? fn(...args) : api[m](...args);
    } catch (e) {
      out.escaped.push(`#${i} ${m}(${args.map(describe).join(', ')})${detached ? ' detached' : ''}: ${(e as any)?.message ?? e}`);
      continue;
    }
    if (m === 'identify') {
      out.identifies++;
      const ok =
        r !== null && typeof r === 'object' && typeof r.queued === 'boolean' && Array.isArray(r.errors) && r.errors.every((x: unknown) => typeof x === 'string');
      if (!ok) out.badReturns.push(`#${i} identify(${args.map(describe).join(', ')}) -> ${describe(r)}`);
    }
    if (m === 'flush') {
      if (!r || typeof r.then !== 'function') out.flushNotThenable++;
      else
        flushes.push(
          Promise.resolve(r).then(
            () => {},
            (e) => void out.flushRejected.push(String(e)),
          ),
        );
    }
    // Let the snippet's own tasks (sending, timers) interleave with the calls.
    if (i % 25 === 24) await new Promise((res) => setTimeout(res, 0));
  }

  // Back to a sane configuration, then a profile that must arrive.
  try {
    api.init({ key: a.key, endpoint: a.endpoint, debug: false });
    out.sentinel = api.identify('fz-sentinel', { plan: 'sentinel' });
  } catch (e) {
    out.escaped.push('sentinel: ' + String(e));
  }
  let settled = 0;
  flushes.forEach((p) => p.then(() => settled++));
  await Promise.race([Promise.all(flushes), new Promise((res) => setTimeout(res, 15_000))]);
  out.flushPending = flushes.length - settled;
  out.apiReplaced = w.growlytics !== api;
  out.protoDiffs = w.__snap();
  out.unhandled = w.__unhandled.slice();
  return out;
}

describe('fuzzing the public API', () => {
  for (const seed of SEEDS) {
    test(`seed ${seed}: ${ITERATIONS} random calls; nothing escapes, no prototype changes, zero 422s`, async () => {
      const env = await h.setup();
      await env.serve({ '/': env.page({ before: BEFORE }) });
      const tab = await env.open('/');
      const res = await tab.evaluate(fuzzInPage, { seed, iterations: ITERATIONS, key: env.key, endpoint: env.endpoint });
      console.log(
        `fuzz seed ${seed}: ${res.calls} calls (${res.identifies} identify), ${env.collector.requests.length} requests so far, ` +
          `${res.flushPending} flush() still pending after 15 s`,
      );

      expect(res.escaped, 'exceptions that escaped a public function').toEqual([]);
      expect(res.badReturns, 'identify results that are not {queued: boolean, errors: string[]}').toEqual([]);
      expect(res.flushNotThenable).toBe(0);
      expect(res.flushRejected, 'flush() rejections').toEqual([]);
      expect(res.sentinel).toEqual({ queued: true, errors: [] });
      expect(res.apiReplaced).toBe(false);
      expect(res.protoDiffs, 'built-ins altered').toEqual([]);

      // The snippet still works, and nothing invalid ever reached the collector.
      await env.waitFor((c) => okRequests(c, 'fz-sentinel').length === 1, 30_000, 'fz-sentinel delivered after the fuzzing');
      // Let what is still queued drain (bounded), then look at everything sent.
      await tab.flush(10_000);
      await sleep(1_000);
      const c = env.collector;
      const rejected = c.requests.filter((r) => r.status === 422).map((r) => r.body.slice(0, 300));
      expect(rejected, 'requests the collector answered 422').toEqual([]);
      expect(c.ignored, 'values the collector ignored (type lock)').toEqual([]);
      expect(await tab.evaluate(() => (window as any).__unhandled)).toEqual([]);
      expect(pageErrorsOf(env.tabs)).toEqual([]);
    });
  }
});
