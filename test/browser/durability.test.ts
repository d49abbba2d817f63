// Durable delivery across reloads, outages and broken storage, in each
// engine against the real collector. SPEC §3; issue 3 ("Tests").
//
// An outage is simulated at the collector (it drops every connection: a
// network error for the browser), which works in every engine; the snippet
// then finds the way back with its backoff timer alone ("navigator.onLine is
// not trusted"). Chromium's network emulation (navigator.onLine false and the
// `online` event) is covered once more, Chromium-only.
import { hash } from '../../src/core/record';
import { describe, expect, test } from 'vitest';
import { chromiumOnly, deliveredIds, duplicateCount, okRequests, pageErrorsOf, sleep, useHarness, type Env, type Tab } from './harness';

const h = useHarness();

const range = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

function expectNoRejections(env: Env) {
  const c = env.collector;
  expect(c.requests.filter((r) => r.status === 422).map((r) => r.body.slice(0, 200)), '422s').toEqual([]);
  expect(c.ignored).toEqual([]);
}

/** An outage for the page: `start` takes the collector out of reach and resolves with the way back. */
interface Outage {
  start(env: Env, tab: Tab): Promise<() => Promise<void>>;
  /** what navigator.onLine says during the outage. */
  onLine: boolean;
}

const COLLECTOR_DROPS: Outage = {
  onLine: true,
  async start(env) {
    env.collector.setFaults({ drop: true });
    return async () => env.collector.setFaults({});
  },
};

// Chromium-only: CDP network emulation of this one page (the collector drops too).
const PAGE_OFFLINE: Outage = { onLine: false, start: (env, tab) => env.pageOffline(tab) };

async function outageReload(outage: Outage) {
  const env = await h.setup();
  await env.serve({ '/': env.page() });
  const tab = await env.open('/');
  const goOnline = await outage.start(env, tab);
  expect(await tab.evaluate(() => navigator.onLine)).toBe(outage.onLine);
  const ids = range(20, 'off-');
  const results = await tab.evaluate((list) => list.map((id, i) => (window as any).growlytics.identify(id, { idx: i, plan: 'offline' })), ids);
  for (const r of results) expect(r).toEqual({ queued: true, errors: [] });

  // Reload during the outage (the page itself loads, the collector stays unreachable).
  await tab.reload();
  expect(await tab.evaluate(() => navigator.onLine)).toBe(outage.onLine);
  // Persisted: every profile is in localStorage.
  const stored = await tab.storage();
  const recordIds = [
    ...new Set(
      Object.entries(stored)
        .filter(([k]) => k.startsWith('growlytics:r:'))
        .map(([, v]) => JSON.parse(v).i),
    ),
  ].sort();
  expect(recordIds).toEqual([...ids].sort());
  await sleep(500);
  expect(okRequests(env.collector).length, 'nothing is delivered during the outage').toBe(0);

  const t0 = Date.now();
  await goOnline();
  // Leases left by the unloading page's keepalive attempts (15 s, CONTRACTS.md) may hold some ids.
  await env.waitFor((c) => ids.every((id) => okRequests(c, id).length > 0), 25_000, '20 of 20 delivered after the outage');
  const took = Date.now() - t0;
  await tab.flush(5_000);
  await sleep(1_000);
  const dups = duplicateCount(env.collector, ids);
  const attempts = env.collector.requests.filter((r) => r.status === 0).length;
  console.log(`outage/reload (${env.engine}): 20/20 delivered ${took} ms after the outage; ${attempts} attempts failed during it; duplicates: ${dups}`);
  expect(dups).toBe(0);
  ids.forEach((id, i) => expect(env.collector.profiles.get(id)?.attributes).toEqual({ idx: i, plan: 'offline' }));
  // Delivered means removed from the queue.
  expect(Object.keys(await tab.storage()).filter((k) => k.startsWith('growlytics:r:'))).toEqual([]);
  expectNoRejections(env);
  expect(pageErrorsOf(env.tabs)).toEqual([]);
}

describe('outages and reloads', () => {
  test('the collector unreachable -> 20 identifies -> reload during the outage -> back: 20 of 20 delivered, no duplicates', () =>
    outageReload(COLLECTOR_DROPS));

  chromiumOnly('offline (navigator.onLine false) -> 20 identifies -> reload while still offline -> online: 20 of 20 delivered, no duplicates', () =>
    outageReload(PAGE_OFFLINE));

  test('a long outage with large profiles: bounded queue, evictions reported oldest first, the theme can still write 100 KiB', async () => {
    const env = await h.setup();
    await env.serve({ '/': env.page() });
    const tab = await env.open('/');
    const goOnline = await COLLECTOR_DROPS.start(env, tab);
    // 150 profiles of ~40 KB (20 attributes of 2,000 characters): ~6 M characters,
    // more than the origin's localStorage quota (about 5 M in each engine).
    const N = 150;
    const ids = range(N, 'big-');
    const summary = await tab.evaluate((list) => {
      const g = (window as any).growlytics;
      let notQueued = 0;
      const errors: string[] = [];
      list.forEach((id, n) => {
        const attrs: Record<string, string> = {};
        for (let i = 0; i < 20; i++) attrs['p' + i] = String.fromCharCode(97 + ((n + i) % 26)).repeat(2000);
        const r = g.identify(id, attrs);
        if (!r.queued) notQueued++;
        errors.push(...r.errors);
      });
      return { notQueued, errors: errors.slice(0, 5) };
    }, ids);
    expect(summary).toEqual({ notQueued: 0, errors: [] });

    // The theme's own use of localStorage still works with our queue at its fullest.
    const themeWrite = await tab.evaluate(() => {
      try {
        localStorage.setItem('theme:cart-cache', 'x'.repeat(100 * 1024));
        return localStorage.getItem('theme:cart-cache')!.length;
      } catch (e) {
        return String(e);
      }
    });
    expect(themeWrite).toBe(100 * 1024);
    const ourChars = await tab.evaluate(() => {
      let n = 0;
      for (let i = 0; i < localStorage.length; i++) {
        const k = localStorage.key(i)!;
        if (k.startsWith('growlytics:')) n += k.length + localStorage.getItem(k)!.length;
      }
      return n;
    });

    await goOnline();
    const evictedIds = () => env.events.filter((e) => e.type === 'evicted').map((e) => e.id as string);
    // Everything is either delivered or reported as evicted: nothing vanishes silently.
    await env.waitFor(
      (c) => {
        const got = deliveredIds(c);
        const ev = new Set(evictedIds());
        return ids.every((id) => got.has(id) || ev.has(id));
      },
      40_000,
      'every big profile delivered or reported evicted',
    );
    const delivered = ids.filter((id) => deliveredIds(env.collector).has(id));
    const evicted = evictedIds();
    console.log(
      `large offline: ${delivered.length} delivered, ${evicted.length} evicted, growlytics:* used ${ourChars} chars of localStorage at the peak`,
    );
    expect(delivered.length).toBeGreaterThan(0);
    if (delivered.length < N) {
      // The bound was hit: each eviction reported (console warning + event), oldest first.
      expect(evicted.length).toBeGreaterThan(0);
      expect(new Set(evicted).size).toBe(evicted.length);
      const lastEvicted = Math.max(...evicted.map((id) => ids.indexOf(id)));
      const firstDelivered = Math.min(...delivered.map((id) => ids.indexOf(id)));
      expect(lastEvicted, 'evicted ids are older than every delivered one').toBeLessThan(firstDelivered);
      expect(tab.console.filter((m) => m.type === 'warning' && /evict/i.test(m.text)).length).toBe(evicted.length);
    }
    for (const id of delivered) expect(Object.keys(env.collector.profiles.get(id)!.attributes).length).toBe(20);
    expectNoRejections(env);
    expect(pageErrorsOf(env.tabs)).toEqual([]);
  });
});

// Init scripts run before any page script, on every page of the context.
// Each with a probe, run in the page, that is true when the sabotage is in effect.
const STORAGE_SABOTAGE: Record<string, [string, () => boolean]> = {
  'setItem throws (quota, Safari private mode)': [
    `Storage.prototype.setItem = function () { throw new DOMException('The quota has been exceeded.', 'QuotaExceededError'); };`,
    () => {
      try {
        localStorage.setItem('probe', '1');
        return false;
      } catch {
        return true;
      }
    },
  ],
  'every Storage method throws': [
    `(function () {
      var boom = function () { throw new DOMException('denied', 'SecurityError'); };
      ['setItem', 'getItem', 'removeItem', 'key', 'clear'].forEach(function (m) { Storage.prototype[m] = boom; });
      Object.defineProperty(Storage.prototype, 'length', { get: boom, configurable: true });
    })();`,
    () => {
      try {
        localStorage.getItem('probe');
        return false;
      } catch {
        return true;
      }
    },
  ],
  'the localStorage getter throws (sandboxed frame, cookies blocked)': [
    `Object.defineProperty(window, 'localStorage', { configurable: true, get: function () { throw new DOMException('denied', 'SecurityError'); } });`,
    () => {
      try {
        void window.localStorage;
        return false;
      } catch {
        return true;
      }
    },
  ],
  'localStorage is missing': [
    `Object.defineProperty(window, 'localStorage', { configurable: true, get: function () { return undefined; } });`,
    () => window.localStorage === undefined,
  ],
};

describe('broken storage', () => {
  for (const [name, [script, probe]] of Object.entries(STORAGE_SABOTAGE)) {
    test(`${name}: identify still queues, the profile is delivered, no page error`, async () => {
      const env = await h.setup();
      await env.context.addInitScript(script);
      await env.serve({ '/': env.page() });
      const tab = await env.open('/');
      expect(await tab.evaluate(probe), 'the sabotage is in effect').toBe(true);
      const r = await tab.evaluate(() => {
        const g = (window as any).growlytics;
        const out = [g.identify('st-1', { plan: 'memory', n: 1 }), g.identify('st-2', { plan: 'memory', n: 2 })];
        g.identify('st-1', { n: 3 });
        return out;
      });
      expect(r).toEqual([
        { queued: true, errors: [] },
        { queued: true, errors: [] },
      ]);
      await env.waitFor(
        (c) => c.profiles.get('st-1')?.attributes.n === 3 && okRequests(c, 'st-2').length > 0,
        10_000,
        'st-1 (newest values) and st-2 delivered from memory',
      );
      expect(env.collector.profiles.get('st-1')?.attributes).toEqual({ plan: 'memory', n: 3 });
      expect(env.collector.profiles.get('st-2')?.attributes).toEqual({ plan: 'memory', n: 2 });
      // The type lock works from memory too.
      const locked = await tab.identify('st-3', { plan: 42 });
      expect(locked.errors.length).toBe(1);
      // A transient failure is retried from memory as well.
      env.collector.setFaults({ status: 503, times: 1 });
      await tab.identify('st-4', { plan: 'retry' });
      await env.waitFor((c) => okRequests(c, 'st-4').length === 1, 10_000, 'st-4 delivered after a 503');
      expectNoRejections(env);
      expect(pageErrorsOf(env.tabs)).toEqual([]);
    });
  }

  test('garbage under growlytics: keys: ignored, new profiles delivered, no page error', async () => {
    const env = await h.setup();
    await env.serve({ '/': env.page(), '/blank': env.page({ mode: 'none' }) });
    const seeder = await env.open('/blank');
    await seeder.evaluate(() => {
      const now = Date.now();
      const garbage: Record<string, string> = {
        'growlytics:t': '{not json',
        'growlytics:t:plan': 'no such type',
        'growlytics:p': 'garbage,,',
        'growlytics:k': '',
        'growlytics:n': '[[[',
        'growlytics:n:g-1': '"a string"',
        'growlytics:n:g-2': '{"a":1}',
        'growlytics:f': '\u0000\uffff',
        'growlytics:l:g-1': 'nonsense',
        'growlytics:l:': '',
        'growlytics:r:': 'garbage',
        'growlytics:r:x.1': 'garbage',
        'growlytics:r:x.2': 'null',
        'growlytics:r:x.3': '[]',
        'growlytics:r:x.4': '{"i":5,"a":{},"t":1}',
        'growlytics:r:x.5': `{"i":"junk-a","a":"str","t":${now}}`,
        'growlytics:r:x.6': `{"i":"","a":{},"t":${now}}`,
        'growlytics:r:x.7': '{"i":"junk-t","a":[1]}',
        'growlytics:r:x.8': '{"__proto__":{"polluted":1},"i":"junk-p"}',
        'growlytics:r:x.9': '1e999',
        'growlytics:zzz': 'x',
        // One well-formed record an earlier page left: still delivered.
        'growlytics:r:x.10': `{"i":"left-1","a":{"plan":"left"},"t":${now}}`,
      };
      for (const [k, v] of Object.entries(garbage)) localStorage.setItem(k, v);
    });
    await seeder.close();

    const tab = await env.open('/');
    expect(await tab.identify('fresh-1', { plan: 'fresh', seats: 2 })).toEqual({ queued: true, errors: [] });
    expect(await tab.identify('g-1', { plan: 'g' })).toEqual({ queued: true, errors: [] });
    await env.waitFor(
      (c) => ['fresh-1', 'g-1', 'left-1'].every((id) => okRequests(c, id).length > 0),
      10_000,
      'fresh-1, g-1 and the well-formed left-over record delivered',
    );
    expect(env.collector.profiles.get('fresh-1')?.attributes).toEqual({ plan: 'fresh', seats: 2 });
    expect(env.collector.profiles.get('left-1')?.attributes).toEqual({ plan: 'left' });
    // The garbage records never became requests.
    await tab.flush(5_000);
    await sleep(500);
    const fromGarbage = env.collector.requests.filter((r) => !['fresh-1', 'g-1', 'left-1'].includes(r.id as string));
    expect(fromGarbage.map((r) => `${r.status}: ${r.body}`), 'requests made from garbage records').toEqual([]);
    expect(await tab.evaluate(() => ({} as any).polluted)).toBeUndefined();
    expectNoRejections(env);
    expect(pageErrorsOf(env.tabs)).toEqual([]);
  });

  test('a lease from the far future (the clock was moved back) does not block an id for ever', async () => {
    const env = await h.setup();
    await env.serve({ '/': env.page(), '/blank': env.page({ mode: 'none' }) });
    // Learn the lease format the snippet writes: hold one request at the collector.
    const probe = await env.open('/');
    env.collector.setFaults({ hang: true, times: 1 });
    await probe.identify('probe-1');
    await env.waitFor((c) => c.requests.some((r) => r.id === 'probe-1'), 10_000, 'probe-1 in flight');
    const lease = (await probe.storage())['growlytics:l:' + hash('probe-1')];
    await probe.close();
    expect(lease, 'a lease is written for an id in flight (ARCHITECTURE.md: growlytics:l:<hash of id>)').toMatch(/^\d{10,}/);

    // The same lease, as written by a tab whose clock ran a year ahead.
    const seeder = await env.open('/blank');
    await seeder.evaluate(([k, v]) => localStorage.setItem(k, v), ['growlytics:l:' + hash('skew-1'), lease.replace(/^\d+/, String(Date.now() + 365 * 864e5))]);
    await seeder.close();
    const tab = await env.open('/');
    expect(await tab.identify('skew-1', { plan: 'skew', seats: 1 })).toEqual({ queued: true, errors: [] });
    // A lease is at most 15 s long (CONTRACTS.md): wait a little longer than that.
    // probe-1, left in flight by the closed probe page under a normal lease, must go too.
    await env.waitFor(
      (c) => okRequests(c, 'skew-1').length > 0 && okRequests(c, 'probe-1').length > 0,
      25_000,
      'skew-1 (despite a lease from the future) and probe-1 (normal lease expired) delivered',
    );
    expect(env.collector.profiles.get('skew-1')?.attributes).toEqual({ plan: 'skew', seats: 1 });
    expect(pageErrorsOf(env.tabs)).toEqual([]);
  });
});
