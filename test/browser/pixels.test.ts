// The checkout pixels (SPEC §5, issue 8) in real browsers, each in its real
// kind of sandbox, against the demo collector: the custom pixel (the pasted
// dist/shopify/custom-pixel.js, its two first lines edited) inside
// <iframe sandbox="allow-scripts allow-forms">, an opaque origin whose
// requests carry `Origin: null`; the app pixel (the built
// dist/shopify/web-pixel/dist/index.js) inside a Worker that defines
// `self.shopify.extend`. Both get Shopify's API through postMessage, with an
// async `browser.localStorage` the page performs on the shop's own storage
// (demo/theme/assets/pixel-host.js, the demo's own host). Payloads are shaped
// like recorded real ones (`phone: ""`, `order: {}` before the order exists,
// `gid://` ids, express checkouts that skip steps, `checkout_completed` on a
// post-purchase page).
//
// The pixel handles one event at a time, in order, request included: once a
// later event's request has arrived, every earlier event had its chance; and
// once storage holds no record and no lease, no send was put off for later
// (a send that waits on another sender's lease keeps its record stored).
// Each "nothing was sent" below is proven that way, never after a bare sleep.
import { describe, expect, test } from 'vitest';
import { hash } from '../../src/core/record';
import { DEMO_CUSTOMERS } from '../../demo/storefront.mjs';
import { checkoutPages } from '../../demo/checkout.mjs';
import { okRequests, pageErrorsOf, useHarness, type Collector, type Env, type Tab } from './harness';

const h = useHarness();

// ---------------------------------------------------------------- payloads

type Buyer = {
  token: string;
  email?: string | null;
  phone?: string;
  first?: string;
  last?: string;
  addressPhone?: string;
  emailOptIn?: boolean;
  smsOptIn?: boolean;
  /** the order's customer, for checkout_completed (a gid, as Shopify sends it). */
  customerGid?: string;
};
type Stage = 'contact' | 'address' | 'shipping' | 'payment' | 'completed';

const NAMES: Record<Stage, string> = {
  contact: 'checkout_contact_info_submitted',
  address: 'checkout_address_info_submitted',
  shipping: 'checkout_shipping_info_submitted',
  payment: 'payment_info_submitted',
  completed: 'checkout_completed',
};

/** event.data.checkout at a stage, as recorded on a real store (customerlabs' recording, see the notes). */
function checkout(stage: Stage, b: Buyer) {
  // An empty phone is "" on the early steps and left out later, as recorded.
  const address = (early: boolean) => ({
    address1: '12 St James Square', address2: null, city: 'London', country: 'United Kingdom', countryCode: 'GB',
    firstName: b.first ?? null, lastName: b.last ?? null, province: null, provinceCode: null, zip: 'SW1Y 4JH',
    ...(early || b.addressPhone ? { phone: b.addressPhone ?? '' } : {}),
  });
  const c: Record<string, unknown> = {
    attributes: stage == 'completed' ? [] : [{ key: '_google-clientID', value: '2056727569.1681286297' }],
    token: b.token,
    currencyCode: 'GBP',
    discountApplications: [],
    email: b.email ?? null,
    buyerAcceptsEmailMarketing: b.emailOptIn ?? false,
    buyerAcceptsSmsMarketing: b.smsOptIn ?? false,
    smsMarketingPhone: b.smsOptIn ? b.phone ?? null : null,
    lineItems: [{ discountAllocations: [], id: '43751530397931', quantity: 1, title: 'Growlytics mug' }],
    order: stage == 'completed' ? { id: 'gid://shopify/OrderIdentity/5396439498987', customer: { id: b.customerGid ?? null, isFirstOrder: true } } : {},
    shippingAddress: stage == 'contact' ? { country: 'United Kingdom', countryCode: 'GB', phone: '' } : address(stage == 'address' || stage == 'shipping'),
    subtotalPrice: { amount: 15, currencyCode: 'GBP' },
    totalPrice: { amount: 18, currencyCode: 'GBP' },
  };
  // The early steps carry the phone, "" when none; later ones leave an empty one out.
  if (stage == 'contact' || stage == 'address' || stage == 'shipping' || b.phone) c.phone = b.phone ?? '';
  if (stage == 'payment' || stage == 'completed') c.billingAddress = address(false);
  return c;
}

let seq = 0;
function event(stage: Stage, b: Buyer, path = `/checkouts/cn/${b.token}/information`) {
  const href = `https://growlytics-demo.myshopify.com${path}`;
  return {
    id: `sh-${(++seq).toString(16).padStart(8, '0')}-0000`,
    name: NAMES[stage],
    type: 'standard',
    seq,
    clientId: 'ece6cea2-0914-4dcd-8345-8d64ce97b76b',
    timestamp: new Date().toISOString(),
    context: { document: { location: { href, pathname: path }, title: 'Checkout' }, window: { location: { href, pathname: path } } },
    data: { checkout: checkout(stage, b) },
  };
}

const privacy = (allowed: boolean) => ({
  analyticsProcessingAllowed: allowed, marketingAllowed: allowed, preferencesProcessingAllowed: allowed, saleOfDataAllowed: allowed,
});
const init = (customer: unknown = null, allowed = true) => ({
  context: { document: { location: { href: 'https://growlytics-demo.myshopify.com/checkouts/cn/x/information' } } },
  data: { customer, cart: null, shop: { name: 'Demo Store', myshopifyDomain: 'growlytics-demo.myshopify.com' }, purchasingCompany: null },
  customerPrivacy: privacy(allowed),
});

// ---------------------------------------------------------------- pages and driving

/** A checkout page of the shop: no theme, no snippet, only the pixel host (checkout never runs theme.liquid). */
const CHECKOUT = `<!doctype html><html><head><meta charset="utf-8"><title>Checkout</title><link rel="icon" href="data:,"></head>
<body><script src="/demo/assets/pixel-host.js"></script></body></html>`;
const BLANK = '<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body>elsewhere</body></html>';

async function setup(): Promise<Env> {
  const env = await h.setup();
  await env.serve({ '/checkouts/page': CHECKOUT, '/elsewhere': BLANK, '/store': env.page() });
  return env;
}

/** Starts one pixel of `kind` on the tab's checkout page; resolves once it has registered. */
async function startPixel(tab: Tab, env: Env, kind: string, pixelInit: unknown): Promise<void> {
  await tab.evaluate(
    async (o: any) => {
      (window as any).px = await (window as any).GrowlyticsPixelHost.start(o);
    },
    { kind, key: env.key, endpoint: env.endpoint, init: pixelInit },
  );
}

async function checkoutTab(env: Env, kind: string, pixelInit: unknown): Promise<Tab> {
  const tab = await env.open('/checkouts/page');
  await startPixel(tab, env, kind, pixelInit);
  return tab;
}

const publish = (tab: Tab, e: unknown) => tab.evaluate((ev: any) => (window as any).px.publish(ev.name, ev), e);
const consent = (tab: Tab, p: unknown) => tab.evaluate((c: any) => (window as any).px.consent(c), p);
/** Errors that escaped the pixel inside its sandbox (reported by the sandbox), and in the page. */
const sandboxErrors = (tab: Tab) => tab.evaluate(() => (window as any).px.errors as string[]);

/**
 * Waits until the pixel has nothing left to send: no record, no lease. A send
 * the pixel put off (another sender's live lease) keeps its record stored, so
 * this, after a later event's request, is what proves nothing else will come.
 */
const settled = (tab: Tab) => tab.waitForFunction(() => !Object.keys(localStorage).some((k) => /^growlytics:[rl]:/.test(k)));

const bodies = (c: Collector) => c.requests.map((r) => r.json);
const records = (storage: Record<string, string>) => Object.keys(storage).filter((k) => k.startsWith('growlytics:r:'));

/** SPEC §3's privacy rule: once delivered, nothing in storage holds a customer's id or values. */
function expectNothingPersonal(storage: Record<string, string>, secrets: string[]) {
  const all = JSON.stringify(storage).toLowerCase();
  for (const s of secrets) expect(all, `storage holds "${s}": ${all}`).not.toContain(s.toLowerCase());
}

const ADA: Buyer = {
  token: '864ef6919a4214321240c177707a01f7',
  email: '  Ada.Lovelace@Example.COM ',
  phone: '',
  first: 'Ada',
  last: 'Lovelace',
  addressPhone: '+447700900123',
  emailOptIn: true,
  customerGid: 'gid://shopify/Customer/7100000000001',
};
const ADA_EMAIL = 'ada.lovelace@example.com';
/** Another buyer whose request, arriving, proves every earlier event had its chance. */
const sentinel = (n: number): Buyer => ({ token: `sentinel${n}`, email: `sentinel${n}@example.com`, phone: '' });

// ---------------------------------------------------------------- tests

describe.each(['custom', 'app'])('%s pixel', (kind) => {
  test('a guest through every step: one profile per change, by email then by the order customer id, with the reserved fields', async () => {
    const env = await setup();
    const tab = await checkoutTab(env, kind, init());
    for (const stage of ['contact', 'address', 'shipping', 'payment'] as Stage[]) await publish(tab, event(stage, ADA));
    await publish(tab, event('completed', ADA, `/checkouts/cn/${ADA.token}/thank-you`));
    await env.waitFor((c) => c.requests.length >= 3, 20_000, 'the three profile changes');

    // Shipping and payment changed nothing: no request between the address and the order.
    expect(bodies(env.collector)).toEqual([
      // Contact: the email (trimmed, lower-cased) is the id; no phone yet ("").
      { id: ADA_EMAIL, attributes: { email: ADA_EMAIL, acceptsEmailMarketing: true, acceptsSmsMarketing: false } },
      // Address: the name, and the address phone as the mobile.
      { id: ADA_EMAIL, attributes: { name: 'Ada Lovelace', email: ADA_EMAIL, mobile: '+447700900123', acceptsEmailMarketing: true, acceptsSmsMarketing: false } },
      // Completed: the order's customer id, the same fields.
      { id: '7100000000001', attributes: { name: 'Ada Lovelace', email: ADA_EMAIL, mobile: '+447700900123', acceptsEmailMarketing: true, acceptsSmsMarketing: false } },
    ]);
    expect(okRequests(env.collector)).toHaveLength(3);
    for (const r of env.collector.requests) {
      expect(r.headers['x-growlytics-key']).toBe(env.key);
      expect(r.headers['content-type']).toBe('application/json');
      // The custom pixel's iframe has an opaque origin; the worker has the page's.
      expect(r.headers.origin).toBe(kind == 'custom' ? 'null' : env.origin);
    }
    expect(env.collector.preflights).toBeGreaterThan(0);
    expect(env.collector.profiles.get(ADA_EMAIL)!.attributes).toMatchObject({ name: 'Ada Lovelace', email: ADA_EMAIL, mobile: '+447700900123' });

    // Delivered, so removed: no record, no lease, nothing personal left.
    await settled(tab);
    const storage = await tab.storage();
    expect(records(storage)).toEqual([]);
    expectNothingPersonal(storage, [ADA_EMAIL, 'Lovelace', '+447700900123', '7100000000001']);
    expect(await sandboxErrors(tab)).toEqual([]);
    expect(pageErrorsOf(env.tabs)).toEqual([]);
  });

  test('an express checkout that skips steps, completed on a post-purchase page', async () => {
    const env = await setup();
    const tab = await checkoutTab(env, kind, init());
    const grace: Buyer = { token: 'c1express', email: 'grace@example.com', phone: '+12025550143', first: 'Grace', last: 'Hopper', smsOptIn: true, customerGid: 'gid://shopify/Customer/7100000000002' };
    // Shop Pay: no contact, address or shipping event; the payment event has it all.
    await publish(tab, event('payment', grace, '/checkouts/cn/c1express/processing'));
    await publish(tab, event('completed', grace, '/checkouts/cn/c1express/post-purchase'));
    await env.waitFor((c) => c.requests.length >= 2, 20_000, 'two profiles');
    await settled(tab);
    const attributes = { name: 'Grace Hopper', email: 'grace@example.com', mobile: '+12025550143', acceptsEmailMarketing: false, acceptsSmsMarketing: true };
    expect(bodies(env.collector)).toEqual([
      { id: 'grace@example.com', attributes },
      { id: '7100000000002', attributes },
    ]);
    expect(okRequests(env.collector)).toHaveLength(2);
  });

  test('a logged-in buyer: the Shopify customer id the theme snippet uses for them, never the email', async () => {
    const env = await setup();
    const ada = DEMO_CUSTOMERS[0];
    // The theme snippet on the storefront, logged in (the demo's login): it identifies them.
    const store = await env.open(`/login?as=1&return=/`);
    await env.waitFor((c) => okRequests(c).length >= 1, 20_000, 'the theme snippet identifies the logged-in customer');
    const themeId = env.collector.requests[0].id;
    expect(themeId).toBe(String(ada.id));
    // Done with it (record and lease gone) before the tab closes: else the next page re-sends it, as it should.
    await settled(store);
    await store.close();

    const buyer = { id: `gid://shopify/Customer/${ada.id}`, email: ada.email, firstName: 'Ada', lastName: 'Lovelace', phone: ada.phone, ordersCount: 3 };
    const tab = await checkoutTab(env, kind, init(buyer));
    const b: Buyer = { token: 'c1loggedin', email: ada.email, phone: '', first: 'Ada', last: 'Lovelace', customerGid: `gid://shopify/Customer/${ada.id}` };
    await publish(tab, event('contact', b));
    await publish(tab, event('contact', b)); // unchanged: not repeated
    await publish(tab, event('completed', b)); // the billing name is new
    await env.waitFor((c) => c.requests.length >= 3, 20_000, 'the theme snippet, then two pixel profiles');
    await settled(tab);

    const opts = { acceptsEmailMarketing: false, acceptsSmsMarketing: false };
    expect(env.collector.requests.slice(1).map((r) => r.json)).toEqual([
      { id: themeId, attributes: { email: ada.email, ...opts } },
      { id: themeId, attributes: { name: 'Ada Lovelace', email: ada.email, ...opts } },
    ]);
    expect([...env.collector.profiles.keys()]).toEqual([themeId]);
  });

  test('consent refused, then given: nothing sent or stored before; what waited after the refusal goes out on the grant', async () => {
    const env = await setup();
    const tab = await checkoutTab(env, kind, init(null, false));
    const early: Buyer = { token: 'c1early', email: 'early@example.com', phone: '' };
    const late: Buyer = { token: 'c1late', email: 'late@example.com', phone: '', first: 'Late', last: 'Comer' };
    await publish(tab, event('contact', early)); // waits in memory
    await consent(tab, privacy(false)); // refused: discarded
    await publish(tab, event('address', late)); // waits again
    await consent(tab, privacy(true)); // granted: what waits goes, in order
    await publish(tab, event('contact', sentinel(2)));
    await env.waitFor((c) => c.requests.length >= 2, 20_000, 'the late buyer, then the sentinel');
    await settled(tab);

    // Had the refused profile survived, it would have gone first.
    expect(bodies(env.collector)).toEqual([
      { id: 'late@example.com', attributes: { name: 'Late Comer', email: 'late@example.com', acceptsEmailMarketing: false, acceptsSmsMarketing: false } },
      { id: 'sentinel2@example.com', attributes: { email: 'sentinel2@example.com', acceptsEmailMarketing: false, acceptsSmsMarketing: false } },
    ]);
    // Nothing of the refused checkout reached storage either.
    const marks = JSON.parse((await tab.storage())['growlytics:o']) as string[];
    expect(marks.some((m) => m.startsWith(hash('c1early') + '.'))).toBe(false);
    expect(marks.some((m) => m.startsWith(hash('c1late') + '.'))).toBe(true);
    expectNothingPersonal(await tab.storage(), ['early@example.com']);
  });

  test('the collector down at thank-you: the record stays, and the theme snippet delivers it on the next storefront page', async () => {
    const env = await setup();
    const tab = await checkoutTab(env, kind, init());
    await publish(tab, event('contact', ADA));
    await env.waitFor((c) => okRequests(c).length == 1, 20_000, 'the contact step delivered');

    env.collector.setFaults({ drop: true });
    await publish(tab, event('completed', ADA, `/checkouts/cn/${ADA.token}/thank-you`));
    // The first attempt and the pixel's three retries (backoff while the page lives) all fail...
    await env.waitFor((c) => c.requests.filter((r) => r.status === 0).length == 4, 30_000, 'four failed attempts');
    // ...and the pixel gives up its lease, leaving the record for the theme snippet.
    await tab.waitForFunction(() => {
      const keys = Object.keys(localStorage);
      return keys.some((k) => k.startsWith('growlytics:r:')) && !keys.some((k) => k.startsWith('growlytics:l:'));
    });
    const stored = await tab.storage();
    const [key] = records(stored);
    expect(JSON.parse(stored[key])).toMatchObject({
      i: '7100000000001',
      a: { name: 'Ada Lovelace', email: ADA_EMAIL, mobile: '+447700900123', acceptsEmailMarketing: true, acceptsSmsMarketing: false },
    });

    // The buyer leaves the thank-you page (the pixel goes with it); the collector recovers;
    // the buyer comes back to the store: the theme snippet sends what the pixel left.
    await tab.goto('/elsewhere');
    env.collector.setFaults({});
    const failed = env.collector.requests.length;
    await tab.goto('/store');
    await env.waitFor((c) => okRequests(c, '7100000000001').length == 1, 30_000, 'the theme snippet delivers the pixel record');
    const delivered = env.collector.requests.slice(failed);
    expect(delivered.map((r) => [r.json, r.headers.origin])).toEqual([
      [{ id: '7100000000001', attributes: { name: 'Ada Lovelace', email: ADA_EMAIL, mobile: '+447700900123', acceptsEmailMarketing: true, acceptsSmsMarketing: false } }, env.origin],
    ]);
    await settled(tab);
    expectNothingPersonal(await tab.storage(), [ADA_EMAIL, 'Lovelace', '+447700900123', '7100000000001']);
  });

  test('a reloaded thank-you page does not repeat the profile', async () => {
    const env = await setup();
    const tab = await checkoutTab(env, kind, init());
    const thankYou = `/checkouts/cn/${ADA.token}/thank-you`;
    await publish(tab, event('completed', ADA, thankYou));
    await env.waitFor((c) => c.requests.length >= 1, 20_000, 'the order profile');
    await settled(tab); // the buyer stays a moment: the pixel is done before the reload

    await tab.reload();
    await startPixel(tab, env, kind, init()); // a new page: a new pixel, nothing in its memory
    await publish(tab, event('completed', ADA, thankYou)); // Shopify reports the order again
    await publish(tab, event('contact', sentinel(3)));
    await env.waitFor((c) => c.requests.length >= 2, 20_000, 'the sentinel');
    await settled(tab);
    expect(bodies(env.collector).map((b) => b.id)).toEqual(['7100000000001', 'sentinel3@example.com']);
    expect(okRequests(env.collector)).toHaveLength(2);
  });

  test('bad payloads: nothing thrown, nothing sent', async () => {
    const env = await setup();
    // A logged-in buyer, so even a payload without contact details could name someone.
    const tab = await checkoutTab(env, kind, init({ id: '6713034932445' }));
    const bad: unknown[] = [
      null,
      42,
      'checkout',
      [],
      {},
      { data: null },
      { data: 'x' },
      { data: { checkout: null } },
      { data: { checkout: 'x' } },
      { data: { checkout: [] } },
      { data: { checkout: [{ email: 'array@example.com' }] } },
      { data: { checkout: {} } }, // names the buyer, tells nothing
      { data: { checkout: { email: 42, phone: {}, token: 7, order: 'x', billingAddress: 'x', shippingAddress: [] } } },
      { data: { checkout: { email: '   ', phone: '', smsMarketingPhone: null, billingAddress: { firstName: 3 } } } },
      { data: { customer: { email: 'wrong-place@example.com' } } },
    ];
    for (const e of bad) {
      for (const name of Object.values(NAMES)) await tab.evaluate(([n, ev]: any) => (window as any).px.publish(n, ev), [name, e]);
    }
    // A guest pixel too: ids nobody can send (an email past 40 characters, no phone).
    const guest = await checkoutTab(env, kind, init());
    await publish(guest, event('contact', { token: 'long', email: `${'x'.repeat(40)}@example.com`, phone: '' }));
    await publish(guest, event('contact', { token: 'none', email: null, phone: '' }));
    await consent(guest, null);
    await consent(guest, { analyticsProcessingAllowed: 'yes' });
    await consent(guest, privacy(true));
    await publish(guest, event('contact', sentinel(4)));
    await publish(tab, event('contact', sentinel(5)));
    await env.waitFor((c) => c.requests.length >= 2, 20_000, 'the two sentinels');
    await settled(tab);

    expect(bodies(env.collector).map((b) => b.id).sort()).toEqual(['6713034932445', 'sentinel4@example.com']);
    // The logged-in page's sentinel is the buyer's own profile, by their id: the only one it sent.
    expect(env.collector.requests.filter((r) => r.id == '6713034932445')).toHaveLength(1);
    expect(await sandboxErrors(tab)).toEqual([]);
    expect(await sandboxErrors(guest)).toEqual([]);
    expect(pageErrorsOf(env.tabs)).toEqual([]);
  });

  // One delivery policy (issue 15 item 2): the pixel obeys the rules the storefront's tabs obey.

  /** From now on, `window.reads` lists the keys the page reads for the pixel (the host performs its storage calls). */
  const logReads = (tab: Tab) =>
    tab.evaluate(() => {
      const reads: string[] = ((window as any).reads = []);
      const getItem = Storage.prototype.getItem;
      Storage.prototype.getItem = function (key: string) {
        reads.push(key);
        return getItem.call(this, key);
      };
    });

  /** A storefront tab whose own request for Ada the collector holds `ms`: its lease is live while the pixel queues hers. */
  async function storefrontSending(env: Env, ms: number): Promise<Tab> {
    const store = await env.open('/store');
    env.collector.setFaults({ delayMs: ms });
    await store.identify(ADA_EMAIL, { plan: 'pro' });
    await env.waitFor((c) => c.requests.some((r) => r.id == ADA_EMAIL), 10_000, "the storefront's request in flight");
    env.collector.setFaults({});
    return store;
  }

  test('a storefront tab and the pixel on one origin: the pixel\'s record goes in one POST, by whichever sender', async () => {
    const env = await setup();
    await storefrontSending(env, 1_500);
    const tab = await checkoutTab(env, kind, init());
    await publish(tab, event('contact', ADA));
    await env.waitFor((c) => okRequests(c, ADA_EMAIL).length == 2, 20_000, "the pixel's record delivered");
    // No record and no lease left: nobody holds anything more to send.
    await settled(tab);
    expect(env.collector.requests.filter((r) => r.id == ADA_EMAIL)).toHaveLength(2);
    expect(await sandboxErrors(tab)).toEqual([]);
    expect(pageErrorsOf(env.tabs)).toEqual([]);
  });

  test('what another sender delivered while the pixel waited on its lease is not sent again', async () => {
    const env = await setup();
    // The storefront's own request for Ada is held 5 s (under the 6 s request
    // timeout): everything below up to the deletion happens while it is in flight.
    const store = await storefrontSending(env, 5_000);
    const lease = 'growlytics:l:' + hash(ADA_EMAIL);
    const tab = await checkoutTab(env, kind, init());
    await logReads(tab);
    await publish(tab, event('contact', ADA));
    // The pixel stored its record, then met the storefront's live lease: it waits (it polls).
    await tab.waitForFunction((k) => (window as any).reads.includes(k), lease, 10_000);
    // As a storefront tab does once its 2xx for the pixel's record came. (Done
    // while the storefront's request is in flight, so that the storefront's
    // own next round, which would legitimately send the record, finds it gone.)
    expect(okRequests(env.collector, ADA_EMAIL)).toHaveLength(0);
    await store.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('growlytics:r:')).forEach((k) => {
      if (JSON.parse(localStorage.getItem(k)!).a.acceptsEmailMarketing !== undefined) localStorage.removeItem(k);
    }));
    await env.waitFor((c) => okRequests(c, ADA_EMAIL).length == 1, 10_000, "the storefront's own request answered");
    await store.waitForFunction((k) => localStorage.getItem(k) == null, lease);
    // The lease is free: the pixel's next look (it polls) reads it, then finds the record gone.
    await logReads(tab);
    await tab.waitForFunction((k) => (window as any).reads.includes(k), lease, 10_000);
    // That look runs to its end before the next event's work (one queue of work).
    await publish(tab, event('contact', sentinel(9)));
    await env.waitFor((c) => okRequests(c, 'sentinel9@example.com').length == 1, 20_000, 'the sentinel');
    await settled(tab);
    expect(env.collector.requests.filter((r) => r.id == ADA_EMAIL).map((r) => r.json.attributes)).toEqual([{ plan: 'pro' }]);
  });

  test.each([
    ['a Retry-After another tab was told', { status: 429, retryAfter: 60 }],
    ['a key the server refused in another tab', { status: 401 }],
  ])('the pixel honours %s: it stores, and sends nothing', async (_, fault) => {
    const env = await setup();
    const store = await env.open('/store');
    env.collector.setFaults({ ...fault, times: 1 });
    await store.identify('shop-1', { n: 1 });
    await store.waitForFunction(() => localStorage.getItem('growlytics:p') || localStorage.getItem('growlytics:k'));
    const tab = await checkoutTab(env, kind, init());
    await publish(tab, event('contact', ADA));
    await publish(tab, event('contact', sentinel(6)));
    // One event at a time: once the sentinel's record is stored, Ada's send had its chance.
    await tab.waitForFunction(() => Object.keys(localStorage).filter((k) => k.startsWith('growlytics:r:')).length == 3);
    expect(env.collector.requests.map((r) => r.id)).toEqual(['shop-1']);
    expect(await sandboxErrors(tab)).toEqual([]);
  });

  test('no send after a consent refusal: the retry due after it looks, and sends nothing', async () => {
    const env = await setup();
    const tab = await checkoutTab(env, kind, init());
    // Retry-After: the retry comes 2 s later, after the refusal below.
    env.collector.setFaults({ status: 503, retryAfter: 2, times: 1 });
    await publish(tab, event('contact', ADA));
    await env.waitFor((c) => c.requests.some((r) => r.status === 503), 10_000, 'the 503');
    await logReads(tab);
    await consent(tab, privacy(false));
    // The retry looked: it read the refused-key mark, the first thing a send checks.
    await tab.waitForFunction(() => (window as any).reads.includes('growlytics:k'), undefined, 10_000);
    // Granted again: a new buyer's send comes after that retry in the pixel's one queue of work.
    await consent(tab, privacy(true));
    await publish(tab, event('contact', sentinel(7)));
    await env.waitFor((c) => okRequests(c, 'sentinel7@example.com').length == 1, 20_000, 'the sentinel');
    expect(env.collector.requests.filter((r) => r.id == ADA_EMAIL).map((r) => r.status)).toEqual([503]);
  });
});

test('the demo: a guest checks out from the cart, is identified by email with name and phone, and what the collector missed at thank-you arrives from the storefront', async () => {
  const env = await h.setup();
  await env.serve(checkoutPages({ key: env.key, endpoint: env.endpoint }));
  const tab = await env.open('/products/demo');
  await tab.evaluate(() => (document.getElementById('checkout-link') as HTMLAnchorElement).click());
  await tab.waitForFunction(() => document.getElementById('contact-continue'));
  const fill = (values: Record<string, string | boolean>) =>
    tab.evaluate((v: Record<string, string | boolean>) => {
      for (const [id, value] of Object.entries(v)) {
        const input = document.getElementById(id) as HTMLInputElement;
        if (typeof value == 'boolean') input.checked = value;
        else input.value = value;
      }
    }, values);
  const click = (id: string) => tab.evaluate((i: string) => (document.getElementById(i) as HTMLElement).click(), id);

  await fill({ email: 'Grace.Hopper@Example.com', phone: '+1 202 555 0143', 'email-opt-in': true });
  await click('contact-continue');
  await tab.waitForFunction(() => document.getElementById('shipping-continue'));
  await fill({ first: 'Grace', last: 'Hopper', address1: '1 Navy Yard', city: 'Arlington', zip: '22202' });
  await click('shipping-continue');
  await tab.waitForFunction(() => document.getElementById('pay'));
  await env.waitFor((c) => c.profiles.get('grace.hopper@example.com')?.attributes.name === 'Grace Hopper', 20_000, 'the guest, by email, with their name');
  expect(env.collector.profiles.get('grace.hopper@example.com')!.attributes).toMatchObject({
    email: 'grace.hopper@example.com', name: 'Grace Hopper', mobile: '+12025550143', acceptsEmailMarketing: true,
  });
  expect(okRequests(env.collector).length).toBe(env.collector.requests.length);

  // The collector goes down (the dashboard's "network drop") before the order.
  env.collector.setFaults({ drop: true });
  await click('pay');
  await tab.waitForFunction(() => location.pathname == '/checkout/thank-you' && document.getElementById('thanks'));
  const orderCustomer = (id: string | undefined) => /^\d+$/.test(id ?? '');
  await env.waitFor((c) => c.requests.some((r) => r.status === 0 && orderCustomer(r.id)), 20_000, 'a failed attempt for the order customer');
  await tab.waitForFunction(() => Object.keys(localStorage).some((k) => k.startsWith('growlytics:r:')));
  // The buyer goes on shopping: the storefront's theme snippet delivers what the pixels kept.
  await click('continue');
  await tab.waitForFunction(() => location.pathname == '/' && (window as any).growlytics?.identify);
  env.collector.setFaults({});
  await tab.flush();
  await env.waitFor((c) => okRequests(c).some((r) => orderCustomer(r.id)), 30_000, 'the theme snippet delivers the order customer');
  const [id] = [...env.collector.profiles.keys()].filter(orderCustomer);
  expect(env.collector.profiles.get(id)!.attributes).toMatchObject({ email: 'grace.hopper@example.com', name: 'Grace Hopper', mobile: '+12025550143' });
  await settled(tab);
  expect(pageErrorsOf(env.tabs)).toEqual([]);
});
