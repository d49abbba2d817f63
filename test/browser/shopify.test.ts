// Shopify-native behaviour in each engine, against the real collector and the
// demo storefront (demo/storefront.mjs renders the real shopify/growlytics.liquid
// with liquidjs after a simulated `{{ content_for_header }}`): auto-identify of
// the logged-in customer once per change, logout, the Customer Privacy API,
// the theme editor, explicit identify next to a logged-in customer, and
// `respectConsent: false`. Every assertion is about what the collector received
// (or what the browser kept). SPEC §4; issue 4.
import { fileURLToPath } from 'node:url';
import { Liquid } from 'liquidjs';
import { describe, expect, test } from 'vitest';
import { contentForHeader, scriptJson } from '../../demo/content-for-header.mjs';
import { DEMO_CUSTOMERS } from '../../demo/storefront.mjs';
import { apiReady, bundleTag, flushed, inlineScript, okRequests, pageErrorsOf, sleep, storefrontHtml, useHarness, type Env, type Tab } from './harness';

const h = useHarness();

// ---------------------------------------------------------------- fixtures

type LiquidCustomer = {
  id: number | string;
  email?: string | null;
  first_name?: string | null;
  last_name?: string | null;
  name?: string | null;
  phone?: string | null;
  default_address?: { phone?: string | null } | null;
};

const CUSTOMERS = DEMO_CUSTOMERS as LiquidCustomer[];
const cid = (n: number) => String(CUSTOMERS[n - 1].id);

/** What each demo customer's profile must carry (SPEC §4: reserved fields from the Liquid customer). */
const EXPECTED: Record<number, Record<string, string>> = {
  1: { name: 'Ada Lovelace', email: 'ada@example.com', mobile: '+447700900123' },
  // phone only on the default address: mobile from it
  2: { name: "Seán O'Brien", email: 'sean.obrien@example.com', mobile: '+35315550142' },
  // no last name, no phone anywhere: name from the first name, no mobile
  3: { name: 'Zoë', email: 'zoe@example.com' },
};

const RESERVED = ['name', 'email', 'mobile'];

// The real theme snippet, rendered as Shopify would (the storefront's own
// filters: `json` like Shopify's, `asset_url` pointing at dist/).
const liquid = new Liquid({ root: [fileURLToPath(new URL('../../shopify/', import.meta.url))], extname: '.liquid', cache: false });
liquid.registerFilter('asset_url', (name: string) => `/dist/${name}`);
liquid.registerFilter('json', (value: unknown) => scriptJson(value));

/**
 * A storefront page of our own: the simulated content_for_header for
 * `customer`, then the real growlytics.liquid output (or, with
 * `snippet: false`, only the bundle's tag with no customer option).
 */
async function shopifyPage(
  env: Env,
  o: {
    customer?: LiquidCustomer | null;
    page?: 'home' | 'product' | 'account';
    consent?: '' | 'features' | 'api' | 'fail';
    designMode?: boolean;
    /** inline script before the snippet (e.g. a pre-load queue entry). */
    before?: string;
    /** inline script at the end of <body>. */
    after?: string;
    snippet?: boolean;
  } = {},
): Promise<string> {
  const customer = o.customer ?? null;
  const header = contentForHeader({
    page: o.page ?? 'home',
    customer,
    host: new URL(env.origin || 'http://127.0.0.1').host,
    path: '/',
    consent: o.consent ?? '',
    designMode: !!o.designMode,
  });
  const snippet =
    o.snippet === false
      ? bundleTag({ key: env.key, endpoint: env.endpoint, mode: 'async' })
      : await liquid.renderFile('growlytics', { key: env.key, endpoint: env.endpoint }, { globals: { customer } });
  const body = o.after ? `<script>${inlineScript(o.after)}</script>` : '';
  return storefrontHtml({ title: 'shopify test', header, script: o.before, snippet, body });
}

// ---------------------------------------------------------------- helpers

const TIMEOUT = 10_000;

/**
 * The snippet has loaded and a flush resolved: every request its drain made
 * has been answered (flush resolves after the round's answers), so what it
 * would send for the page as loaded has reached the collector. `quietMs`
 * only where a test waits on something flush cannot see.
 */
async function settle(tab: Tab, quietMs = 0): Promise<void> {
  await flushed(tab, TIMEOUT);
  if (quietMs) await sleep(quietMs);
}

/** Clicks the element once it is on the page (bounded): a synthetic click, the same in every engine. */
async function click(tab: Tab, selector: string): Promise<void> {
  await tab.waitForFunction((s) => !!document.querySelector(s), selector, TIMEOUT);
  await tab.evaluate((s) => (document.querySelector(s) as HTMLElement).click(), selector);
}

async function go(tab: Tab, env: Env, path: string): Promise<void> {
  await tab.goto(path);
}

const loginPath = (n: number, back = '/') => `/login?as=${n}&return=${encodeURIComponent(back)}`;
const logoutPath = (back = '/') => `/logout?return=${encodeURIComponent(back)}`;

/** Request bodies the collector received for `id` (any status). */
const bodiesFor = (env: Env, id: string) => env.collector.requests.filter((r) => r.id === id).map((r) => r.json);

/** Everything growlytics-ish a page could have left behind in the browser. */
async function traces(tab: Tab): Promise<{ localStorage: string[]; sessionStorage: string[]; cookies: string[]; indexedDB: string[] }> {
  return tab.evaluate(async () => {
    const rx = /growlytics/i;
    const keys = (s: Storage) => {
      const out: string[] = [];
      for (let i = 0; i < s.length; i++) {
        const k = s.key(i);
        if (k !== null && (rx.test(k) || rx.test(s.getItem(k) ?? ''))) out.push(k);
      }
      return out;
    };
    let idb: string[];
    try {
      idb = (await indexedDB.databases()).map((d) => d.name ?? '').filter((n) => rx.test(n));
    } catch (e) {
      idb = [`<indexedDB.databases() failed: ${e}>`];
    }
    return {
      localStorage: keys(localStorage),
      sessionStorage: keys(sessionStorage),
      cookies: document.cookie
        .split(';')
        .map((c) => c.trim())
        .filter((c) => rx.test(c)),
      indexedDB: idb,
    };
  });
}

const NO_TRACES = { localStorage: [], sessionStorage: [], cookies: [], indexedDB: [] };

/** The Customer Privacy API is on the page (loaded by loadFeatures or present from the start). */
async function privacyLoaded(tab: Tab): Promise<void> {
  await tab.waitForFunction(() => !!(window as any).Shopify?.customerPrivacy, undefined, TIMEOUT);
}

const analyticsAllowed = (tab: Tab) =>
  tab.evaluate(() => (window as any).Shopify.customerPrivacy.analyticsProcessingAllowed() as boolean);

// ---------------------------------------------------------------- tests

describe('auto-identify of the logged-in customer', () => {
  test.each([1, 2, 3])(
    'demo customer %i: exactly one request with the reserved fields; a reload and other pages send none',
    async (n) => {
      const env = await h.setup();
      await env.serve({});
      const id = cid(n);
      const tab = await env.open(loginPath(n));
      await env.waitFor((c) => okRequests(c, id).length >= 1, TIMEOUT, `customer ${n} auto-identified`);
      await settle(tab);

      const c = env.collector;
      expect(c.requests.length, 'exactly one request').toBe(1);
      expect(c.requests[0].status).toBe(200);
      expect(c.requests[0].json).toEqual({ id, attributes: EXPECTED[n] });
      expect(c.profiles.get(id)?.attributes).toEqual(EXPECTED[n]);
      // the fingerprint, not a copy of the PII; the queue is empty
      const stored = await tab.storage();
      expect(Object.keys(stored)).toContain('growlytics:f');
      expect(Object.keys(stored).filter((k) => k.startsWith('growlytics:r:'))).toEqual([]);
      for (const v of Object.values(stored)) {
        for (const pii of Object.values(EXPECTED[n])) expect(v).not.toContain(pii);
      }

      await tab.reload();
      await settle(tab);
      expect(c.requests.length, 'a reload sends nothing').toBe(1);

      // Other page types, same customer: the product page and the account page
      // (meta.page = {customerId} with no pageType).
      await go(tab, env, '/products/demo');
      await settle(tab, 500);
      await go(tab, env, '/account');
      expect(await tab.evaluate(() => (window as any).ShopifyAnalytics.meta.page)).toEqual({ customerId: Number(id) });
      await settle(tab);
      expect(c.requests.length, 'other pages of the same customer send nothing').toBe(1);
      expect(pageErrorsOf(env.tabs)).toEqual([]);
    },
  );

  test('a guest page sends nothing, and identify() with no id is refused', async () => {
    const env = await h.setup();
    await env.serve({});
    const tab = await env.open('/');
    await settle(tab);
    expect(env.collector.requests.length).toBe(0);
    expect(await tab.identify(undefined)).toEqual({ queued: false, errors: ['id: none given, no logged-in customer to default to'] });
    await settle(tab, 500);
    expect(env.collector.requests.length).toBe(0);
  });

  test("the customer's data changed: exactly one request with the new profile, then none again", async () => {
    const env = await h.setup();
    const customer: LiquidCustomer = {
      id: 7000000000001,
      email: 'grace@example.com',
      first_name: 'Grace',
      last_name: 'Hopper',
      name: 'Grace Hopper',
      phone: '+15550100001',
      default_address: { phone: '+15550100001' },
    };
    const id = String(customer.id);
    await env.serve({ '/shop': (() => shopifyPage(env, { customer: { ...customer } })) as any });
    const tab = await env.open('/shop');
    await env.waitFor((c) => okRequests(c, id).length >= 1, TIMEOUT, 'first auto-identify');
    await settle(tab);
    const c = env.collector;
    expect(c.requests.map((r) => r.json)).toEqual([
      { id, attributes: { name: 'Grace Hopper', email: 'grace@example.com', mobile: '+15550100001' } },
    ]);

    await tab.reload();
    await settle(tab);
    expect(c.requests.length, 'unchanged: no request').toBe(1);

    // The customer changes their email in their account.
    customer.email = 'grace.hopper@example.com';
    await tab.reload();
    await env.waitFor((cc) => okRequests(cc, id).length >= 2, TIMEOUT, 'the changed profile sent');
    await settle(tab);
    expect(c.requests.length, 'changed: exactly one request').toBe(2);
    expect(c.requests[1].json).toEqual({
      id,
      attributes: { name: 'Grace Hopper', email: 'grace.hopper@example.com', mobile: '+15550100001' },
    });

    await tab.reload();
    await settle(tab);
    expect(c.requests.length, 'unchanged again: no request').toBe(2);

    // Then the name (first name edited; Shopify's customer.name follows).
    customer.first_name = 'Admiral Grace';
    customer.name = 'Admiral Grace Hopper';
    await tab.reload();
    await env.waitFor((cc) => okRequests(cc, id).length >= 3, TIMEOUT, 'the renamed profile sent');
    await settle(tab);
    expect(c.requests.length).toBe(3);
    expect(c.requests[2].json.attributes.name).toBe('Admiral Grace Hopper');
    expect(c.profiles.get(id)?.attributes).toEqual({ name: 'Admiral Grace Hopper', email: 'grace.hopper@example.com', mobile: '+15550100001' });
    expect(pageErrorsOf(env.tabs)).toEqual([]);
  });

  test('another customer logs in on the same browser: exactly one request for them', async () => {
    const env = await h.setup();
    await env.serve({});
    const tab = await env.open(loginPath(1));
    await env.waitFor((c) => okRequests(c, cid(1)).length >= 1, TIMEOUT, 'customer 1');
    await settle(tab);
    await go(tab, env, loginPath(2));
    await env.waitFor((c) => okRequests(c, cid(2)).length >= 1, TIMEOUT, 'customer 2');
    await settle(tab);
    const c = env.collector;
    expect(c.requests.map((r) => r.id)).toEqual([cid(1), cid(2)]);
    expect(c.requests[1].json).toEqual({ id: cid(2), attributes: EXPECTED[2] });
  });

  test('name from first and last name when Liquid has no name; first name alone; Liquid fields escaped safely', async () => {
    const env = await h.setup();
    const a: LiquidCustomer = { id: 7000000000011, email: 'a@example.com', first_name: 'Zoë', last_name: null, name: null, phone: null, default_address: null };
    const b: LiquidCustomer = { id: 7000000000012, email: 'b@example.com', first_name: 'Ada', last_name: 'King', name: '', phone: null, default_address: { phone: '+15550100012' } };
    const x: LiquidCustomer = { id: 7000000000013, email: 'x@example.com', first_name: '</script><b>Bob', last_name: '"Tables"', name: '</script><b>Bob "Tables"', phone: null };
    await env.serve({
      '/a': (() => shopifyPage(env, { customer: a })) as any,
      '/b': (() => shopifyPage(env, { customer: b })) as any,
      '/x': (() => shopifyPage(env, { customer: x })) as any,
    });
    const tab = await env.open('/a');
    await env.waitFor((c) => okRequests(c, String(a.id)).length === 1, TIMEOUT, 'a');
    await settle(tab, 300);
    await go(tab, env, '/b');
    await env.waitFor((c) => okRequests(c, String(b.id)).length === 1, TIMEOUT, 'b');
    await settle(tab, 300);
    await go(tab, env, '/x');
    await env.waitFor((c) => okRequests(c, String(x.id)).length === 1, TIMEOUT, 'x');
    await settle(tab, 300);
    expect(bodiesFor(env, String(a.id))).toEqual([{ id: String(a.id), attributes: { name: 'Zoë', email: 'a@example.com' } }]);
    expect(bodiesFor(env, String(b.id))).toEqual([
      { id: String(b.id), attributes: { name: 'Ada King', email: 'b@example.com', mobile: '+15550100012' } },
    ]);
    expect(bodiesFor(env, String(x.id))).toEqual([
      { id: String(x.id), attributes: { name: '</script><b>Bob "Tables"', email: 'x@example.com' } },
    ]);
    expect(env.collector.requests.length).toBe(3);
    expect(pageErrorsOf(env.tabs)).toEqual([]);
  });

  test('a customer known only from the globals (no customer option) is identified with the id alone, once', async () => {
    const env = await h.setup();
    const customer: LiquidCustomer = { id: 7000000000021, email: 'g@example.com', first_name: 'G', last_name: 'Lobal', name: 'G Lobal' };
    const id = String(customer.id);
    await env.serve({
      '/': (() => shopifyPage(env, { customer, snippet: false })) as any,
      '/account': (() => shopifyPage(env, { customer, page: 'account', snippet: false })) as any,
    });
    const tab = await env.open('/');
    await env.waitFor((c) => okRequests(c, id).length >= 1, TIMEOUT, 'globals-only customer');
    await settle(tab);
    expect(env.collector.requests.map((r) => r.json)).toEqual([{ id, attributes: {} }]);
    await tab.reload();
    await settle(tab);
    await go(tab, env, '/account');
    await settle(tab);
    expect(env.collector.requests.length).toBe(1);
  });
});

describe('logout', () => {
  test('logout resets (growlytics:f removed) and nothing more is sent for that customer, even on identify() with no id', async () => {
    const env = await h.setup();
    await env.serve({});
    const id = cid(1);
    const tab = await env.open(loginPath(1));
    await env.waitFor((c) => okRequests(c, id).length >= 1, TIMEOUT, 'customer 1');
    await settle(tab);
    expect(Object.keys(await tab.storage())).toContain('growlytics:f');
    expect(env.collector.requests.length).toBe(1);

    await go(tab, env, logoutPath('/'));
    await settle(tab);
    expect(await tab.evaluate(() => (window as any).__st?.cid)).toBeUndefined();
    expect(Object.keys(await tab.storage()), 'the snippet reset on logout').not.toContain('growlytics:f');

    // Theme code later asks for "the logged-in customer": there is none.
    const r1 = await tab.identify(undefined);
    const r2 = await tab.identify(null, { plan: 'pro' });
    for (const r of [r1, r2]) {
      expect(r.queued).toBe(false);
      expect(r.errors.length).toBeGreaterThan(0);
    }
    await settle(tab, 1500);
    await go(tab, env, '/products/demo');
    await settle(tab);
    expect(env.collector.requests.length, 'nothing sent after logout').toBe(1);
    expect(bodiesFor(env, id)).toHaveLength(1);
    expect(Object.keys(await tab.storage()).filter((k) => k.startsWith('growlytics:r:'))).toEqual([]);
    expect(pageErrorsOf(env.tabs)).toEqual([]);
  });

  test('reset() on a logged-in page: the globals name no one for the rest of the page', async () => {
    const env = await h.setup();
    await env.serve({});
    const id = cid(1);
    const tab = await env.open(loginPath(1));
    await env.waitFor((c) => okRequests(c, id).length >= 1, TIMEOUT, 'customer 1');
    await settle(tab);
    await tab.evaluate(() => (window as any).growlytics.reset());
    // The globals still print the customer; the snippet must not use them.
    expect(await tab.evaluate(() => (window as any).ShopifyAnalytics.meta.page.customerId)).toBe(Number(id));
    expect(Object.keys(await tab.storage())).not.toContain('growlytics:f');
    const r = await tab.identify(undefined, { plan: 'x' });
    expect(r.queued).toBe(false);
    expect(r.errors.length).toBeGreaterThan(0);
    // Another id still works, with no reserved fields of the forgotten customer.
    expect((await tab.identify('after-reset', { plan: 'y' })).queued).toBe(true);
    await env.waitFor((c) => okRequests(c, 'after-reset').length >= 1, TIMEOUT, 'after-reset delivered');
    await settle(tab);
    expect(bodiesFor(env, id)).toHaveLength(1);
    expect(bodiesFor(env, 'after-reset')).toEqual([{ id: 'after-reset', attributes: { plan: 'y' } }]);
  });
});

describe('consent: the Customer Privacy API', () => {
  const MODES = [
    ['loadFeatures path (?consent=1)', '/?consent=1'],
    ['API already present (?consent=api)', '/?consent=api'],
  ] as const;

  for (const [mode, path] of MODES) {
    test(`${mode}: not granted -> nothing sent or stored, identify queued, flush sends nothing; Accept -> delivered`, async () => {
      const env = await h.setup();
      await env.serve({});
      const id = cid(1);
      const tab = await env.open(loginPath(1, path));
      await apiReady(tab);
      await privacyLoaded(tab);
      expect(await analyticsAllowed(tab)).toBe(false);

      expect(await tab.identify('guest-c1', { plan: 'pro' })).toEqual({ queued: true, errors: [] });
      expect(await tab.identify(undefined, { visits: 3 })).toEqual({ queued: true, errors: [] });
      // flush() resolved: the drain looked at both and sent nothing.
      expect(await tab.flush(TIMEOUT)).toBe('resolved');
      expect(env.collector.requests.length, 'no request before consent').toBe(0);
      expect(env.collector.preflights, 'not even a preflight').toBe(0);
      expect(await traces(tab)).toEqual(NO_TRACES);

      await click(tab, '#consent-accept');
      await env.waitFor(
        (c) => okRequests(c, id).length >= 1 && okRequests(c, 'guest-c1').length >= 1,
        TIMEOUT,
        'delivered after Accept',
      );
      expect(await analyticsAllowed(tab)).toBe(true);
      await settle(tab);
      const c = env.collector;
      expect(bodiesFor(env, id), 'the customer, once, with reserved fields and the call merged').toEqual([
        { id, attributes: { ...EXPECTED[1], visits: 3 } },
      ]);
      expect(bodiesFor(env, 'guest-c1')).toEqual([{ id: 'guest-c1', attributes: { plan: 'pro' } }]);
      expect(c.requests.length).toBe(2);

      // Consent is remembered: a reload of the unchanged customer costs nothing.
      await tab.reload();
      await settle(tab);
      expect(c.requests.length).toBe(2);
      expect(pageErrorsOf(env.tabs)).toEqual([]);
    });

    test(`${mode}: analytics granted on an earlier visit -> delivered on page load, no banner click`, async () => {
      const env = await h.setup();
      await env.serve({});
      await env.context.addCookies([{ name: '_tracking_consent_demo', value: 'yes', url: env.origin }]);
      const id = cid(2);
      const tab = await env.open(loginPath(2, path));
      await env.waitFor((c) => okRequests(c, id).length >= 1, TIMEOUT, 'delivered with consent already given');
      expect(await analyticsAllowed(tab)).toBe(true);
      await settle(tab);
      expect(bodiesFor(env, id)).toEqual([{ id, attributes: EXPECTED[2] }]);
      expect(env.collector.requests.length).toBe(1);
      expect(Object.keys(await tab.storage())).toContain('growlytics:f');
    });

    test(`${mode}: Decline -> nothing ever sent, nothing stored`, async () => {
      const env = await h.setup();
      await env.serve({});
      const tab = await env.open(loginPath(1, path));
      await apiReady(tab);
      await privacyLoaded(tab);
      expect((await tab.identify('guest-d1', { plan: 'pro' })).queued).toBe(true);

      await click(tab, '#consent-decline');
      await tab.waitForFunction(() => /_tracking_consent_demo=no/.test(document.cookie), undefined, TIMEOUT);
      expect(await analyticsAllowed(tab)).toBe(false);
      const late = await tab.identify('guest-d2', { plan: 'late' });
      expect(typeof late.queued).toBe('boolean');
      // flush() resolved: the drain had its chance after the refusal.
      expect(await tab.flush(TIMEOUT)).toBe('resolved');
      expect(env.collector.requests.length).toBe(0);
      expect(env.collector.preflights).toBe(0);
      expect(await traces(tab)).toEqual(NO_TRACES);

      // The next page, with the refusal remembered: still nothing.
      await tab.reload();
      await apiReady(tab);
      await privacyLoaded(tab);
      expect((await tab.identify('guest-d3')).queued).toBe(true);
      await settle(tab);
      expect(env.collector.requests.length).toBe(0);
      expect(await traces(tab)).toEqual(NO_TRACES);
      expect(pageErrorsOf(env.tabs)).toEqual([]);
    });
  }

  test('loadFeatures failing (?consent=fail): delivered', async () => {
    const env = await h.setup();
    await env.serve({});
    const id = cid(1);
    const tab = await env.open(loginPath(1, '/?consent=fail'));
    await apiReady(tab);
    expect(await tab.evaluate(() => typeof (window as any).Shopify.loadFeatures)).toBe('function');
    await env.waitFor((c) => okRequests(c, id).length >= 1, TIMEOUT, 'delivered although the API failed to load');
    expect((await tab.identify('guest-f1', { plan: 'pro' })).queued).toBe(true);
    await env.waitFor((c) => okRequests(c, 'guest-f1').length >= 1, TIMEOUT, 'guest-f1 delivered');
    await settle(tab);
    expect(await tab.evaluate(() => !!(window as any).Shopify.customerPrivacy)).toBe(false);
    expect(bodiesFor(env, id)).toEqual([{ id, attributes: EXPECTED[1] }]);
    expect(env.collector.requests.length).toBe(2);
  });

  for (const consent of ['api', 'features'] as const) {
    test(`respectConsent: false via init (${consent}): delivered although the API says no`, async () => {
      const env = await h.setup();
      const customer = CUSTOMERS[0];
      const before = `window.growlytics = window.growlytics || []; growlytics.push(['init', { respectConsent: false }]);`;
      await env.serve({ '/': (() => shopifyPage(env, { customer, consent, before })) as any });
      const tab = await env.open('/');
      await env.waitFor((c) => okRequests(c, cid(1)).length >= 1, TIMEOUT, 'delivered despite no consent');
      // With consent handling off the snippet need not load the API; load it
      // here (as a theme's banner would) to show that it does say no.
      if (consent === 'features') {
        await tab.evaluate(() => (window as any).Shopify.loadFeatures([{ name: 'consent-tracking-api', version: '0.1' }], () => {}));
      }
      await privacyLoaded(tab);
      expect(await analyticsAllowed(tab)).toBe(false);
      expect((await tab.identify('guest-r1', { plan: 'pro' })).queued).toBe(true);
      await env.waitFor((c) => okRequests(c, 'guest-r1').length >= 1, TIMEOUT, 'guest-r1 delivered');
      await settle(tab);
      expect(bodiesFor(env, cid(1))).toEqual([{ id: cid(1), attributes: EXPECTED[1] }]);
      expect(env.collector.requests.length).toBe(2);
    });
  }
});

describe('theme editor (Shopify.designMode)', () => {
  test('nothing sent and nothing persisted, with a logged-in customer and explicit calls', async () => {
    const env = await h.setup();
    await env.serve({});
    const tab = await env.open(loginPath(1, '/?editor=1'));
    await apiReady(tab);
    expect(await tab.evaluate(() => (window as any).Shopify.designMode)).toBe(true);
    // queued: false, and why (SPEC §4): the preview stores and sends nothing.
    expect(await tab.identify('editor-1', { plan: 'pro' })).toEqual({ queued: false, errors: ['theme editor: preview stores and sends nothing'] });
    await tab.identify(undefined, { plan: 'x' });
    await settle(tab);
    expect(env.collector.requests.length).toBe(0);
    expect(env.collector.preflights).toBe(0);
    expect(await traces(tab)).toEqual(NO_TRACES);
    // Another editor page load: still nothing.
    await tab.reload();
    await settle(tab);
    expect(env.collector.requests.length).toBe(0);
    expect(await traces(tab)).toEqual(NO_TRACES);
    expect(pageErrorsOf(env.tabs)).toEqual([]);
  });

  test("the editor preview leaves the live store's storage as it was (it shares the origin)", async () => {
    const env = await h.setup();
    await env.serve({});
    const tab = await env.open(loginPath(1));
    await env.waitFor((c) => okRequests(c, cid(1)).length >= 1, TIMEOUT, 'customer 1 on the live store');
    await settle(tab);
    const live = await tab.storage();
    expect(Object.keys(live)).toContain('growlytics:f');

    // The merchant opens the theme editor in the same browser; the preview
    // is not logged in as a customer.
    await env.context.clearCookies();
    await go(tab, env, '/?editor=1');
    await settle(tab, 1000);
    expect(await tab.evaluate(() => (window as any).Shopify.designMode)).toBe(true);
    expect.soft(await tab.storage(), 'the editor changed the live store storage').toEqual(live);
    expect(env.collector.requests.length).toBe(1);

    // Back on the live store, logged in: the unchanged customer costs nothing.
    await go(tab, env, loginPath(1));
    await settle(tab);
    expect.soft(env.collector.requests.length, 'no extra request caused by the editor visit').toBe(1);
  });
});

describe('explicit identify next to a logged-in customer', () => {
  test("another id (guest id, email, number) never carries the logged-in customer's reserved fields", async () => {
    const env = await h.setup();
    await env.serve({});
    const id = cid(1);
    const tab = await env.open(loginPath(1));
    await env.waitFor((c) => okRequests(c, id).length >= 1, TIMEOUT, 'auto-identify');
    await settle(tab, 300);

    const calls: [unknown, unknown, string, Record<string, unknown>][] = [
      ['guest-77', { plan: 'pro' }, 'guest-77', { plan: 'pro' }],
      ['ada@example.com', undefined, 'ada@example.com', {}], // the customer's own email, as another id
      ['someone@example.com', { newsletter: true }, 'someone@example.com', { newsletter: true }],
      [12345, { plan: 'num' }, '12345', { plan: 'num' }],
      ['gid://shopify/Customer/999', { plan: 'gid' }, '999', { plan: 'gid' }],
    ];
    for (const [arg, attrs] of calls) expect((await tab.identify(arg, attrs)).queued).toBe(true);
    await env.waitFor((c) => calls.every(([, , sent]) => okRequests(c, sent).length >= 1), TIMEOUT, 'every other id delivered');
    await settle(tab);
    for (const [, , sent, attributes] of calls) {
      const bodies = bodiesFor(env, sent);
      expect(bodies).toEqual([{ id: sent, attributes }]);
      for (const r of RESERVED) expect(env.collector.profiles.get(sent)?.attributes).not.toHaveProperty(r);
    }
    expect(bodiesFor(env, id)).toHaveLength(1);
  });

  test('other ids queued before the page finished loading (pre-load queue) carry no reserved fields either', async () => {
    const env = await h.setup();
    const customer = CUSTOMERS[0];
    const before = `window.growlytics = window.growlytics || []; growlytics.push(['identify', 'early-guest', { plan: 'early' }]);`;
    const after = `window.growlytics = window.growlytics || []; growlytics.push(['identify', 'late-guest', { plan: 'late' }]);`;
    await env.serve({ '/': (() => shopifyPage(env, { customer, before, after })) as any });
    const tab = await env.open('/');
    await env.waitFor(
      (c) => ['early-guest', 'late-guest', cid(1)].every((i) => okRequests(c, i).length >= 1),
      TIMEOUT,
      'all three delivered',
    );
    await settle(tab);
    expect(bodiesFor(env, 'early-guest')).toEqual([{ id: 'early-guest', attributes: { plan: 'early' } }]);
    expect(bodiesFor(env, 'late-guest')).toEqual([{ id: 'late-guest', attributes: { plan: 'late' } }]);
    expect(bodiesFor(env, cid(1))).toEqual([{ id: cid(1), attributes: EXPECTED[1] }]);
  });

  test("the logged-in id with a caller's email keeps the caller's email; the other reserved fields are still filled", async () => {
    const env = await h.setup();
    await env.serve({});
    const id = cid(1);
    const tab = await env.open(loginPath(1));
    await env.waitFor((c) => okRequests(c, id).length >= 1, TIMEOUT, 'auto-identify');
    await settle(tab, 300);

    expect(await tab.identify(id, { email: 'ada.work@example.com', plan: 'pro' })).toEqual({ queued: true, errors: [] });
    await env.waitFor((c) => okRequests(c, id).length >= 2, TIMEOUT, 'explicit identify of the logged-in id');
    await settle(tab, 300);
    expect(bodiesFor(env, id)[1]).toEqual({
      id,
      attributes: { name: 'Ada Lovelace', email: 'ada.work@example.com', mobile: '+447700900123', plan: 'pro' },
    });

    // The same customer by number and by gid, with other caller values.
    expect((await tab.identify(Number(id), { mobile: '+15550109999' })).queued).toBe(true);
    await env.waitFor((c) => okRequests(c, id).length >= 3, TIMEOUT, 'by number');
    await settle(tab, 300);
    expect(bodiesFor(env, id)[2]).toEqual({ id, attributes: { name: 'Ada Lovelace', email: 'ada@example.com', mobile: '+15550109999' } });

    expect((await tab.identify(`gid://shopify/Customer/${id}`, { name: 'Countess of Lovelace' })).queued).toBe(true);
    await env.waitFor((c) => okRequests(c, id).length >= 4, TIMEOUT, 'by gid');
    await settle(tab, 300);
    expect(bodiesFor(env, id)[3]).toEqual({ id, attributes: { name: 'Countess of Lovelace', email: 'ada@example.com', mobile: '+447700900123' } });

    // No id: the logged-in customer, the caller's value still wins.
    expect((await tab.identify(undefined, { email: 'ada.home@example.com' })).queued).toBe(true);
    await env.waitFor((c) => okRequests(c, id).length >= 5, TIMEOUT, 'no id');
    await settle(tab);
    expect(bodiesFor(env, id)[4]).toEqual({ id, attributes: { name: 'Ada Lovelace', email: 'ada.home@example.com', mobile: '+447700900123' } });
    expect(env.collector.requests.length).toBe(5);
    expect(pageErrorsOf(env.tabs)).toEqual([]);
  });
});
