import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startPixel } from '../../src/pixel/pixel';
import { CHECKOUTS, LEASE, NAMES, TYPE, hash } from '../../src/core/record';

// The pixel runtime (SPEC §5) over a fake Shopify API: an analytics bus, an
// async localStorage that records what it held when each request left, and
// a stubbed fetch. The browser tests run the same code in its real sandboxes;
// these reach what a real sandbox cannot send (throwing getters, a storage
// that rejects) and time the retries with fake timers.

type Answer = number | (() => Promise<Response>);

let answers: Answer[];
let requests: { url: string; init: RequestInit; body: any; stored: Record<string, string> }[];
let store: Map<string, string>;

const ENDPOINT = 'https://collector.test/track/user';

function fake(o: { allowed?: boolean | null; customer?: unknown; storage?: any } = {}) {
  const subscribers: Record<string, ((e: unknown) => void)[]> = {};
  const consent: ((e: unknown) => void)[] = [];
  const localStorage = o.storage ?? {
    getItem: async (k: string) => store.get(k) ?? null,
    setItem: async (k: string, v: string) => void store.set(k, String(v)),
    removeItem: async (k: string) => void store.delete(k),
  };
  const api = {
    analytics: { subscribe: (name: string, cb: (e: unknown) => void) => (subscribers[name] ||= []).push(cb) },
    browser: { localStorage },
    init: {
      data: { customer: o.customer ?? null },
      ...(o.allowed === null ? {} : { customerPrivacy: { analyticsProcessingAllowed: o.allowed ?? true } }),
    },
    customerPrivacy: { subscribe: (_: string, cb: (e: unknown) => void) => consent.push(cb) },
  };
  return {
    api: api as any,
    emit: (name: string, e: unknown) => (subscribers[name] || []).forEach((cb) => cb(e)),
    consent: (allowed: boolean) => consent.forEach((cb) => cb({ customerPrivacy: { analyticsProcessingAllowed: allowed } })),
    consentRaw: (payload: unknown) => consent.forEach((cb) => cb(payload)),
  };
}

const buyer = (email: string, extra: object = {}, token = 'tok') => ({
  name: 'checkout_contact_info_submitted',
  data: { checkout: { token, email, phone: '', order: {}, buyerAcceptsEmailMarketing: true, ...extra } },
});
const contact = (p: ReturnType<typeof fake>, e: unknown) => p.emit('checkout_contact_info_submitted', e);
const records = () => [...store.keys()].filter((k) => k.startsWith('growlytics:r:'));
const sent = (n: number) => vi.waitFor(() => expect(requests.length).toBeGreaterThanOrEqual(n), { timeout: 2000, interval: 5 });

beforeEach(() => {
  answers = [];
  requests = [];
  store = new Map();
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit) => {
      requests.push({ url, init, body: JSON.parse(init.body as string), stored: Object.fromEntries(store) });
      const answer = answers.shift() ?? 200;
      if (typeof answer == 'function') return answer();
      return new Response(answer == 200 ? '{"success":true}' : '{"success":false}', { status: answer });
    }),
  );
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('delivery', () => {
  it('persists a record in the theme format and leases the id before sending; removes both on a 2xx', async () => {
    const p = fake();
    startPixel(p.api, 'key-1', ENDPOINT);
    contact(p, buyer('Ada@Example.com'));
    await sent(1);
    const [{ url, init, body, stored }] = requests;
    expect([url, init.method, init.keepalive, (init.headers as any)['x-growlytics-key']]).toEqual([ENDPOINT, 'POST', true, 'key-1']);
    expect(body).toEqual({ id: 'ada@example.com', attributes: { email: 'ada@example.com', acceptsEmailMarketing: true } });
    const key = Object.keys(stored).find((k) => k.startsWith('growlytics:r:'))!;
    expect(JSON.parse(stored[key])).toEqual({ i: 'ada@example.com', a: body.attributes });
    expect(+stored[LEASE + hash('ada@example.com')]).toBeGreaterThan(Date.now());
    expect(stored[TYPE + 'acceptsEmailMarketing']).toBe('boolean');
    expect(JSON.parse(stored[NAMES + hash('ada@example.com')])).toEqual(['acceptsEmailMarketing']);
    await vi.waitFor(() => expect(store.has(key) || store.has(LEASE + hash('ada@example.com'))).toBe(false));
  });

  it('keeps the record on a 5xx, retries three times while the page lives, then leaves it to the theme snippet', async () => {
    vi.useFakeTimers();
    answers = [503, 503, 503, 503];
    const p = fake();
    startPixel(p.api, 'k', ENDPOINT);
    contact(p, buyer('a@example.com'));
    for (let i = 0; i < 10; i++) await vi.advanceTimersByTimeAsync(5000);
    expect(requests).toHaveLength(4);
    expect(records()).toHaveLength(1);
    expect([...store.keys()].some((k) => k.startsWith(LEASE))).toBe(false);
  });

  it('honours Retry-After before retrying', async () => {
    vi.useFakeTimers();
    answers = [() => Promise.resolve(new Response('', { status: 429, headers: { 'retry-after': '30' } }))];
    const p = fake();
    startPixel(p.api, 'k', ENDPOINT);
    contact(p, buyer('a@example.com'));
    await vi.advanceTimersByTimeAsync(29_000);
    expect(requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2000);
    expect(requests).toHaveLength(2);
    expect(records()).toHaveLength(0);
  });

  it('drops a profile the server rejects (422), with a console error', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    answers = [422];
    const p = fake();
    startPixel(p.api, 'k', ENDPOINT);
    contact(p, buyer('a@example.com'));
    await sent(1);
    await vi.waitFor(() => expect(records()).toHaveLength(0));
    expect(error).toHaveBeenCalled();
  });

  it('a refused key (401) keeps the record and sends nothing more; no key to Growlytics itself sends nothing', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    answers = [401];
    const p = fake();
    startPixel(p.api, 'wrong', ENDPOINT);
    contact(p, buyer('a@example.com'));
    contact(p, buyer('b@example.com'));
    await vi.waitFor(() => expect(records()).toHaveLength(2));
    expect(requests).toHaveLength(1);
    // The refusal is shared (SPEC §3): the refused key is in storage for every sender.
    expect(store.get('growlytics:k')).toBe('wrong');

    store.clear();
    const q = fake();
    startPixel(q.api, '', 'https://dc.growlytics.in/track/user');
    contact(q, buyer('c@example.com'));
    // The pixel handles one event at a time: once d's record is stored, c's had its chance.
    contact(q, buyer('d@example.com'));
    await vi.waitFor(() => expect(records()).toHaveLength(2));
    expect(requests).toHaveLength(1);
  });

  it('through a relay (an endpoint not Growlytics\' own host) no key is needed: text/plain, no key header (SPEC §6)', async () => {
    const p = fake();
    startPixel(p.api, '', 'https://relay.example/apps/growlytics/track/user?shop=demo.myshopify.com');
    contact(p, buyer('r@example.com'));
    await sent(1);
    const [{ url, init, body }] = requests;
    expect(url).toBe('https://relay.example/apps/growlytics/track/user?shop=demo.myshopify.com');
    expect(init.headers).toEqual({ 'content-type': 'text/plain' });
    expect(body.id).toBe('r@example.com');
    await vi.waitFor(() => expect(records()).toHaveLength(0));
    expect(requests).toHaveLength(1);
  });

  it('writes the record before the "no repeat" mark: a pixel stopped in between leaves at worst a repeat, never a lost profile', async () => {
    const writes: string[] = [];
    const p = fake({
      storage: {
        getItem: async (k: string) => store.get(k) ?? null,
        setItem: async (k: string, v: string) => void (writes.push(k), store.set(k, String(v))),
        removeItem: async (k: string) => void store.delete(k),
      },
    });
    startPixel(p.api, 'key-1', ENDPOINT);
    contact(p, buyer('order@example.com'));
    await sent(1);
    const record = writes.findIndex((k) => k.startsWith('growlytics:r:'));
    expect(record).toBeGreaterThanOrEqual(0);
    expect(writes.indexOf(CHECKOUTS)).toBeGreaterThan(record);
  });

  it('merges its own waiting records of an id (later values win); the next 2xx removes them all', async () => {
    vi.useFakeTimers();
    answers = [503, 200];
    const p = fake();
    startPixel(p.api, 'k', ENDPOINT);
    contact(p, buyer('a@example.com', { phone: '+15145550199', buyerAcceptsEmailMarketing: true }));
    await vi.advanceTimersByTimeAsync(0);
    contact(p, buyer('a@example.com', { buyerAcceptsEmailMarketing: false, billingAddress: { firstName: 'Ada' } }));
    for (let i = 0; i < 5; i++) await vi.advanceTimersByTimeAsync(2000);
    expect(requests.map((r) => r.body)).toEqual([
      { id: 'a@example.com', attributes: { email: 'a@example.com', mobile: '+15145550199', acceptsEmailMarketing: true } },
      // The first record's mobile, the second's choice and name: one request.
      { id: 'a@example.com', attributes: { email: 'a@example.com', mobile: '+15145550199', acceptsEmailMarketing: false, name: 'Ada' } },
    ]);
    expect(records()).toHaveLength(0);
  });

  it('notices within a second that another sender released its lease', async () => {
    vi.useFakeTimers();
    const lease = LEASE + hash('a@example.com');
    store.set(lease, String(Date.now() + 15_000));
    const p = fake();
    startPixel(p.api, 'k', ENDPOINT);
    contact(p, buyer('a@example.com'));
    await vi.advanceTimersByTimeAsync(1500);
    expect(requests).toHaveLength(0);
    store.delete(lease); // the storefront tab's answer came
    await vi.advanceTimersByTimeAsync(1000);
    expect(requests).toHaveLength(1);
  });

  it('waits out another sender\'s live lease; a lease further ahead than one can be is void', async () => {
    vi.useFakeTimers();
    store.set(LEASE + hash('a@example.com'), String(Date.now() + 5000));
    store.set(LEASE + hash('b@example.com'), String(Date.now() + 3_600_000));
    const p = fake();
    startPixel(p.api, 'k', ENDPOINT);
    contact(p, buyer('a@example.com', {}, 't1'));
    contact(p, buyer('b@example.com', {}, 't2'));
    await vi.advanceTimersByTimeAsync(100);
    expect(requests.map((r) => r.body.id)).toEqual(['b@example.com']);
    await vi.advanceTimersByTimeAsync(5000);
    expect(requests.map((r) => r.body.id)).toEqual(['b@example.com', 'a@example.com']);
  });
});

describe('through the relay (no key, SPEC §6)', () => {
  const order = { id: 'gid://shopify/OrderIdentity/1', customer: { id: 'gid://shopify/Customer/7100000000001' } };

  it('a logged-in buyer and the order customer are identified by email, never by customer id', async () => {
    const p = fake({ customer: { id: '6713034932445' } });
    startPixel(p.api, '', 'https://relay.example/track/user?shop=demo.myshopify.com');
    contact(p, buyer('Ada@Example.com'));
    p.emit('checkout_completed', buyer('ada@example.com', { order, buyerAcceptsEmailMarketing: false }));
    await sent(2);
    await vi.waitFor(() => expect(records()).toEqual([]));
    expect(requests.map((r) => r.body.id)).toEqual(['ada@example.com', 'ada@example.com']);
  });

  it('with a key, the same buyer is identified by customer id (SPEC §5)', async () => {
    const p = fake({ customer: { id: '6713034932445' } });
    startPixel(p.api, 'k', ENDPOINT);
    contact(p, buyer('ada@example.com'));
    await sent(1);
    expect(requests[0].body.id).toBe('6713034932445');
  });
});

describe('validation against the shared state', () => {
  it('a value of another type than the name is locked to is dropped; the rest goes', async () => {
    store.set(TYPE + 'acceptsEmailMarketing', 'string');
    const p = fake();
    startPixel(p.api, 'k', ENDPOINT);
    contact(p, buyer('a@example.com'));
    await sent(1);
    expect(requests[0].body.attributes).toEqual({ email: 'a@example.com' });
    expect(store.get(TYPE + 'acceptsEmailMarketing')).toBe('string');
  });

  it('an id with 50 custom names counted gets no new one; reserved fields still go', async () => {
    const counted = Array.from({ length: 50 }, (_, i) => `n${i}`);
    store.set(NAMES + hash('a@example.com'), JSON.stringify(counted));
    const p = fake();
    startPixel(p.api, 'k', ENDPOINT);
    contact(p, buyer('a@example.com', { billingAddress: { firstName: 'Ada' } }));
    await sent(1);
    expect(requests[0].body.attributes).toEqual({ email: 'a@example.com', name: 'Ada' });
    expect(JSON.parse(store.get(NAMES + hash('a@example.com'))!)).toEqual(counted);
  });
});

describe('no repeat per checkout', () => {
  it('an unchanged profile is not sent again; a changed one is, and so is a return to an earlier one', async () => {
    const p = fake();
    startPixel(p.api, 'k', ENDPOINT);
    const a = buyer('a@example.com');
    const b = buyer('a@example.com', { billingAddress: { firstName: 'Ada' } });
    for (const e of [a, a, b, b, a]) contact(p, e);
    contact(p, buyer('sentinel@example.com', {}, 'other'));
    await sent(4);
    expect(requests.map((r) => Object.keys(r.body.attributes).length)).toEqual([2, 3, 2, 2]);
    expect(requests[3].body.id).toBe('sentinel@example.com');
  });

  it('survives a new runtime (a reloaded page) through storage, as hashes only', async () => {
    startPixel(fake().api, 'k', ENDPOINT);
    const first = fake();
    startPixel(first.api, 'k', ENDPOINT);
    contact(first, buyer('a@example.com'));
    await sent(1);
    const again = fake();
    startPixel(again.api, 'k', ENDPOINT);
    contact(again, buyer('a@example.com'));
    contact(again, buyer('sentinel@example.com', {}, 'other'));
    await sent(2);
    expect(requests.map((r) => r.body.id)).toEqual(['a@example.com', 'sentinel@example.com']);
    expect(store.get(CHECKOUTS)).not.toContain('example');
  });

  it('remembers at most 20 checkouts', async () => {
    const p = fake();
    startPixel(p.api, 'k', ENDPOINT);
    for (let i = 0; i < 25; i++) contact(p, buyer(`b${i}@example.com`, {}, `t${i}`));
    await sent(25);
    await vi.waitFor(() => expect(records()).toHaveLength(0));
    const marks = JSON.parse(store.get(CHECKOUTS)!);
    expect(marks).toHaveLength(20);
    expect(marks[19].startsWith(hash('t24') + '.')).toBe(true);
  });

  it('without storage, still once per runtime', async () => {
    const broken = { getItem: () => Promise.reject(new Error('gone')), setItem: () => { throw new Error('full'); }, removeItem: undefined };
    const p = fake({ storage: broken });
    startPixel(p.api, 'k', ENDPOINT);
    contact(p, buyer('a@example.com'));
    contact(p, buyer('a@example.com'));
    contact(p, buyer('sentinel@example.com', {}, 'other'));
    await sent(2);
    expect(requests.map((r) => r.body.id)).toEqual(['a@example.com', 'sentinel@example.com']);
  });
});

describe('consent', () => {
  it('what waits for consent goes on the grant', async () => {
    const p = fake({ allowed: false });
    startPixel(p.api, 'k', ENDPOINT);
    contact(p, buyer('a@example.com'));
    p.consent(true);
    await sent(1);
    expect(requests[0].body.id).toBe('a@example.com');
  });

  it('nothing is stored or sent before the grant: a refused profile leaves no trace', async () => {
    const p = fake({ allowed: false });
    startPixel(p.api, 'k', ENDPOINT);
    contact(p, buyer('refused@example.com', {}, 't1'));
    p.consent(false);
    p.consent(true);
    contact(p, buyer('sentinel@example.com', {}, 't2'));
    await sent(1);
    // Had anything of the refused profile been stored or sent, it would be here first.
    expect(requests.map((r) => r.body.id)).toEqual(['sentinel@example.com']);
    expect(JSON.stringify(requests[0].stored)).not.toContain('refused');
    expect(store.get(CHECKOUTS)).not.toContain(hash('t1') + '.');
  });

  it('a refusal discards what waited; later events wait for a grant', async () => {
    const p = fake({ allowed: false });
    startPixel(p.api, 'k', ENDPOINT);
    contact(p, buyer('refused@example.com', {}, 't1'));
    p.consent(false);
    contact(p, buyer('later@example.com', {}, 't2'));
    p.consent(true);
    await sent(1);
    contact(p, buyer('sentinel@example.com', {}, 't3'));
    await sent(2);
    expect(requests.map((r) => r.body.id)).toEqual(['later@example.com', 'sentinel@example.com']);
  });

  it('only the newest profile of an id in a checkout waits', async () => {
    const p = fake({ allowed: false });
    startPixel(p.api, 'k', ENDPOINT);
    contact(p, buyer('a@example.com'));
    contact(p, buyer('a@example.com', { billingAddress: { firstName: 'Ada' } }));
    p.consent(true);
    contact(p, buyer('sentinel@example.com', {}, 'other'));
    await sent(2);
    expect(requests.map((r) => r.body.attributes.name ?? r.body.id)).toEqual(['Ada', 'sentinel@example.com']);
  });

  it('an init without customerPrivacy sends (Shopify loaded the pixel: it was allowed)', async () => {
    const p = fake({ allowed: null });
    startPixel(p.api, 'k', ENDPOINT);
    contact(p, buyer('a@example.com'));
    await sent(1);
  });
});

describe('never throws', () => {
  it.each([
    ['no api', null],
    ['an empty api', {}],
    ['no analytics', { browser: {}, init: {} }],
    ['a subscribe that throws', { analytics: { subscribe: () => { throw new Error('x'); } } }],
    ['a customerPrivacy that throws', { analytics: { subscribe: () => 0 }, customerPrivacy: { subscribe: () => { throw new Error('x'); } } }],
    ['an init that throws', { analytics: { subscribe: () => 0 }, get init() { throw new Error('x'); } }],
  ])('%s', (_, api) => {
    expect(() => startPixel(api as any, 'k', ENDPOINT)).not.toThrow();
  });

  it('events and consent payloads with throwing getters, garbage, or none', async () => {
    const p = fake();
    startPixel(p.api, 'k', ENDPOINT);
    const getter = (name: string) => Object.defineProperty({}, name, { get: () => { throw new Error('getter'); } });
    for (const e of [undefined, null, getter('data'), { data: getter('checkout') }, { data: { checkout: { email: 42 } } }]) {
      expect(() => contact(p, e)).not.toThrow();
    }
    for (const e of [undefined, null, getter('customerPrivacy'), { customerPrivacy: getter('analyticsProcessingAllowed') }]) {
      expect(() => p.consentRaw(e)).not.toThrow();
    }
    contact(p, buyer('sentinel@example.com'));
    await sent(1);
    expect(requests.map((r) => r.body.id)).toEqual(['sentinel@example.com']);
  });

  it('a fetch that throws synchronously or rejects leaves the record for the theme snippet', async () => {
    vi.useFakeTimers();
    const boom = () => { throw new TypeError('boom'); };
    const offline = () => Promise.reject(new TypeError('offline'));
    answers = [boom, offline, boom, offline];
    const p = fake();
    startPixel(p.api, 'k', ENDPOINT);
    contact(p, buyer('a@example.com'));
    for (let i = 0; i < 10; i++) await vi.advanceTimersByTimeAsync(5000);
    expect(requests).toHaveLength(4);
    expect(records()).toHaveLength(1);
  });
});
