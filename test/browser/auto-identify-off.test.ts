// `autoIdentify: false` (SPEC §2, §4) on a real storefront page: the
// simulated `{{ content_for_header }}` of a logged-in customer, then the real
// theme snippet (shopify/growlytics.liquid, rendered with liquidjs as
// shopify.test.ts and the demo render it). The snippet has no parameter for
// the option, so the theme turns it off the way SPEC §2 allows any option:
// an `init` entry in the pre-load queue, placed before the snippet so it is
// replayed before the snippet's own `init` (which brings the customer).
// Every assertion is about what the collector received. Issue 7.
import { fileURLToPath } from 'node:url';
import { Liquid } from 'liquidjs';
import { expect, test } from 'vitest';
import { contentForHeader, scriptJson } from '../../demo/content-for-header.mjs';
import { DEMO_CUSTOMERS } from '../../demo/storefront.mjs';
import { flushed, okRequests, storefrontHtml, useHarness, type Env } from './harness';

const h = useHarness();

const TIMEOUT = 10_000;
const ADA = DEMO_CUSTOMERS[0];
const ADA_ID = String(ADA.id);
const ADA_PROFILE = { name: 'Ada Lovelace', email: 'ada@example.com', mobile: '+447700900123' };

// The real theme snippet with the storefront's filters (demo/storefront.mjs).
const liquid = new Liquid({ root: [fileURLToPath(new URL('../../shopify/', import.meta.url))], extname: '.liquid', cache: false });
liquid.registerFilter('asset_url', (name: string) => `/dist/${name}`);
liquid.registerFilter('json', (value: unknown) => scriptJson(value));

/** What a theme puts before `{% render 'growlytics' %}` to turn auto-identify off. */
const AUTO_IDENTIFY_OFF = `window.growlytics = window.growlytics || [];
growlytics.push(['init', { autoIdentify: false }]);`;

async function storefrontPage(env: Env, customer: object | null, before: string): Promise<string> {
  const header = contentForHeader({ page: 'home', customer, host: new URL(env.origin).host, path: '/', consent: '', designMode: false });
  const snippet = await liquid.renderFile('growlytics', { key: env.key, endpoint: env.endpoint }, { globals: { customer } });
  return storefrontHtml({ title: 'autoIdentify off', header, script: before, snippet });
}

test("autoIdentify: false: nothing is sent on load; identify(null, attrs) sends the logged-in customer's id with the reserved fields", async () => {
  const env = await h.setup();
  await env.serve({ '/shop': (() => storefrontPage(env, ADA, AUTO_IDENTIFY_OFF)) as any });
  const tab = await env.open('/shop');
  const c = env.collector;

  // The snippet loaded and a flush resolved: an auto-identify would have gone out.
  await flushed(tab);
  expect(c.requests, 'nothing sent on load').toEqual([]);

  // A later identify of another id arrives: the drain ran, and still carried
  // nothing for the logged-in customer (nor their reserved fields).
  expect((await tab.identify('other-7', { plan: 'basic' })).queued).toBe(true);
  await env.waitFor((cc) => okRequests(cc, 'other-7').length >= 1, TIMEOUT, 'the explicit identify of another id');
  await flushed(tab);
  expect(c.requests.map((r) => [r.status, r.json])).toEqual([[200, { id: 'other-7', attributes: { plan: 'basic' } }]]);

  // The theme identifies the logged-in customer itself: their id, the
  // reserved fields from the Liquid customer, and its own attribute.
  const result = await tab.identify(null, { plan: 'pro' });
  expect(result).toEqual({ queued: true, errors: [] });
  await env.waitFor((cc) => okRequests(cc, ADA_ID).length >= 1, TIMEOUT, "the logged-in customer's explicit identify");
  await flushed(tab);
  expect(c.requests.map((r) => [r.status, r.json])).toEqual([
    [200, { id: 'other-7', attributes: { plan: 'basic' } }],
    [200, { id: ADA_ID, attributes: { ...ADA_PROFILE, plan: 'pro' } }],
  ]);
  expect(c.profiles.get(ADA_ID)?.attributes).toEqual({ ...ADA_PROFILE, plan: 'pro' });

  // The next page view of the same customer sends nothing by itself either.
  await tab.reload();
  await flushed(tab);
  expect(c.requests.length, 'a reload sends nothing').toBe(2);
});

test('the same page without the option auto-identifies on load (the option is what stops it)', async () => {
  const env = await h.setup();
  await env.serve({ '/shop': (() => storefrontPage(env, ADA, 'window.growlytics = window.growlytics || [];')) as any });
  const tab = await env.open('/shop');
  await env.waitFor((c) => okRequests(c, ADA_ID).length >= 1, TIMEOUT, 'auto-identify on load');
  await flushed(tab);
  expect(env.collector.requests.map((r) => [r.status, r.json])).toEqual([[200, { id: ADA_ID, attributes: ADA_PROFILE }]]);
});
