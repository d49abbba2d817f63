// The snippet through the relay (SPEC §6, issue 16 item 6), in every engine:
// the demo storefront's own pages render the real Liquid snippet with
// `proxy: '/apps/growlytics'`, the page posts to its own origin, the App
// Proxy stand-in (demo/app-proxy.mjs) signs each request for the demo login
// and forwards it over HTTP to the relay (the built Worker module,
// demo/relay.mjs), which adds the key and posts to the collector. Every
// delivery is checked at that collector; every refusal in the relay's
// answers (the collector never sees one).
import { describe, expect, test } from 'vitest';
import { PROXY_PREFIX } from '../../demo/app-proxy.mjs';
import { checkoutPages } from '../../demo/checkout.mjs';
import { DEMO_SHOP } from '../../demo/relay.mjs';
import { DEMO_CUSTOMERS } from '../../demo/storefront.mjs';
import { flushed, okRequests, pageErrorsOf, useHarness, type Tab } from './harness';
import { relayed, via } from './relayed';

const h = useHarness();

const TIMEOUT = 15_000;
const ADA = DEMO_CUSTOMERS[0];
const ADA_ID = String(ADA.id);
const SEAN_ID = String(DEMO_CUSTOMERS[1].id);
/** Ada's profile as the Liquid customer gives it (SPEC §4 reserved fields). */
const ADA_PROFILE = { name: 'Ada Lovelace', email: 'ada@example.com', mobile: '+447700900123' };

const login = (tab: Tab, n: number) => tab.goto(`/login?as=${n}&return=/`);

describe('through the App Proxy and the relay', () => {
  test('no key anywhere in the page: not in its HTML, its DOM, its storage or its requests; the relay adds it', async () => {
    const { env, seen } = await relayed(h);
    const tab = await env.open('/');
    await login(tab, 1);
    await env.waitFor((c) => okRequests(c, ADA_ID).length === 1, TIMEOUT, 'the logged-in customer, through the relay');
    await flushed(tab);
    await tab.identify('guest@example.com', { plan: 'pro' });
    await flushed(tab);

    const page = await tab.evaluate(async () => ({
      html: await (await fetch(location.href, { cache: 'no-store' })).text(),
      dom: document.documentElement.outerHTML,
      storage: JSON.stringify(Object.entries(localStorage)),
      cookies: document.cookie,
    }));
    // The endpoint the Liquid printed is the proxy path (so the page is the relayed one).
    expect(page.html).toContain(`endpoint: "${PROXY_PREFIX}/track/user"`);
    for (const [where, text] of Object.entries(page)) expect(text, `the key in the page's ${where}`).not.toContain(env.key);
    expect(page.html).not.toMatch(/\bkey:/);

    // What the browser sent to its own origin: no key header, no key anywhere.
    expect(seen.length).toBe(2);
    for (const headers of seen) {
      expect(headers['x-growlytics-key']).toBeUndefined();
      expect(JSON.stringify(headers)).not.toContain(env.key);
    }
    // What reached the collector: through the relay, signed, with the key.
    const c = env.collector;
    expect(c.requests.map((r) => [via(r), r.headers['x-growlytics-key'], r.status, r.id])).toEqual([
      ['relay-signed', env.key, 200, ADA_ID],
      ['relay-signed', env.key, 200, 'guest@example.com'],
    ]);
    expect(pageErrorsOf(env.tabs)).toEqual([]);
  });

  test('a guest and a logged-in customer are delivered, each signed for who they are', async () => {
    const { env } = await relayed(h);
    const tab = await env.open('/');
    expect((await tab.identify('newsletter@example.com', { newsletter: true })).queued).toBe(true);
    await flushed(tab);
    await login(tab, 1);
    await env.waitFor((c) => okRequests(c, ADA_ID).length === 1, TIMEOUT, 'the logged-in customer auto-identified');
    await flushed(tab);

    const c = env.collector;
    expect(c.requests.map((r) => [via(r), r.status, r.json])).toEqual([
      ['relay-signed', 200, { id: 'newsletter@example.com', attributes: { newsletter: true } }],
      ['relay-signed', 200, { id: ADA_ID, attributes: ADA_PROFILE }],
    ]);
    expect(c.profiles.get(ADA_ID)?.attributes).toEqual(ADA_PROFILE);
    // The relay saw the guest as a guest and Ada as Ada: the stand-in signed the demo login.
    expect(c.relayed.map((x) => [x.route, x.customer, x.status, x.id, x.collected])).toEqual([
      ['relay-signed', '', 200, 'newsletter@example.com', 1],
      ['relay-signed', ADA_ID, 200, ADA_ID, 2],
    ]);
    expect(env.events).toEqual([]);
    expect(pageErrorsOf(env.tabs)).toEqual([]);
  });

  test("another customer's id (the demo's Forge control) is refused and reported once; the rest of the queue is delivered", async () => {
    const { env } = await relayed(h);
    const tab = await env.open('/');
    await login(tab, 1);
    await env.waitFor((c) => okRequests(c, ADA_ID).length === 1, TIMEOUT, 'the logged-in customer');
    await flushed(tab);
    expect(await tab.evaluate(() => document.getElementById('forge')?.getAttribute('data-id'))).toBe(SEAN_ID);

    // Three profiles queued in one task, the forged one in the middle.
    const queued = await tab.evaluate(() => {
      const g = (window as any).growlytics;
      const a = g.identify('first@example.com', { plan: 'a' }).queued;
      (document.getElementById('forge') as HTMLButtonElement).click(); // identify(Seán's id, …) and flush()
      const b = g.identify('last@example.com', { plan: 'b' }).queued;
      return [a, b];
    });
    expect(queued).toEqual([true, true]);
    await flushed(tab);
    await env.waitFor((c) => okRequests(c, 'last@example.com').length === 1 && c.relayed.some((x) => x.id === SEAN_ID), TIMEOUT, 'the queue sent');
    await flushed(tab);

    const c = env.collector;
    // Refused by the relay (422, the identity rule), never posted to the collector.
    const forged = c.relayed.filter((x) => x.id === SEAN_ID);
    expect(forged.map((x) => [x.route, x.customer, x.status, x.collected])).toEqual([['relay-signed', ADA_ID, 422, null]]);
    expect(forged[0].message).toMatch(/customer id/);
    expect(c.requests.filter((r) => r.id === SEAN_ID)).toEqual([]);
    expect(c.profiles.has(SEAN_ID)).toBe(false);
    // Reported once, as a rejection (not a key problem: nothing pauses).
    expect(env.events.map((e) => [e.type, e.id])).toEqual([['rejected', SEAN_ID]]);
    // The rest went through, once each.
    for (const id of ['first@example.com', 'last@example.com']) expect(okRequests(c, id).length, id).toBe(1);
    expect(c.requests.every((r) => r.status === 200 && via(r) === 'relay-signed')).toBe(true);
    // Dropped for good: nothing of it is left to retry.
    expect(Object.keys(await tab.storage()).filter((k) => k.startsWith('growlytics:r:'))).toEqual([]);
    // The demo page shows the report (its growlytics:error panel).
    expect(await tab.evaluate(() => document.getElementById('errors')!.textContent)).toContain(SEAN_ID);
    expect(pageErrorsOf(env.tabs)).toEqual([]);
  });

  test("Growlytics down behind the relay: the relay answers 502, the snippet keeps the profile, and delivers it once when it is back", async () => {
    const { env } = await relayed(h);
    const tab = await env.open('/');
    env.collector.setFaults({ drop: true });
    expect((await tab.identify('outage@example.com', { plan: 'pro' })).queued).toBe(true);
    await env.waitFor((c) => c.relayed.some((x) => x.id === 'outage@example.com' && x.status === 502), TIMEOUT, 'the relay answers 502');
    // The profile waits in the browser's durable queue, across a reload.
    await tab.reload();
    expect(Object.values(await tab.storage()).some((v) => v.includes('outage@example.com'))).toBe(true);

    env.collector.setFaults({});
    // No flush(): the snippet's own retry (backoff timer, or the page load's fresh try) delivers it.
    await env.waitFor((c) => okRequests(c, 'outage@example.com').length === 1, 30_000, 'delivered after the outage');
    // The 2xx reaches the page a moment after the collector wrote it: the record goes then.
    await tab.waitForFunction(() => !Object.keys(localStorage).some((k) => k.startsWith('growlytics:r:')), undefined, TIMEOUT);
    await flushed(tab);
    const c = env.collector;
    expect(okRequests(c, 'outage@example.com').length).toBe(1);
    expect(c.requests.filter((r) => r.status !== 0).map((r) => [via(r), r.status, r.id])).toEqual([['relay-signed', 200, 'outage@example.com']]);
    expect(c.relayed.every((x) => x.status === 502 || x.status === 200)).toBe(true);
    // A server outage is not the merchant's problem to report.
    expect(env.events).toEqual([]);
    expect(pageErrorsOf(env.tabs)).toEqual([]);
  });

  // One pixel at a time (the demo checkout's ?pixels=): each is a route of its own.
  test.each(['custom', 'app'])("the demo checkout's %s pixel posts to the relay with ?shop= and no key: a logged-in buyer is identified by email, never by customer id", async (kind) => {
    const { env } = await relayed(h, (_, relay) => checkoutPages({ key: '', endpoint: `${relay}/track/user?shop=${DEMO_SHOP}` }));
    const tab = await env.open('/login?as=1&return=/products/demo');
    await env.waitFor((c) => okRequests(c, ADA_ID).length === 1, TIMEOUT, 'the storefront identifies Ada, signed');
    await tab.goto(`/checkout?pixels=${kind}`);
    await tab.waitForFunction(() => document.getElementById('contact-continue'));
    await tab.evaluate(() => {
      (document.getElementById('email') as HTMLInputElement).value = 'Ada@Example.com';
      (document.getElementById('phone') as HTMLInputElement).value = '+44 7700 900123';
      (document.getElementById('contact-continue') as HTMLElement).click();
    });
    await env.waitFor((c) => okRequests(c, 'ada@example.com').length === 1, TIMEOUT, 'the contact step, through the relay');
    // The next step: once its name arrives, the pixels have had every chance to send the contact step again.
    await tab.waitForFunction(() => document.getElementById('shipping-continue'));
    await tab.evaluate(() => {
      const set = (id: string, v: string) => ((document.getElementById(id) as HTMLInputElement).value = v);
      set('first', 'Ada'); set('last', 'Lovelace'); set('address1', '12 St James Sq'); set('city', 'London'); set('zip', 'SW1Y 4JH');
      (document.getElementById('shipping-continue') as HTMLElement).click();
    });
    await env.waitFor((c) => c.profiles.get('ada@example.com')?.attributes.name === 'Ada Lovelace', TIMEOUT, 'the shipping step, through the relay');
    await env.waitFor((c) => c.relayed.length === 3, TIMEOUT, "the relay's answer to the shipping step"); // noted once it answered

    const c = env.collector;
    expect(c.requests.map((r) => [via(r), r.status, r.id])).toEqual([
      ['relay-signed', 200, ADA_ID],
      ['relay-unsigned', 200, 'ada@example.com'],
      ['relay-unsigned', 200, 'ada@example.com'],
    ]);
    // The page has no key to give (`key: ''`): the relay added it.
    expect(c.requests.map((r) => r.headers['x-growlytics-key'])).toEqual([env.key, env.key, env.key]);
    expect(c.profiles.get('ada@example.com')?.attributes).toMatchObject({ email: 'ada@example.com', mobile: '+447700900123' });
    // The pixels never tried Ada's customer id (the relay would refuse it unsigned): nothing refused.
    expect(c.relayed.map((x) => [x.route, x.status])).toEqual([['relay-signed', 200], ['relay-unsigned', 200], ['relay-unsigned', 200]]);
    expect(pageErrorsOf(env.tabs)).toEqual([]);
  });
});
