// Auto-identify skips an unchanged customer (SPEC §4), but a profile that was
// queued and then not delivered — discarded by a consent refusal, or
// rejected — must not count as delivered: the customer is identified again
// on a later page. The pages are the demo storefront's, rendered from the
// real Liquid snippet for a logged-in demo customer. Issue 7, item 7.
import { describe, expect, test } from 'vitest';
import { DEMO_CUSTOMERS } from '../../demo/storefront.mjs';
import { okRequests, useHarness, type Tab } from './harness';

const h = useHarness();

const ada = String((DEMO_CUSTOMERS as { id: number }[])[0].id);
const login = (path: string) => `/login?as=1&return=${encodeURIComponent(path)}`;

const loaded = (tab: Tab) =>
  tab.waitForFunction(() => {
    const g = (window as any).growlytics;
    return g && typeof g.identify == 'function' && (window as any).Shopify?.customerPrivacy;
  }, undefined, 10_000);

const choose = (tab: Tab, analytics: boolean) =>
  tab.evaluate(
    (yes) => new Promise<void>((done) => (window as any).Shopify.customerPrivacy.setTrackingConsent({ analytics: yes }, done)),
    analytics,
  );

describe('a customer whose profile was not delivered is identified again', () => {
  test('declined, then accepted: the next page identifies them (once)', async () => {
    const env = await h.setup();
    await env.serve({});
    const tab = await env.open(login('/?consent=api'));
    await loaded(tab);
    await choose(tab, false); // the auto-identified profile waited in memory: discarded
    await choose(tab, true);
    await tab.flush();
    expect(env.collector.requests).toEqual([]);
    await tab.reload();
    await env.waitFor((c) => okRequests(c, ada).length === 1, 10_000, 'Ada identified on the next page');
    await tab.flush();
    expect(env.collector.requests).toHaveLength(1);
    expect(env.collector.profiles.get(ada)?.attributes).toMatchObject({ name: 'Ada Lovelace', email: 'ada@example.com' });
  });

  test('rejected by the server: the next page identifies them again', async () => {
    const env = await h.setup();
    await env.serve({});
    env.collector.setFaults({ rejectIds: [ada] });
    const tab = await env.open(login('/'));
    await env.waitFor((c) => c.requests.some((r) => r.status === 422), 10_000, 'the 422');
    env.collector.setFaults({});
    await tab.reload();
    await env.waitFor((c) => okRequests(c, ada).length === 1, 10_000, 'Ada identified again');
    await tab.reload();
    await tab.flush();
    // Delivered now: an unchanged customer costs no further request.
    expect(env.collector.requests.map((r) => r.status)).toEqual([422, 200]);
  });
});
