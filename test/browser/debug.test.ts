// Debug output in a real browser (SPEC §2, issue 17 item 2): what a merchant
// sees in the console with `?growlytics_debug=1` or `data-debug`, checked
// on the console lines the probe reports. Outages are simulated at the
// collector. Every "nothing printed" is checked after a flush resolved (the
// snippet had its chance), and lines are matched exactly.
//
// The `sent`, `answered` and `waiting:` lines come from the delivery code
// (src/core/delivery.ts, src/theme/sender.ts).
import { describe, expect, test } from 'vitest';
import { apiReady, chromiumOnly, flushed, okRequests, useHarness, type Env, type Tab } from './harness';

const h = useHarness();
const TIMEOUT = 10_000;

/** The snippet's debug lines this tab printed (console.log, prefixed `growlytics:`), oldest first. */
const lines = (tab: Tab) => tab.console.filter((m) => m.type === 'log' && m.text.startsWith('growlytics:')).map((m) => m.text);

/** Waits, bounded, until the tab printed `line` (the probe reports it over HTTP, a moment later). */
async function printed(tab: Tab, line: string | RegExp): Promise<void> {
  const seen = () => lines(tab).some((l) => (typeof line === 'string' ? l === line : line.test(l)));
  for (let i = 0; i < 100 && !seen(); i++) await tab.evaluate(() => new Promise((r) => setTimeout(r, 100)));
  expect(lines(tab), `a debug line ${line}`).toContainEqual(typeof line === 'string' ? line : expect.stringMatching(line));
}

/** A store page with `data-debug`, open and ready (`more`: other paths of the store). */
async function debugPage(more: (env: Env) => Record<string, string> = () => ({})): Promise<{ env: Env; tab: Tab }> {
  const env = await h.setup();
  await env.serve({ '/': env.page({ debug: true }), ...more(env) });
  const tab = await env.open('/');
  await apiReady(tab);
  return { env, tab };
}

/** Identifies `id`, and waits until the collector answered it `status` and the tab printed that answer. */
async function answered(env: Env, tab: Tab, id: string, status: number): Promise<void> {
  await tab.identify(id);
  await env.waitFor((c) => c.requests.some((r) => r.id === id && r.status === status), TIMEOUT, `${id} answered ${status}`);
  await printed(tab, `growlytics: answered ${id} ${status}`);
}

describe('debug output', () => {
  test('off: calls it cannot run and queued profiles print nothing', async () => {
    const env = await h.setup();
    await env.serve({ '/': env.page({ before: `window.growlytics = [['identfy', 'x'], 'identify'];` }) });
    const tab = await env.open('/');
    await apiReady(tab);
    await tab.evaluate(() => {
      const g = (window as any).growlytics;
      g.init('a string');
      g.push(['nope']);
      g.identify('quiet-1', { plan: 'pro' });
    });
    await env.waitFor((c) => okRequests(c, 'quiet-1').length === 1, TIMEOUT, 'quiet-1 delivered');
    await flushed(tab);
    expect(tab.console.filter((m) => m.text.includes('growlytics'))).toEqual([]);
  });

  test('data-debug: calls it cannot run are named, from the pre-load queue and after', async () => {
    const env = await h.setup();
    await env.serve({ '/': env.page({ debug: true, before: `window.growlytics = [['identfy', 'x'], 'identify'];` }) });
    const tab = await env.open('/');
    await apiReady(tab);
    await tab.evaluate(() => {
      const g = (window as any).growlytics;
      g.init('a string');
      g.push(['nope', 1], 'flush');
    });
    await flushed(tab);
    expect(lines(tab)).toEqual([
      'growlytics: push: unknown method identfy',
      'growlytics: push: not [method, ...args]: identify',
      'growlytics: init: options not an object: a string',
      'growlytics: push: unknown method nope',
      'growlytics: push: not [method, ...args]: flush',
    ]);
  });

  test('?growlytics_debug=1: queued in memory and waiting for consent, stored with the rest on Accept, on for later pages; =0 turns it off', async () => {
    const env = await h.setup();
    await env.serve({});
    const tab = await env.open('/?consent=api&growlytics_debug=1');
    await apiReady(tab);
    await tab.waitForFunction(() => !!(window as any).Shopify?.customerPrivacy, undefined, TIMEOUT);
    expect((await tab.identify('dbg-1')).queued).toBe(true);
    // flush() resolved: the drain looked and said why it waits (the delivery code's line).
    await flushed(tab);
    expect(lines(tab)).toEqual(['growlytics: queued dbg-1 (in memory: waiting for consent)', 'growlytics: waiting: consent']);
    expect(env.collector.requests).toEqual([]);
    // Before consent the switch holds for this page only: nothing stored.
    expect(await tab.storage()).toEqual({});

    await tab.evaluate(() => (document.querySelector('#consent-accept') as HTMLElement).click());
    await env.waitFor((c) => okRequests(c, 'dbg-1').length === 1, TIMEOUT, 'dbg-1 delivered after Accept');
    expect(await tab.storage()).toHaveProperty('growlytics:d');

    // A later page without the query (a login redirect drops it): still on.
    await tab.goto('/');
    await apiReady(tab);
    expect((await tab.identify('dbg-2')).queued).toBe(true);
    await printed(tab, 'growlytics: queued dbg-2');

    // =0 turns it off and forgets it.
    await tab.goto('/?growlytics_debug=0');
    await apiReady(tab);
    const before = lines(tab).length;
    await tab.evaluate(() => (window as any).growlytics.push(['identfy']));
    expect((await tab.identify('dbg-3')).queued).toBe(true);
    await env.waitFor((c) => okRequests(c, 'dbg-3').length === 1, TIMEOUT, 'dbg-3 delivered');
    await flushed(tab);
    expect(lines(tab).slice(before)).toEqual([]);
    expect(await tab.storage()).not.toHaveProperty('growlytics:d');
  });

  test('the switch is for that browser only: another browser profile on the same store prints nothing', async () => {
    const env = await h.setup();
    await env.serve({ '/': env.page() });
    const tab = await env.open('/?growlytics_debug=1');
    await apiReady(tab);
    await tab.identify('mine-1');
    await printed(tab, 'growlytics: queued mine-1');
    const other = await env.open('/', await env.newContext());
    await apiReady(other);
    await other.identify('theirs-1');
    await env.waitFor((c) => okRequests(c, 'theirs-1').length === 1, TIMEOUT, 'theirs-1 delivered');
    await flushed(other);
    expect(lines(other)).toEqual([]);
  });
});

// The delivery code's lines: `sent`, `answered <status>`, `waiting: <why> [<n> s]`.
describe('debug output of delivery', () => {
  test('sent and answered with the status', async () => {
    const { env, tab } = await debugPage();
    await answered(env, tab, 'ok-1', 200);
    const mine = lines(tab).filter((l) => l.includes('ok-1'));
    expect(mine).toEqual(['growlytics: queued ok-1', 'growlytics: sent ok-1', 'growlytics: answered ok-1 200']);
  });

  // The drain says why it waits when a send finds the pause: here, a call
  // made during it (a failed answer alone prints only `answered <id> <status>`).
  test('waiting: backoff after a 503, Retry-After after a 429', async () => {
    const { env, tab } = await debugPage();
    env.collector.setFaults({ status: 503 });
    await answered(env, tab, 'b-1', 503);
    // The first wait is up to 1 s (full jitter): a call may still be sent,
    // which fails and doubles the wait; bounded.
    const backoff = /^growlytics: waiting: backoff \d+ s$/;
    const ids = ['b-1'];
    for (let i = 2; i < 7 && !lines(tab).some((l) => backoff.test(l)); i++) {
      ids.push('b-' + i);
      await tab.identify('b-' + i);
      await tab.evaluate(() => new Promise((r) => setTimeout(r, 200)));
    }
    await printed(tab, backoff);
    env.collector.setFaults({});
    await env.waitFor((c) => ids.every((id) => okRequests(c, id).length === 1), 20_000, 'every b-* delivered after the backoff');

    env.collector.setFaults({ status: 429, retryAfter: 2, times: 1 });
    await answered(env, tab, 'r-1', 429);
    await tab.identify('r-2');
    await printed(tab, /^growlytics: waiting: Retry-After [12] s$/);
    await env.waitFor((c) => okRequests(c, 'r-1').length === 1 && okRequests(c, 'r-2').length === 1, 15_000, 'r-1 and r-2 delivered after Retry-After');
  });

  test('waiting: key refused after a 401; no key', async () => {
    const { env, tab } = await debugPage((env) => ({ '/nokey': env.page({ debug: true, key: null }) }));
    env.collector.setFaults({ status: 401 });
    await answered(env, tab, 'k-1', 401);
    await tab.flush();
    await printed(tab, /^growlytics: waiting: key refused\b/);

    env.collector.setFaults({});
    await tab.goto('/nokey');
    await apiReady(tab);
    await tab.identify('n-1');
    await flushed(tab);
    await printed(tab, /^growlytics: waiting: no key\b/);
    expect(env.collector.requests.filter((r) => r.id === 'n-1')).toEqual([]);
  });

  // Offline as the page sees it (navigator.onLine false) exists only in Chromium's emulation.
  chromiumOnly('waiting: offline', async () => {
    const { env, tab } = await debugPage();
    const online = await env.pageOffline(tab);
    await tab.identify('o-1');
    await flushed(tab);
    await printed(tab, /^growlytics: waiting: offline\b/);
    await online();
    await env.waitFor((c) => okRequests(c, 'o-1').length === 1, 15_000, 'o-1 delivered once online');
  });
});
