// The demo explains itself (issue 17, item 5): the storefront's status panel
// says what waits and why, decodes the growlytics:* keys and says what
// auto-identify did; the collector's dashboard says the outage in words and
// shows a guest who checked out (SPEC §5: email profile, then customer-id
// profile) as one buyer. Driven through the real pages, against the real
// collector, in each engine.
import { describe, expect, test } from 'vitest';
import { DEMO_CUSTOMERS } from '../../demo/storefront.mjs';
import { apiReady, ENGINE, flushed, useHarness, type Tab } from './harness';

const h = useHarness();
const TIMEOUT = 15_000;

const text = (tab: Tab, id: string) => tab.evaluate((i: string) => document.getElementById(i)?.textContent ?? '', id);
/** Waits until element `id`'s text matches `pattern` (bounded), then returns it. */
async function shows(tab: Tab, id: string, pattern: RegExp): Promise<string> {
  try {
    await tab.waitForFunction((a: [string, string]) => new RegExp(a[1]).test(document.getElementById(a[0])?.textContent ?? ''), [id, pattern.source], TIMEOUT);
  } catch (e) {
    throw new Error(`#${id} never matched ${pattern}; it says: ${JSON.stringify(await text(tab, id))}`, { cause: e });
  }
  return text(tab, id);
}

describe('the storefront panel', () => {
  test('an outage: the queued profile and why it waits, its keys in words, the last answer; after it: nothing waiting', async () => {
    const env = await h.setup();
    await env.serve({});
    env.collector.setFaults({ status: 503 });
    const tab = await env.open('/');
    await apiReady(tab);
    await tab.evaluate(() => {
      (document.getElementById('id') as HTMLInputElement).value = 'cust-42';
      (document.getElementById('identify') as HTMLButtonElement).click();
    });
    await env.collector.waitFor((c) => c.requests.some((r) => r.id === 'cust-42' && r.status === 503), TIMEOUT);
    await shows(tab, 'status-now', /^1 profile update for 1 customer in this browser's queue\. Waiting: backing off after \d+ failed rounds?: next try at/);
    const storage = await text(tab, 'storage');
    expect(storage).toContain('queued profile: cust-42: plan, orders, vip, signup');
    expect(storage).toContain('type lock: plan → string');
    expect(storage).toMatch(/pause: (backing off after \d+ failed rounds?: next try at|retrying now, after \d+ failed rounds?)/);
    expect(storage).not.toContain('growlytics:');
    // The status an engine's Resource Timing exposes (responseStatus: Chromium, Firefox; not WebKitGTK).
    await shows(tab, 'last-delivery', ENGINE === 'webkit' ? /POST \/track\/user answered/ : /POST \/track\/user answered 503 in \d+ ms/);

    env.collector.setFaults({});
    await flushed(tab, TIMEOUT);
    await env.collector.waitFor((c) => c.profiles.has('cust-42'), TIMEOUT);
    await shows(tab, 'status-now', /^Nothing waiting: every profile this browser accepted has been delivered\.$/);
  });

  test('auto-identify: a log-in is identified on that page load; a reload, unchanged, sends nothing', async () => {
    const env = await h.setup();
    await env.serve({});
    const ada = DEMO_CUSTOMERS[0]!;
    const tab = await env.open('/');
    await shows(tab, 'auto-identify', /^Guest: no one to auto-identify/);
    await tab.goto('/login?as=1&return=%2F');
    await env.collector.waitFor((c) => c.profiles.has(String(ada.id)), TIMEOUT);
    await shows(tab, 'auto-identify', new RegExp(`^${ada.name} identified on this page load`));
    await flushed(tab, TIMEOUT);
    await tab.reload();
    await apiReady(tab);
    await flushed(tab, TIMEOUT);
    await shows(tab, 'auto-identify', new RegExp(`^${ada.name}'s profile is unchanged since this browser last queued it: no request on this page\\.$`));
    expect(env.collector.requests.filter((r) => r.id === String(ada.id))).toHaveLength(1);
  });
});

describe('the dashboard', () => {
  test('the outage in words; a guest who checked out shown as one buyer, email profile first', async () => {
    const env = await h.setup();
    await env.serve({});
    const tab = await env.open('/');
    await apiReady(tab);
    // What the checkout pixels send for a guest (SPEC §5): by email, then by the order's customer id, same email.
    const buyer = { email: 'grace@example.com', name: 'Grace Hopper', acceptsEmailMarketing: false };
    await tab.identify('grace@example.com', buyer);
    await tab.identify('7100000000001', buyer);
    await tab.identify('someone-else', { plan: 'pro' });
    await flushed(tab, TIMEOUT);
    await env.collector.waitFor((c) => c.profiles.size === 3, TIMEOUT);
    env.collector.setFaults({ status: 429, retryAfter: 5 });

    await tab.goto(env.collectorOrigin + '/');
    const outage = await shows(tab, 'fault-now', /^Outage simulated/);
    expect(outage).toBe('Outage simulated: answering 429 Too Many Requests with Retry-After: 5 s. The snippet keeps every profile in the browser and retries; choose "normal" to end it.');
    await tab.waitForFunction(() => document.querySelectorAll('#profiles tr').length === 4, undefined, TIMEOUT);
    const rows = await tab.evaluate(() =>
      [...document.querySelectorAll('#profiles tr')].map((tr) => `${tr.className}|${(tr.firstElementChild as HTMLElement).textContent}`),
    );
    // Profiles are listed in the order the collector first saw them, and the
    // three requests went in parallel: the other profile may come first or last.
    const group = rows.indexOf('person-head|The same buyer: email profile before the order, customer profile after');
    expect(rows.slice(group, group + 3)).toEqual([
      'person-head|The same buyer: email profile before the order, customer profile after',
      'person|grace@example.com',
      'person|7100000000001',
    ]);
    expect(rows.filter((_, i) => i < group || i >= group + 3)).toEqual(['|someone-else']);

    env.collector.setFaults({});
    await shows(tab, 'fault-now', /^Answering normally/);
  });
});
