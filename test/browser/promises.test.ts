// Promises of SPEC §2-§4 that a careful reviewer broke by hand (issue 7):
// order across a real reload, large values, the queue's bound, an unusable
// key or endpoint, privacy of what stays in storage, re-identifying a
// customer whose profile was not delivered, and the small ones. Every
// assertion is about what the real collector received.
import { describe, expect, test } from 'vitest';
import { DEMO_CUSTOMERS } from '../../demo/storefront.mjs';
import { hash } from '../../src/core/record';
import { okRequests, pageErrorsOf, useHarness } from './harness';

const h = useHarness();

const recordKeys = (storage: Record<string, string>) => Object.keys(storage).filter((k) => k.startsWith('growlytics:r:'));

describe('order and size', () => {
  test('twelve calls in one millisecond, then a reload: the newest value is the one delivered', async () => {
    const env = await h.setup();
    await env.serve({ '/': env.page() });
    const tab = await env.open('/');
    env.collector.setFaults({ status: 503 });
    await tab.evaluate(() => {
      // One frozen millisecond: a fast machine makes all twelve calls within it.
      const now = Date.now;
      const t = now();
      Date.now = () => t;
      try {
        for (let v = 0; v < 12; v++) (window as any).growlytics.identify('order-1', { v });
      } finally {
        Date.now = now;
      }
    });
    await env.waitFor((c) => c.requests.some((r) => r.status === 503), 10_000, 'a first attempt failed');
    await tab.reload();
    expect(recordKeys(await tab.storage())).toHaveLength(12);
    env.collector.setFaults({});
    await tab.flush();
    await env.waitFor((c) => okRequests(c, 'order-1').length === 1, 10_000, 'order-1 delivered');
    expect(env.collector.profiles.get('order-1')?.attributes).toEqual({ v: 11 });
  });

  test('a 100 KiB value is delivered intact, from the queue after a reload, without keepalive (past its quota)', async () => {
    const env = await h.setup();
    await env.serve({ '/': env.page() });
    const tab = await env.open('/');
    env.collector.setFaults({ status: 503 });
    // Varied text (not one repeated letter), with characters of 2 and 3 bytes.
    const value = Array.from({ length: 100 * 1024 }, (_, i) => 'aé€z'[i % 4]).join('');
    expect(await tab.identify('big-1', { note: value, plan: 'pro' })).toEqual({ queued: true, errors: [] });
    await env.waitFor((c) => c.requests.some((r) => r.id === 'big-1'), 10_000, 'a first attempt');
    await tab.reload();
    env.collector.setFaults({});
    await tab.flush();
    await env.waitFor((c) => okRequests(c, 'big-1').length === 1, 10_000, 'big-1 delivered');
    expect(env.collector.profiles.get('big-1')?.attributes.note).toBe(value);
    // The collector counts the 200 as it answers; the page removes the record
    // when the answer reaches it: flush() resolves after the drain handled it.
    await tab.flush();
    expect(recordKeys(await tab.storage())).toEqual([]);
  });

  test('a hidden page sends a body past the keepalive quota without keepalive instead of failing', async () => {
    const env = await h.setup();
    await env.serve({ '/': env.page() });
    const tab = await env.open('/');
    // Over 64 KiB: with keepalive the browser refuses the request outright.
    await tab.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
      (window as any).growlytics.identify('hidden-big', { note: 'x'.repeat(80 * 1024) });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await env.waitFor((c) => okRequests(c, 'hidden-big').length === 1, 10_000, 'hidden-big delivered');
    expect(env.collector.requests.filter((r) => r.id === 'hidden-big')).toHaveLength(1);
  });

  test('an update larger than the whole queue is refused by identify, and nothing queued before is evicted', async () => {
    const env = await h.setup();
    await env.serve({ '/': env.page() });
    const tab = await env.open('/');
    env.collector.setFaults({ status: 503 });
    await tab.identify('small-1', { plan: 'pro' });
    const huge = await tab.identify('huge-1', { note: 'x'.repeat(600_000) });
    expect(huge.queued).toBe(false);
    expect(huge.errors).toEqual(['attributes: over 500000 chars']);
    expect(env.events.filter((e) => e.type === 'evicted')).toEqual([]);
    env.collector.setFaults({});
    await tab.flush();
    await env.waitFor((c) => okRequests(c, 'small-1').length === 1, 10_000, 'small-1 delivered');
    expect(env.collector.requests.some((r) => r.id === 'huge-1')).toBe(false);
    // The refused call locked no type: a number is still welcome under that name.
    expect((await tab.identify('small-2', { note: 1 })).errors).toEqual([]);
  });

  test('a merged request the server refuses as too large (413) is reported, attempted once, not retried', async () => {
    const env = await h.setup();
    await env.serve({ '/': env.page() });
    const tab = await env.open('/');
    // Each call fits; merged they pass the collector's 1 MiB body limit (3-byte characters).
    const part = '€'.repeat(200_000);
    await tab.evaluate((p) => {
      (window as any).growlytics.identify('large-1', { a: p });
      (window as any).growlytics.identify('large-1', { b: p });
    }, part);
    await env.waitFor((c) => c.requests.some((r) => r.status === 413), 15_000, 'the 413');
    await tab.flush();
    await tab.reload();
    await tab.flush();
    expect(env.collector.requests.filter((r) => r.id === 'large-1' || r.status === 413).map((r) => r.status)).toEqual([413]);
    const rejected = env.events.filter((e) => e.type === 'rejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0].message).toContain('(413)');
    expect(recordKeys(await tab.storage())).toEqual([]);
  });
});

describe('key and endpoint', () => {
  test('a key with a zero-width space is refused at the script tag, loudly; nothing is sent until init brings a usable key', async () => {
    const env = await h.setup();
    await env.serve({ '/': env.page({ key: 'demo\u200bkey' }) });
    const tab = await env.open('/');
    expect(env.events.map((e) => [e.type, e.message])).toEqual([
      ['unauthorized', 'growlytics: key refused: demo%u200Bkey'],
    ]);
    expect(tab.console.some((m) => m.type === 'error' && m.text.includes('key refused'))).toBe(true);
    expect((await tab.identify('zw-1', { n: 1 })).queued).toBe(true);
    await tab.flush();
    expect(env.collector.requests).toEqual([]);
    await tab.evaluate((key) => (window as any).growlytics.init({ key }), env.key);
    await env.waitFor((c) => okRequests(c, 'zw-1').length === 1, 10_000, 'zw-1 delivered once a key arrived');
    expect(env.collector.requests).toHaveLength(1);
  });

  test('an endpoint that is not an http(s) URL is refused where it is given; the usable one stays', async () => {
    const env = await h.setup();
    await env.serve({ '/': env.page() });
    const tab = await env.open('/');
    await tab.evaluate(() => (window as any).growlytics.init({ endpoint: 'javascript:alert(1)', debug: true }));
    expect(env.events.map((e) => e.type)).toEqual(['unauthorized']);
    expect(env.events[0].message).toBe('growlytics: endpoint refused: javascript:alert(1)'); // readable: only invisible characters escaped
    await tab.identify('ep-1', { n: 1 });
    await env.waitFor((c) => okRequests(c, 'ep-1').length === 1, 10_000, 'delivered to the endpoint given before');
  });

  test("init's own key and endpoint rules agree with this engine's Headers and Request", async () => {
    const env = await h.setup();
    await env.serve({ '/': env.page() });
    const tab = await env.open('/');
    const keys = ['plain-key', ' padded\t', 'nbsp\u00a0', 'latin-\u00e9\u00ff', 'del\x7f tab\t', 'zero\u200bwidth', 'a\u0100', 'emoji\u{1F600}', 'nul\0x', 'cr\rx', 'lf\nx'];
    const endpoints = ['/apps/growlytics/track/user', 'HTTPS://Example.com/t', '//cdn.example.com/t', ' https://example.com/t ', 'ftp://x', 'mailto:a@b.c', 'https://exa mple.com/t', 'http://[::1/t', 'https://'];
    const verdicts = await tab.evaluate(([keys, endpoints]) => {
      const g = (window as any).growlytics;
      let refused = false;
      addEventListener('growlytics:error', () => (refused = true));
      const ours = (name: string, value: string) => {
        refused = false;
        g.init({ [name]: value });
        return !refused;
      };
      const engine = (build: () => boolean) => {
        try {
          return build();
        } catch {
          return false;
        }
      };
      return {
        keys: keys.map((key) => [key, ours('key', key), engine(() => !!new Headers({ k: key }))]),
        endpoints: endpoints.map((url) => [url, ours('endpoint', url), engine(() => /^https?:$/.test(new URL(new Request(url).url).protocol))]),
      };
    }, [keys, endpoints]);
    for (const [value, ours, engine] of [...verdicts.keys, ...verdicts.endpoints]) expect(ours, JSON.stringify(value)).toBe(engine);
    expect(verdicts.keys.filter(([, ok]) => !ok)).toHaveLength(6);
  });
});

describe('privacy', () => {
  test('once delivered, storage holds neither the id nor a value; per-id bookkeeping stays bounded', async () => {
    const env = await h.setup();
    await env.serve({ '/': env.page() });
    const tab = await env.open('/');
    const ids = Array.from({ length: 205 }, (_, i) => `shopper${i}@example.com`);
    await tab.evaluate((list) => list.forEach((id, i) => (window as any).growlytics.identify(id, { secretPlan: 'plan-' + i })), ids);
    await env.waitFor((c) => ids.every((id) => okRequests(c, id).length === 1), 30_000, 'all 205 delivered');
    await tab.flush();
    const storage = await tab.storage();
    const text = JSON.stringify(storage);
    expect(text).not.toContain('@example.com');
    expect(text).not.toContain('plan-');
    expect(recordKeys(storage)).toEqual([]);
    expect(Object.keys(storage).filter((k) => k.startsWith('growlytics:n:')).length).toBeLessThanOrEqual(200);
  });

  test("reset() forgets the logged-in customer's bookkeeping: the names counted for them and the fingerprint", async () => {
    const env = await h.setup();
    await env.serve({});
    const ada = String((DEMO_CUSTOMERS as { id: number }[])[0].id);
    const tab = await env.open(`/login?as=1&return=/`);
    await env.waitFor((c) => okRequests(c, ada).length === 1, 10_000, 'Ada auto-identified');
    await tab.identify(null, { plan: 'pro' });
    await env.waitFor((c) => okRequests(c, ada).length === 2, 10_000, 'the plan delivered');
    const namesKey = 'growlytics:n:' + hash(ada);
    expect(JSON.parse((await tab.storage())[namesKey])).toEqual(['plan']);
    expect(await tab.storage()).toHaveProperty('growlytics:f');
    await tab.evaluate(() => (window as any).growlytics.reset());
    const after = await tab.storage();
    expect(after).not.toHaveProperty(namesKey);
    expect(after).not.toHaveProperty('growlytics:f');
  });
});

describe('small ones', () => {
  test('debug mode with a console that throws: identify answers, nothing escapes', async () => {
    const env = await h.setup();
    const before = `console.warn = function () { throw new Error('theme console wrapper'); };`;
    await env.serve({ '/': env.page({ debug: true, before }) });
    const tab = await env.open('/');
    const result = await tab.identify('dbg-1', { bad: null });
    expect(result).toEqual({ queued: true, errors: ['"bad": not string/number/boolean/Date'] });
    await env.waitFor((c) => okRequests(c, 'dbg-1').length === 1, 10_000, 'dbg-1 delivered');
    expect(pageErrorsOf(env.tabs)).toEqual([]);
  });

  test('a 422 is attempted exactly once, through flushes and a reload', async () => {
    const env = await h.setup();
    await env.serve({ '/': env.page() });
    const tab = await env.open('/');
    env.collector.setFaults({ rejectIds: ['bad-1'] });
    await tab.identify('bad-1', { n: 1 });
    await env.waitFor((c) => c.requests.some((r) => r.status === 422), 10_000, 'the 422');
    await tab.flush();
    await tab.reload();
    await tab.identify('good-1', { n: 1 });
    await env.waitFor((c) => okRequests(c, 'good-1').length === 1, 10_000, 'a later profile delivered');
    expect(env.collector.requests.filter((r) => r.id === 'bad-1')).toHaveLength(1);
    expect(env.events.filter((e) => e.type === 'rejected').map((e) => e.id)).toEqual(['bad-1']);
  });
});
