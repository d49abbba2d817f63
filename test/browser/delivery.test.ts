// Delivery to the real collector, in each engine: the exact request, the retry
// policy (5xx, 429 + Retry-After, 422, 401), an id updated while its request
// is in flight, and identify followed by an immediate navigation.
// SPEC §1, §2 (identify), §3; issues 2 and 3.
import { describe, expect, test } from 'vitest';
import { okRequests, pageErrorsOf, sleep, statusCount, useHarness, type Env, type Tab } from './harness';

const h = useHarness();

/** Console output of these types (the probe reports what page code prints, not the browser's own network lines). */
const ownConsole = (tab: Tab, types = ['error', 'warning']) => tab.console.filter((m) => types.includes(m.type));

async function openBasic(env: Env, opts: Parameters<Env['page']>[0] = {}): Promise<Tab> {
  await env.serve({ '/': env.page(opts), '/next': env.page(opts), '/plain': '<!doctype html><title>no snippet</title><p>elsewhere</p>' });
  return env.open('/');
}

describe('basic delivery', () => {
  test('identify sends exactly {id, attributes} with the key header, through a CORS preflight', async () => {
    const env = await h.setup();
    const tab = await openBasic(env);

    const result = await tab.evaluate(() =>
      (window as any).growlytics.identify('cust-42', {
        plan: 'pro',
        seats: 3,
        ratio: 0.25,
        active: true,
        trial: false,
        since: new Date('2024-01-02T03:04:05.678Z'),
        name: 'Ada Lovelace',
        email: 'ada@example.com',
        mobile: '+15550100',
      }),
    );
    expect(result).toEqual({ queued: true, errors: [] });

    await env.waitFor((c) => okRequests(c, 'cust-42').length >= 1, 10_000, 'cust-42 delivered');
    const c = env.collector;
    const sent = c.requests.filter((r) => r.id === 'cust-42');
    expect(sent.length).toBe(1);
    const r = sent[0];
    expect(r.status).toBe(200);
    expect(r.path).toBe('/track/user');
    expect(r.headers['x-growlytics-key']).toBe('demo-key');
    expect(r.headers['content-type']).toBe('application/json');
    const body = JSON.parse(r.body);
    expect(Object.keys(body).sort()).toEqual(['attributes', 'id']);
    expect(body).toEqual({
      id: 'cust-42',
      attributes: {
        plan: 'pro',
        seats: 3,
        ratio: 0.25,
        active: true,
        trial: false,
        since: '2024-01-02T03:04:05.678Z',
        name: 'Ada Lovelace',
        email: 'ada@example.com',
        mobile: '+15550100',
      },
    });
    expect(c.profiles.get('cust-42')?.attributes).toEqual(body.attributes);
    // The custom header makes the request non-simple: the browser asked first.
    expect(c.preflights).toBeGreaterThanOrEqual(1);
    expect(statusCount(c, 422)).toBe(0);
    expect(c.ignored).toEqual([]);
    expect(pageErrorsOf(env.tabs)).toEqual([]);
    // Without data-debug the console stays quiet when nothing is lost.
    expect(ownConsole(tab, ['error', 'warning', 'log', 'info'])).toEqual([]);
    expect(env.events).toEqual([]);
  });

  test('id forms: alone, trimmed, gid prefix stripped, a finite number', async () => {
    const env = await h.setup();
    const tab = await openBasic(env);
    const results = await tab.evaluate(() => {
      const g = (window as any).growlytics;
      return [g.identify('solo-1'), g.identify('  padded-1  ', { k: 'v' }), g.identify('gid://shopify/Customer/6713034932445'), g.identify(987654321)];
    });
    for (const r of results) expect(r).toEqual({ queued: true, errors: [] });
    const ids = ['solo-1', 'padded-1', '6713034932445', '987654321'];
    await env.waitFor((c) => ids.every((id) => okRequests(c, id).length > 0), 10_000, `${ids.join(', ')} delivered`);
    const bodies = Object.fromEntries(ids.map((id) => [id, JSON.parse(okRequests(env.collector, id)[0].body)]));
    expect(bodies['solo-1']).toEqual({ id: 'solo-1', attributes: {} });
    expect(bodies['padded-1']).toEqual({ id: 'padded-1', attributes: { k: 'v' } });
    expect(bodies['6713034932445']).toEqual({ id: '6713034932445', attributes: {} });
    expect(bodies['987654321']).toEqual({ id: '987654321', attributes: {} });
    expect(env.collector.requests.every((r) => ids.includes(r.id as string))).toBe(true);
    expect(pageErrorsOf(env.tabs)).toEqual([]);
  });
});

describe('retry policy', () => {
  test('three 503s, then success: delivered by the backoff timer alone', async () => {
    const env = await h.setup();
    const tab = await openBasic(env);
    env.collector.setFaults({ status: 503, times: 3 });
    const t0 = Date.now();
    expect(await tab.identify('retry-503', { plan: 'basic' })).toEqual({ queued: true, errors: [] });
    // Backoff base 1 s doubling with full jitter: at most 1 + 2 + 4 s of waits.
    await env.waitFor((c) => okRequests(c, 'retry-503').length === 1, 20_000, 'retry-503 delivered after three 503s');
    const sent = env.collector.requests.filter((r) => r.id === 'retry-503');
    expect(sent.map((r) => r.status)).toEqual([503, 503, 503, 200]);
    expect(env.collector.profiles.get('retry-503')?.attributes).toEqual({ plan: 'basic' });
    // Retries are spaced out, not a tight loop.
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(env.events).toEqual([]);
    expect(pageErrorsOf(env.tabs)).toEqual([]);
  });

  test('429 with Retry-After: 2 pauses the whole queue for 2 s, even against flush()', async () => {
    const env = await h.setup();
    const tab = await openBasic(env);
    env.collector.setFaults({ status: 429, retryAfter: 2, times: 1 });
    await tab.identify('rate-1', { plan: 'a' });
    await env.waitFor((c) => c.requests.some((r) => r.id === 'rate-1' && r.status === 429), 10_000, 'rate-1 answered 429');
    const first = env.collector.requests.find((r) => r.id === 'rate-1')!;

    // During the pause: another id and an explicit flush must not send anything.
    await sleep(300);
    await tab.identify('rate-2', { plan: 'b' });
    const t = Date.now();
    expect(await tab.flush(5_000)).toBe('resolved');
    // flush() does not wait out a Retry-After pause (SPEC §2 flush).
    expect(Date.now() - t).toBeLessThan(1_500);

    await env.waitFor((c) => okRequests(c, 'rate-1').length === 1 && okRequests(c, 'rate-2').length === 1, 15_000, 'rate-1 and rate-2 delivered after the pause');
    const reqs = env.collector.requests;
    const later = reqs.filter((r) => r.n > first.n);
    for (const r of later) {
      // "No retry before 2 s": measured between arrivals at the collector.
      expect(r.at - first.at, `request #${r.n} (${r.id}) came ${r.at - first.at} ms after the 429`).toBeGreaterThanOrEqual(1_950);
    }
    expect(reqs.filter((r) => r.id === 'rate-1').map((r) => r.status)).toEqual([429, 200]);
    expect(env.events).toEqual([]);
    expect(pageErrorsOf(env.tabs)).toEqual([]);
  });

  test('422 for one id: dropped after at most two attempts, with the server details and an event; the others delivered', async () => {
    const env = await h.setup();
    const tab = await openBasic(env);
    env.collector.setFaults({ rejectIds: ['bad-1'] });
    await tab.evaluate(() => {
      const g = (window as any).growlytics;
      g.identify('good-1', { plan: 'a' });
      g.identify('bad-1', { plan: 'b' });
      g.identify('good-2', { plan: 'c' });
    });
    await env.waitFor(
      (c) => okRequests(c, 'good-1').length === 1 && okRequests(c, 'good-2').length === 1 && c.requests.some((r) => r.id === 'bad-1' && r.status === 422),
      10_000,
      'good ids delivered and bad-1 rejected',
    );
    // Give a wrongly retrying sender every chance: flush() skips backoff waits,
    // and the first backoff step is at most 1 s.
    await tab.flush(5_000);
    await sleep(1_500);
    await tab.flush(5_000);
    await sleep(500);

    const bad = env.collector.requests.filter((r) => r.id === 'bad-1');
    expect(bad.length).toBeGreaterThanOrEqual(1);
    expect(bad.length).toBeLessThanOrEqual(2);
    expect(bad.every((r) => r.status === 422)).toBe(true);
    // The console shows what the server said (its message, raw or JSON-escaped).
    const shown = ownConsole(tab, ['error']).map((m) => m.text).join('\n');
    expect(shown).toMatch(/customer \\?"bad-1\\?" rejected \(simulated\)/);
    // The theme can hook it.
    const ev = env.events.filter((e) => e.type === 'rejected');
    expect(ev.length).toBeGreaterThanOrEqual(1);
    expect(ev[0].id).toBe('bad-1');
    expect(typeof ev[0].message).toBe('string');
    // Dropped for good: no record of it left queued.
    const stored = await tab.storage();
    const records = Object.entries(stored).filter(([k]) => k.startsWith('growlytics:r:'));
    expect(records.filter(([, v]) => v.includes('"bad-1"'))).toEqual([]);
    expect(pageErrorsOf(env.tabs)).toEqual([]);
  });

  test('401 (wrong key): nothing lost, sending pauses; the page reloaded with the right key delivers it all', async () => {
    const env = await h.setup();
    await env.serve({
      '/': (_req: unknown, url: URL) => env.page({ key: url.searchParams.get('key') ?? 'wrong-key' }),
    });
    const tab = await env.open('/?key=wrong-key');
    expect(await tab.identify('k-1', { plan: 'gold' })).toEqual({ queued: true, errors: [] });
    await env.waitFor((c) => c.requests.some((r) => r.id === 'k-1' && r.status === 401), 10_000, 'k-1 answered 401');
    // The page learns of the 401 a moment after the collector wrote it.
    await expect.poll(() => env.events.filter((e) => e.type === 'unauthorized').map((e) => e.id), { timeout: 5_000 }).toEqual(['k-1']);
    expect(ownConsole(tab, ['error']).length).toBeGreaterThan(0);

    // Paused: a new identify and a flush send nothing with the wrong key.
    const before = env.collector.requests.length;
    expect(await tab.identify('k-2', { plan: 'silver' })).toEqual({ queued: true, errors: [] });
    expect(await tab.flush(5_000)).toBe('resolved');
    await sleep(1_000);
    expect(env.collector.requests.length).toBe(before);

    await tab.goto('/?key=demo-key');
    await env.waitFor((c) => okRequests(c, 'k-1').length === 1 && okRequests(c, 'k-2').length === 1, 15_000, 'k-1 and k-2 delivered after reload with the right key');
    expect(env.collector.profiles.get('k-1')?.attributes).toEqual({ plan: 'gold' });
    expect(env.collector.profiles.get('k-2')?.attributes).toEqual({ plan: 'silver' });
    expect(statusCount(env.collector, 401)).toBeLessThanOrEqual(2);
    expect(pageErrorsOf(env.tabs)).toEqual([]);
  });

  test('401 (wrong key), then init({key}) on the same page resumes sending', async () => {
    const env = await h.setup();
    const tab = await openBasic(env, { key: 'wrong-key' });
    await tab.identify('k-3', { plan: 'gold' });
    await env.waitFor((c) => c.requests.some((r) => r.id === 'k-3' && r.status === 401), 10_000, 'k-3 answered 401');
    await expect.poll(() => env.events.some((e) => e.type === 'unauthorized'), { timeout: 5_000 }).toBe(true);
    await tab.evaluate((key) => (window as any).growlytics.init({ key }), env.key);
    await env.waitFor((c) => okRequests(c, 'k-3').length === 1, 10_000, 'k-3 delivered after init brought the key');
    expect(okRequests(env.collector, 'k-3')[0].headers['x-growlytics-key']).toBe('demo-key');
    expect(pageErrorsOf(env.tabs)).toEqual([]);
  });
});

describe('throughput', () => {
  test('a run of large profiles (30 KB each) is delivered promptly: keepalive never starves the queue', async () => {
    // Chromium counts a keepalive request against its 64 KiB quota until its
    // response body is consumed; a sender that budgets only its own bytes
    // gets TypeErrors on later keepalive requests and backs off needlessly.
    const env = await h.setup();
    const tab = await openBasic(env);
    // 14 x ~30 KB: inside the queue's bound (about 500,000 characters), so nothing is evicted.
    const ids = Array.from({ length: 14 }, (_, i) => `large-${i}`);
    const t0 = Date.now();
    const results = await tab.evaluate((list) => {
      const g = (window as any).growlytics;
      return list.map((id, n) => {
        const attrs: Record<string, string> = {};
        for (let i = 0; i < 15; i++) attrs['q' + i] = String.fromCharCode(97 + ((n + i) % 26)).repeat(2000);
        return g.identify(id, attrs);
      });
    }, ids);
    for (const r of results) expect(r).toEqual({ queued: true, errors: [] });
    await env.waitFor((c) => ids.every((id) => okRequests(c, id).length === 1), 20_000, 'all large profiles delivered');
    expect(env.events, 'nothing evicted').toEqual([]);
    const took = Date.now() - t0;
    console.log(`14 large profiles delivered in ${took} ms`);
    // The drain target is 1,000 small profiles within 5 s; 14 large ones get 5 s too.
    expect(took).toBeLessThan(5_000);
    expect(pageErrorsOf(env.tabs)).toEqual([]);
  });
});

describe('ordering and unload', () => {
  test('the same id updated while its request is in flight: the collector ends with the newest values', async () => {
    const env = await h.setup();
    const tab = await openBasic(env);
    const delayMs = 1_500;
    env.collector.setFaults({ delayMs });
    await tab.identify('upd-1', { plan: 'basic', seats: 1, tier: 'one' });
    await env.waitFor((c) => c.requests.some((r) => r.id === 'upd-1'), 10_000, 'upd-1 in flight');
    expect(env.collector.requests.filter((r) => r.id === 'upd-1')[0].status).toBe(null);
    // While the first request is held by the collector:
    await tab.identify('upd-1', { plan: 'pro', seats: 5 });
    await tab.identify('upd-1', { plan: 'enterprise' });

    await env.waitFor(
      (c) => c.profiles.get('upd-1')?.attributes.plan === 'enterprise' && c.requests.every((r) => r.status !== null),
      15_000,
      'upd-1 ends with the newest plan',
    );
    await tab.flush(5_000);
    await sleep(delayMs + 500);
    expect(env.collector.profiles.get('upd-1')?.attributes).toEqual({ plan: 'enterprise', seats: 5, tier: 'one' });
    const sent = env.collector.requests.filter((r) => r.id === 'upd-1');
    expect(sent.every((r) => r.status === 200)).toBe(true);
    // Never two in flight for one id: the second arrived after the first was answered.
    for (let i = 1; i < sent.length; i++) expect(sent[i].at - sent[i - 1].at).toBeGreaterThanOrEqual(delayMs - 50);
    // The last request carried the newest values.
    expect(JSON.parse(sent[sent.length - 1].body).attributes.plan).toBe('enterprise');
    expect(pageErrorsOf(env.tabs)).toEqual([]);
  });

  test('identify, then an immediate navigation to another store page: delivered', async () => {
    const env = await h.setup();
    const tab = await openBasic(env);
    await tab
      .evaluate(() => {
        (window as any).growlytics.identify('nav-1', { plan: 'pro', seats: 2 });
        location.href = '/next';
      })
      .catch(() => {}); // the navigation may destroy the evaluation's context
    await tab.waitForFunction(() => location.pathname === '/next', undefined, 10_000);
    await env.waitFor((c) => okRequests(c, 'nav-1').length >= 1, 15_000, 'nav-1 delivered');
    expect(env.collector.profiles.get('nav-1')?.attributes).toEqual({ plan: 'pro', seats: 2 });
    expect(pageErrorsOf(env.tabs)).toEqual([]);
  });

  test('identify, then an immediate navigation to a page without the snippet: delivered (keepalive)', async () => {
    const env = await h.setup();
    const tab = await openBasic(env);
    await tab
      .evaluate(() => {
        (window as any).growlytics.identify('nav-2', { plan: 'basic' });
        location.href = '/plain';
      })
      .catch(() => {});
    await tab.waitForFunction(() => location.pathname === '/plain', undefined, 10_000);
    await env.waitFor((c) => okRequests(c, 'nav-2').length >= 1, 10_000, 'nav-2 delivered by the leaving page');
    expect(env.collector.profiles.get('nav-2')?.attributes).toEqual({ plan: 'basic' });
    expect(pageErrorsOf(env.tabs)).toEqual([]);
  });
});
