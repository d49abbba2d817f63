// Page hide is the page's last chance (SPEC §3, issue 15 item 1), with real
// navigations: on a navigation, pagehide comes while the page is still
// visible (Chrome, Firefox; WebKit since w3c/page-visibility#67), so what
// goes then must not depend on `document.hidden`. The page navigates to
// '/blank', which has no snippet: only requests the leaving page started
// with keepalive can deliver. After the failed rounds the page is given the
// endpoint under a new query (a URL the browser has no cached CORS
// preflight for) and every preflight is held, so a request without
// keepalive is still in flight when the page goes, and the navigation
// cancels it before its POST leaves.
import { describe, expect, test } from 'vitest';
import { hash } from '../../src/core/record';
import { ENGINE, okRequests, useHarness, type Collector, type Env, type Tab } from './harness';

const h = useHarness();

/** The shared pause's failed rounds, as the page stored them. */
const failedRounds = (tab: Tab) => tab.evaluate(() => Number((localStorage.getItem('growlytics:p') || '').split(',')[2]) || 0);

/** Serves '/' (the snippet) and '/blank' (none), opens '/', and queues `ids` against a collector answering 503 until two rounds failed. */
async function afterTwoFailedRounds(env: Env, ids: string[]): Promise<Tab> {
  await env.serve({ '/': env.page(), '/blank': env.page({ mode: 'none' }) });
  const tab = await env.open('/');
  env.collector.setFaults({ status: 503 });
  await tab.evaluate((list) => list.forEach((id) => (window as any).growlytics.identify(id, { plan: 'pro' })), ids);
  await tab.waitForFunction(() => Number((localStorage.getItem('growlytics:p') || '').split(',')[2]) >= 2, undefined, 15_000);
  expect(await failedRounds(tab)).toBeGreaterThanOrEqual(2);
  return tab;
}

/** The server is back, and every request from now on waits `ms` for its preflight. */
async function holdPreflights(env: Env, tab: Tab, ms: number): Promise<void> {
  env.collector.setFaults({ preflightDelayMs: ms });
  await tab.evaluate((url) => (window as any).growlytics.init({ endpoint: url }), env.endpoint + '?uncached');
}

describe('page hide after failed rounds, with a real navigation', () => {
  test('four ids queued, two rounds failed, a backoff wait running: the navigation sends all four with keepalive; the leases it leaves hold no id', async () => {
    const env = await h.setup();
    const ids = ['ph-1@example.com', 'ph-2@example.com', 'ph-3@example.com', 'ph-4@example.com'];
    const tab = await afterTwoFailedRounds(env, ids);
    await holdPreflights(env, tab, 2_000);
    await tab.goto('/blank');
    // Privacy (SPEC §3): the page that left could not delete its leases; they are keyed by a hash of the id.
    const leases = Object.keys(await tab.storage()).filter((k) => k.startsWith('growlytics:l:'));
    expect(leases.length).toBeGreaterThanOrEqual(1);
    expect(leases.filter((k) => ids.some((id) => k.includes(id)))).toEqual([]);
    expect(leases.every((k) => ids.some((id) => k == 'growlytics:l:' + hash(id)))).toBe(true);
    await env.waitFor((c) => ids.every((id) => okRequests(c, id).length >= 1), 15_000, 'all four delivered by the page that left');
    for (const id of ids) expect(okRequests(env.collector, id), id).toHaveLength(1);
  });

  // A retry (after two failed rounds: without keepalive) that the server
  // holds is in flight when the page goes. Chromium rejects such a request
  // as a navigation starts, before pagehide (its id is then free and sent
  // again as any other); as a tab closes, pagehide comes first and finds
  // this page's own request in flight: it sends it again with keepalive.
  test.each(['navigates', 'closes'])('a retry in flight without keepalive as the page %s is sent again with keepalive', async (how) => {
    const env = await h.setup();
    const tab = await afterTwoFailedRounds(env, ['retry-nav']);
    const from = Date.now();
    // The server takes the next retry and never answers it.
    env.collector.setFaults({ hang: true, times: 1 });
    await env.waitFor((c) => c.requests.some((r) => r.id == 'retry-nav' && r.at >= from && r.status === null), 15_000, 'the retry held');
    // Back to answering: only a request sent after the hung one can deliver.
    env.collector.setFaults({});
    if (how == 'closes') await tab.close();
    else await tab.goto('/blank');
    if (how == 'closes' && ENGINE == 'firefox') {
      // Firefox sometimes drops the keepalive request a closing window
      // starts in pagehide (1 run in 5 here, none in Chromium or WebKit):
      // there the record, still in storage, goes with the next page. Exactly
      // once either way.
      const left = await env.collector.waitFor((c: Collector) => okRequests(c, 'retry-nav').length >= 1, 8_000).then(() => true, () => false);
      console.log(`[firefox] retry re-sent at close: ${left ? 'delivered by the page that left' : 'dropped by the browser; the next page delivers it'}`);
      if (!left) await env.open('/');
    }
    await env.waitFor((c) => okRequests(c, 'retry-nav').length >= 1, 15_000, 'retry-nav delivered by the page that left');
    expect(okRequests(env.collector, 'retry-nav')).toHaveLength(1);
  });
});
