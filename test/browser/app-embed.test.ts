// The app embed block (shopify/app-embed/blocks/growlytics.liquid, Route 2 of
// the README) in a real browser: rendered by demo/app-embed.mjs as Shopify
// renders an app embed (block.settings from the merchant's values and the
// schema, `asset_url` from the extension's assets), after the simulated
// `{{ content_for_header }}` of demo/content-for-header.mjs, the way
// shopify.test.ts renders the theme snippet. Every assertion is about what
// the collector received. SPEC §4; issue 7.
import { describe, expect, test } from 'vitest';
import { renderAppEmbed } from '../../demo/app-embed.mjs';
import { contentForHeader } from '../../demo/content-for-header.mjs';
import { DEMO_CUSTOMERS } from '../../demo/storefront.mjs';
import { flushed, okRequests, pageErrorsOf, storefrontHtml, useHarness, type Env } from './harness';
import { relayed, via } from './relayed';

const h = useHarness();

const TIMEOUT = 10_000;
const ADA = DEMO_CUSTOMERS[0];
const ADA_ID = String(ADA.id);
/** Ada's profile as the Liquid customer gives it (SPEC §4 reserved fields). */
const ADA_PROFILE = { name: 'Ada Lovelace', email: 'ada@example.com', mobile: '+447700900123' };

/**
 * A storefront page with the app embed switched on: content_for_header, then
 * the block's output (target: head). With a key the block has no endpoint
 * (a live store sends to the default, dc.growlytics.in), so a pre-load queue
 * entry before it points the bundle at the test collector; it sets nothing
 * else, so the key and the customer come from the block alone. Without a
 * key (`settings` as the merchant left them) the block sends through the app
 * proxy: `route: false` leaves the routing entry out.
 */
async function embedPage(env: Env, o: { apiKey?: string; settings?: Record<string, unknown>; route?: false; customer?: object | null; source?: string } = {}): Promise<string> {
  const customer = o.customer ?? null;
  const header = contentForHeader({
    page: 'home',
    customer,
    host: new URL(env.origin).host,
    path: '/',
    consent: '',
    designMode: false,
  });
  const route = `window.growlytics = window.growlytics || []; growlytics.push(['init', { endpoint: ${JSON.stringify(env.endpoint)} }]);`;
  const embed = await renderAppEmbed({
    settings: o.settings ?? (o.apiKey === undefined ? {} : { api_key: o.apiKey }),
    customer,
    source: o.source,
  });
  return storefrontHtml({ title: 'app embed test', header, script: o.route === false ? undefined : route, snippet: embed });
}

describe('the app embed block', () => {
  test('a logged-in customer is auto-identified with name, email and mobile: exactly one request, none again on reload', async () => {
    const env = await h.setup();
    await env.serve({ '/shop': (() => embedPage(env, { apiKey: env.key, customer: ADA })) as any });
    const tab = await env.open('/shop');
    await env.waitFor((c) => okRequests(c, ADA_ID).length >= 1, TIMEOUT, 'the logged-in customer auto-identified');
    await flushed(tab);

    const c = env.collector;
    expect(c.requests.map((r) => [r.status, r.json])).toEqual([[200, { id: ADA_ID, attributes: ADA_PROFILE }]]);
    expect(c.profiles.get(ADA_ID)?.attributes).toEqual(ADA_PROFILE);

    // The same customer on the next page view: the bundle loads, auto-identify
    // runs and a flush attempts whatever it queued; still exactly one request.
    await tab.reload();
    await flushed(tab);
    expect(c.requests.length, 'a reload of an unchanged customer sends nothing').toBe(1);
    expect(c.profiles.get(ADA_ID)?.updates).toBe(1);
  });

  test('a guest page sends nothing; the page can send (an explicit identify arrives)', async () => {
    const env = await h.setup();
    await env.serve({ '/shop': (() => embedPage(env, { apiKey: env.key, customer: null })) as any });
    const tab = await env.open('/shop');
    await flushed(tab);
    expect(env.collector.requests, 'a guest page sends nothing').toEqual([]);
    expect(Object.keys(await tab.storage()).filter((k) => k.startsWith('growlytics:r:'))).toEqual([]);

    // The absence above is not for want of a key or an endpoint: the block's
    // configuration delivers what the theme identifies.
    expect((await tab.identify('newsletter@example.com', { newsletter: true })).queued).toBe(true);
    await env.waitFor((c) => okRequests(c, 'newsletter@example.com').length >= 1, TIMEOUT, 'the explicit identify delivered');
    await flushed(tab);
    expect(env.collector.requests.map((r) => [r.status, r.json])).toEqual([
      [200, { id: 'newsletter@example.com', attributes: { newsletter: true } }],
    ]);
  });

  test("the block's API key setting is the key the request carries", async () => {
    const key = 'gl-embed-4f2a9c';
    const env = await h.setup({ key });
    // As merchants paste it, with spaces around: the block strips them (and a
    // header value would lose them anyway), so what arrives is the key itself.
    await env.serve({ '/shop': (() => embedPage(env, { apiKey: `  ${key} `, customer: ADA })) as any });
    const tab = await env.open('/shop');
    await env.waitFor((c) => c.requests.some((r) => r.status !== null), TIMEOUT, 'a request answered');
    await flushed(tab);
    const c = env.collector;
    expect(c.requests.map((r) => [r.headers['x-growlytics-key'], r.status, r.id])).toEqual([[key, 200, ADA_ID]]);
    expect(c.profiles.get(ADA_ID)?.attributes).toEqual(ADA_PROFILE);
  });

  test('by default it sends through the app proxy: no key in the page, and the customer arrives through the relay, signed', async () => {
    const { env, seen } = await relayed(h, (env) => ({ '/shop': (() => embedPage(env, { settings: {}, route: false, customer: ADA })) as any }));
    const tab = await env.open('/login?as=1&return=/shop'); // the stand-in signs for the demo login: Ada
    await env.waitFor((c) => okRequests(c, ADA_ID).length === 1, TIMEOUT, 'the logged-in customer, through the relay');
    await flushed(tab);
    const html = await tab.evaluate(async () => (await fetch(location.href, { cache: 'no-store' })).text());
    expect(html).toContain('endpoint: "/apps/growlytics/track/user"');
    expect(html).not.toContain(env.key);
    expect(html).not.toMatch(/\bkey:/);
    expect(seen.map((headers) => headers['x-growlytics-key'])).toEqual([undefined]);
    const c = env.collector;
    expect(c.requests.map((r) => [via(r), r.headers['x-growlytics-key'], r.status, r.json])).toEqual([
      ['relay-signed', env.key, 200, { id: ADA_ID, attributes: ADA_PROFILE }],
    ]);
    expect(c.relayed.map((x) => [x.customer, x.status])).toEqual([[ADA_ID, 200]]);
    expect(pageErrorsOf(env.tabs)).toEqual([]);
  });

  test('neither a key nor a proxy path: the block renders nothing, so nothing loads', async () => {
    expect((await renderAppEmbed({ settings: { proxy_path: '' }, customer: ADA })).trim()).toBe('');
    expect((await renderAppEmbed({ settings: { api_key: '   ', proxy_path: '  ' }, customer: ADA })).trim()).toBe('');
    // The merchant's default, by contrast, renders the proxy route.
    expect(await renderAppEmbed({ settings: {}, customer: ADA })).toContain('/apps/growlytics/track/user');
    const env = await h.setup();
    await env.serve({ '/shop': (() => embedPage(env, { settings: { proxy_path: '' }, customer: ADA })) as any });
    const tab = await env.open('/shop');
    // The page loaded (`load` waits for scripts); only the routing entry is there.
    expect(await tab.evaluate(() => JSON.stringify((window as any).growlytics))).toContain('"init"');
    expect(await tab.evaluate(() => Array.isArray((window as any).growlytics))).toBe(true);
    expect(env.collector.requests).toEqual([]);
  });
});
