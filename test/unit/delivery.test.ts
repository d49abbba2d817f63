import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GONE, HIDDEN, LIVE, delivery } from '../../src/core/delivery';
import { leaseOver } from '../../src/core/lease';
import { endBackoff, readPause } from '../../src/core/pause';
import type { Runtime } from '../../src/core/runtime';
import { LEASE, hash } from '../../src/core/record';
import { post } from '../../src/core/transport';

// The delivery rules every runtime shares (src/core/delivery.ts), over a fake
// storage (async, as a pixel's; or answering at once, as the theme's) and a
// stubbed fetch: a run without browsers catches a broken lease, pause,
// refused key, consent check or verdict. The browser tests run the same
// rules through the built bundles against the real collector.

type Answer = number | [number, Record<string, string>] | (() => Promise<Response>);

let answers: Answer[];
let requests: { url: string; init: RequestInit; body: any }[];
let storage: Map<string, string>;
/** Holds the next requests until released: a request in flight. */
let gate: Promise<void> | undefined;

const asyncStore = () => ({
  _get: async (k: string) => storage.get(k) ?? null,
  _set: async (k: string, v: string) => void storage.set(k, String(v)),
  _del: async (k: string) => void storage.delete(k),
});
const syncStore = () => ({
  _get: (k: string) => storage.get(k) ?? null,
  _set: (k: string, v: string) => void storage.set(k, String(v)),
  _del: (k: string) => void storage.delete(k),
});

/** A runtime with one record per id in `records`, all of them stored. */
function runtime(o: Partial<Runtime> & { records?: Record<string, object> } = {}) {
  const records = o.records ?? { ada: { plan: 'pro' } };
  for (const id in records) storage.set('growlytics:r:' + id, JSON.stringify({ i: id, a: records[id as keyof typeof records] }));
  const calls = { removed: [] as [string[], boolean][], reports: [] as string[], debug: [] as unknown[][] };
  const rt: Runtime = {
    _store: asyncStore(),
    _endpoint: () => 'https://dc.growlytics.in/track/user',
    _key: () => 'key-1',
    _relay: () => false,
    _allowed: () => true,
    _keepalive: () => 2,
    _take: async (id) => (storage.has('growlytics:r:' + id) ? [['growlytics:r:' + id], records[id as keyof typeof records] as any] : [[], {}]),
    _remove: (keys, lost) => {
      calls.removed.push([keys, lost]);
      keys.forEach((k) => storage.delete(k));
    },
    _report: (type, message) => void calls.reports.push(type + ': ' + message),
    _debug: (...parts) => void calls.debug.push(parts),
    ...o,
  };
  return { core: delivery(rt), calls };
}

const lease = (id: string) => LEASE + hash(id);

beforeEach(() => {
  answers = [];
  requests = [];
  storage = new Map();
  gate = undefined;
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit) => {
      requests.push({ url, init, body: JSON.parse(init.body as string) });
      if (gate) await gate;
      const answer = answers.shift() ?? 200;
      if (typeof answer == 'function') return answer();
      const [status, headers] = typeof answer == 'number' ? [answer, {}] : answer;
      return new Response(status < 300 ? '{"success":true}' : '{"success":false}', { status, headers });
    }),
  );
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('leases', () => {
  it('a live lease of another sender: busy until its time, nothing sent', async () => {
    const until = Date.now() + 5000;
    storage.set(lease('ada'), String(until));
    const { core } = runtime();
    expect(await core._send('ada', LIVE)).toEqual(['busy', until]);
    expect(requests).toHaveLength(0);
    expect(storage.get(lease('ada'))).toBe(String(until));
  });

  it('an expired lease, or one further ahead than a lease can be (the clock went back), is no lease', async () => {
    const now = Date.now();
    expect([leaseOver(String(now - 1), now), leaseOver(String(now + 16_000), now), leaseOver('garbage', now), leaseOver(null, now)]).toEqual([true, true, true, true]);
    expect(leaseOver(String(now + 1000), now)).toBe(false);
    storage.set(lease('ada'), String(now - 1));
    const { core } = runtime();
    expect(await core._send('ada', LIVE)).toEqual(['', 0]);
    expect(requests).toHaveLength(1);
  });

  it('holds the lease while its request is in flight, deletes it after, records first', async () => {
    let release!: () => void;
    gate = new Promise((r) => (release = r));
    const order: string[] = [];
    const { core } = runtime({
      _remove: (keys) => {
        order.push('records');
        keys.forEach((k) => storage.delete(k));
      },
    });
    const sending = core._send('ada', LIVE);
    await vi.waitFor(() => expect(requests).toHaveLength(1));
    const held = Number(storage.get(lease('ada')));
    expect(held).toBeGreaterThan(Date.now() + 10_000); // the full lease, longer than the request timeout
    // The same runtime never sends an id twice at once.
    expect(await core._send('ada', LIVE)).toEqual(['busy', 0]);
    release();
    await sending;
    expect(storage.has(lease('ada'))).toBe(false);
    expect(order).toEqual(['records']);
    expect(requests).toHaveLength(1);
  });

  it('the record gone from storage (another sender delivered it): nothing sent, the lease freed', async () => {
    const { core } = runtime();
    storage.delete('growlytics:r:ada');
    expect(await core._send('ada', LIVE)).toEqual(['', 0]);
    expect(requests).toHaveLength(0);
    expect(storage.has(lease('ada'))).toBe(false);
  });
});

describe('the verdict', () => {
  it('2xx: records deleted (not lost); a pause past its purpose deleted, a running Retry-After kept without its backoff', async () => {
    storage.set('growlytics:p', '1,1,3');
    const { core, calls } = runtime({ records: { ada: { plan: 'pro' }, bob: { plan: 'free' } } });
    await core._send('ada', LIVE);
    expect(calls.removed).toEqual([[['growlytics:r:ada'], false]]);
    expect(storage.has('growlytics:p')).toBe(false);
    expect(calls.reports).toEqual([]);
    // A page hide sends during a backoff wait: its answer ends the wait.
    storage.set('growlytics:p', [Date.now() + 30_000, 0, 2].join());
    await core._send('bob', HIDDEN);
    expect(storage.has('growlytics:p')).toBe(false);
  });

  it('2xx while another sender was told Retry-After: the hold stays, its backoff and failures go', async () => {
    let release!: () => void;
    gate = new Promise((r) => (release = r));
    const { core } = runtime();
    const sending = core._send('ada', LIVE);
    await vi.waitFor(() => expect(requests).toHaveLength(1));
    const hold = Date.now() + 60_000;
    storage.set('growlytics:p', [hold + 30_000, hold, 2].join());
    release();
    await sending;
    expect(await readPause(asyncStore())).toEqual([hold, hold, 0]);
  });

  it('422: dropped (lost) and reported, never retried', async () => {
    answers = [422];
    const { core, calls } = runtime();
    expect(await core._send('ada', LIVE)).toEqual(['', 0]);
    expect(calls.removed).toEqual([[['growlytics:r:ada'], true]]);
    expect(calls.reports).toEqual(['rejected: ada rejected (422) {"success":false}']);
    expect(storage.has('growlytics:p')).toBe(false);
  });

  it('503: the record stays, the shared pause is written (backoff, one failed round) and every later send waits for it', async () => {
    answers = [503];
    const { core, calls } = runtime();
    const before = Date.now();
    const [why, at] = await core._send('ada', LIVE);
    const [until, hold, failures] = await readPause(asyncStore());
    expect([why, at]).toEqual(['', until]);
    expect(until).toBeGreaterThanOrEqual(before);
    expect(until).toBeLessThanOrEqual(Date.now() + 1000); // the first cap: 1 s
    expect([hold <= Date.now(), failures]).toEqual([true, 1]);
    expect(calls.removed).toEqual([]);
    expect(storage.has('growlytics:r:ada')).toBe(true);
    // Another runtime (a second tab, a pixel) over the same storage obeys it.
    storage.set('growlytics:p', [Date.now() + 5000, 0, 1].join());
    const other = runtime();
    expect((await other.core._send('ada', LIVE))[0]).toBe('backoff');
    // A page hide goes during a backoff wait.
    expect((await other.core._send('ada', HIDDEN))[0]).toBe('');
    expect(requests).toHaveLength(2);
  });

  it('three 503s, then success: four attempts, each only once the pause written by the last one is over', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    // The jitter's middle: waits of half the cap, 0.5 s, 1 s, 2 s.
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    answers = [503, 503, 503];
    const { core } = runtime();
    const start = Date.now();
    let tries = 0;
    // A tight loop would send at once; the rules make each try wait for the pause.
    while (storage.has('growlytics:r:ada') && tries < 50) {
      tries++;
      const [why, at] = await core._send('ada', LIVE);
      if (why == 'backoff') expect(at).toBeGreaterThan(Date.now());
      if (at) vi.setSystemTime(at);
    }
    expect(requests).toHaveLength(4);
    expect(Date.now() - start).toBe(3500);
    expect((await readPause(asyncStore()))[2]).toBe(0);
    vi.restoreAllMocks();
  });

  it('429 with Retry-After: 120: a hold every runtime obeys, a page hide included; flush ends the backoff, not the hold', async () => {
    answers = [[429, { 'retry-after': '120' }]];
    const { core } = runtime();
    await core._send('ada', LIVE);
    const [until, hold] = await readPause(asyncStore());
    expect(hold).toBeGreaterThan(Date.now() + 119_000);
    expect(until).toBeGreaterThanOrEqual(hold);
    expect((await core._send('ada', HIDDEN))[0]).toBe('Retry-After');
    expect((await core._send('ada', GONE))[0]).toBe('Retry-After');
    await endBackoff(asyncStore());
    expect((await core._send('ada', LIVE))[0]).toBe('Retry-After');
    expect(requests).toHaveLength(1);
  });

  it('401: the refused key is shared; no sender sends with it, a page hide included', async () => {
    answers = [401];
    const { core, calls } = runtime();
    await core._send('ada', LIVE);
    expect(storage.get('growlytics:k')).toBe('key-1');
    expect(calls.reports).toEqual(['unauthorized: key refused (401)']);
    const other = runtime();
    expect(await other.core._send('ada', LIVE)).toEqual(['key refused', 0]);
    expect(await other.core._send('ada', GONE)).toEqual(['key refused', 0]);
    // Another key goes.
    expect((await runtime({ _key: () => 'key-2' }).core._send('ada', LIVE))[0]).toBe('');
    expect(requests).toHaveLength(2);
  });
});

describe('consent and keys', () => {
  it('consent is asked before every send and retry', async () => {
    let allowed = true;
    answers = [503];
    const { core } = runtime({ _allowed: () => allowed });
    await core._send('ada', LIVE);
    allowed = false;
    await endBackoff(asyncStore());
    expect(await core._send('ada', LIVE)).toEqual(['consent', 0]);
    expect(await core._send('ada', GONE)).toEqual(['consent', 0]);
    expect(requests).toHaveLength(1);
    expect(storage.has('growlytics:r:ada')).toBe(true);
  });

  it('no key: nothing sent, unless the endpoint is a relay; then no key header and text/plain (SPEC §6)', async () => {
    expect(await runtime({ _key: () => '' }).core._send('ada', LIVE)).toEqual(['no key', 0]);
    expect(requests).toHaveLength(0);
    const { core } = runtime({ _key: () => '', _relay: () => true, _endpoint: () => '/apps/growlytics/track/user' });
    expect(await core._send('ada', LIVE)).toEqual(['', 0]);
    expect(requests.map((r) => [r.url, r.init.headers])).toEqual([['/apps/growlytics/track/user', { 'content-type': 'text/plain' }]]);
  });

  it('with a key: JSON and the key header', async () => {
    await runtime().core._send('ada', LIVE);
    expect(requests[0].init.headers).toEqual({ 'content-type': 'application/json', 'x-growlytics-key': 'key-1' });
    expect(requests[0].body).toEqual({ id: 'ada', attributes: { plan: 'pro' } });
  });
});

describe('keepalive and page hide', () => {
  const ids = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => ['id' + i, { n: i }]));

  it('while the page lives: what the runtime allows; as it hides or goes: the 8-request share, whatever it allowed', async () => {
    let release!: () => void;
    gate = new Promise((r) => (release = r));
    const { core } = runtime({ records: ids(10), _keepalive: () => 0 });
    core._send('id0', LIVE);
    await vi.waitFor(() => expect(requests).toHaveLength(1));
    for (let i = 1; i < 10; i++) core._send('id' + i, HIDDEN);
    await vi.waitFor(() => expect(requests).toHaveLength(10));
    release();
    expect(requests.map((r) => r.init.keepalive)).toEqual([false, true, true, true, true, true, true, true, true, false]);
  });

  it('as the page goes, its own request that went without keepalive is sent again with it; one with keepalive is not', async () => {
    let release!: () => void;
    gate = new Promise((r) => (release = r));
    const { core } = runtime({ records: ids(2), _keepalive: () => 0 });
    const first = core._send('id0', LIVE);
    await vi.waitFor(() => expect(requests).toHaveLength(1));
    expect(await Promise.race([core._send('id0', HIDDEN), new Promise((r) => setTimeout(() => r('sent'), 50))])).toEqual(['busy', 0]);
    const again = core._send('id0', GONE);
    await vi.waitFor(() => expect(requests).toHaveLength(2));
    expect(requests.map((r) => [r.body.id, r.init.keepalive])).toEqual([['id0', false], ['id0', true]]);
    // Now its request in flight has keepalive: a second page hide leaves it.
    expect(await Promise.race([core._send('id0', GONE), new Promise((r) => setTimeout(() => r('sent'), 50))])).toEqual(['busy', 0]);
    // The page going away writes the short lease (3 s), not the full one.
    expect(Number(storage.get(lease('id0')))).toBeLessThanOrEqual(Date.now() + 3000);
    release();
    await Promise.all([first, again]);
    expect(storage.has(lease('id0'))).toBe(false);
    expect(requests).toHaveLength(2);
  });

  it('debug lines: sent, then answered with the status', async () => {
    answers = [503];
    const { core, calls } = runtime();
    await core._send('ada', LIVE);
    expect(calls.debug).toEqual([['sent', 'ada'], ['answered', 'ada', 503]]);
  });

  it('over a store that answers at once (the theme), the same rules hold', async () => {
    answers = [503];
    const { core } = runtime({ _store: syncStore() });
    await core._send('ada', LIVE);
    expect((await core._send('ada', LIVE))[0]).toBe('backoff');
    expect(requests).toHaveLength(1);
  });
});

describe('the request', () => {
  it('its timeout timer is cleared when the request ends', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    expect(await post('https://x.test/', 'k', '{}', false)).toEqual([200, null, '{"success":true}']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a hung request is given up after 6 s: status 0', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    vi.stubGlobal('fetch', (_: string, init: RequestInit) => new Promise((_r, reject) => init.signal!.addEventListener('abort', () => reject(new Error('aborted')))));
    const answer = post('https://x.test/', 'k', '{}', false);
    await vi.advanceTimersByTimeAsync(6000);
    expect(await answer).toEqual([0]);
  });
});
