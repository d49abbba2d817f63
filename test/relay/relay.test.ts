// The relay's HTTP suite (SPEC §6, issue 16 item 6): the built relay, run
// by its Node entry and by workerd, with identical expectations, each case
// checked at a real upstream (the demo collector on loopback). "Nothing
// reached upstream" is checked once the relay's answer has arrived: the
// relay forwards before it answers, so by then a forward would have been
// recorded.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startNode, startWorkerd, type Vars } from './runtimes';
import { startUpstream } from './upstream';

const SECRET = 'app-secret-7f3a91c2';
const KEY_A = 'gl-key-a-58d1e0';
const KEY_B = 'gl-key-b-9c44b7';
const SHOP_A = 'shop-a.myshopify.com';
const SHOP_B = 'shop-b.myshopify.com';
const CUSTOMER = '6713034932445';

let upstream: Awaited<ReturnType<typeof startUpstream>>;
beforeAll(async () => {
  upstream = await startUpstream([KEY_A, KEY_B]);
});
afterAll(() => upstream?.close());

const vars = (): Vars => ({
  SHOPIFY_API_SECRET: SECRET,
  GROWLYTICS_KEYS: JSON.stringify({ [SHOP_A]: KEY_A, [SHOP_B]: KEY_B }),
  GROWLYTICS_ENDPOINT: upstream.endpoint,
});

/**
 * The App Proxy's query for `params` (the caller's own first, then what
 * Shopify adds), signed as Shopify documents it, written independently
 * of src/relay/signature.ts (test/relay/signature.test.ts checks both
 * against @shopify/shopify-api).
 */
const proxied = (
  { shop = SHOP_A, customer = '', at = Date.now(), own = [] as [string, string][], secret = SECRET } = {},
): URLSearchParams => {
  const query = new URLSearchParams([
    ...own,
    ['shop', shop],
    ['logged_in_customer_id', customer],
    ['path_prefix', '/apps/growlytics'],
    ['timestamp', String(Math.floor(at / 1000))],
  ]);
  const byName = new Map<string, string[]>();
  query.forEach((value, name) => byName.set(name, [...(byName.get(name) ?? []), value]));
  const message = [...byName].map(([name, values]) => `${name}=${values.join(',')}`).sort().join('');
  query.set('signature', createHmac('sha256', secret).update(message).digest('hex'));
  return query;
};

/** What each runtime's log must never hold: every id, attribute value, key and signature this suite sends. */
const NOT_A_SHOP = 'leak.zq25@example.com';
const secrets = new Set([SECRET, KEY_A, KEY_B, NOT_A_SHOP]);

type Runtime = { origin: string; logs: string[]; misconfigured: { origin: string; variable: string }[]; close: () => Promise<void> };

const runtimes: [string, () => Promise<Runtime>][] = [
  [
    'node',
    async () => {
      const relay = await startNode(vars());
      return { ...relay, misconfigured: [] };
    },
  ],
  [
    'workerd',
    async () => {
      // Three Workers in one workerd: the relay, and two with bad configuration.
      const { origins, logs, close } = await startWorkerd([
        vars(),
        { SHOPIFY_API_SECRET: SECRET, GROWLYTICS_ENDPOINT: upstream.endpoint },
        { ...vars(), GROWLYTICS_KEYS: '{"shop-a.myshopify.com": ' },
      ]);
      const misconfigured = [
        { origin: origins[1], variable: 'GROWLYTICS_KEYS: missing' },
        { origin: origins[2], variable: 'GROWLYTICS_KEYS: not valid JSON' },
      ];
      return { origin: origins[0], logs, misconfigured, close };
    },
  ],
];

describe.each(runtimes)('relay on %s', (_name, start) => {
  let relay: Runtime;
  let sent = 0; // requests this suite made to the runtime: one log line each
  beforeAll(async () => {
    relay = await start();
  }, 30_000);
  afterAll(() => relay?.close());
  beforeEach(() => upstream.reset());

  /** One request to the relay; checks the CORS headers every answer carries (SPEC §6). */
  const call = async (path: string, init: RequestInit & { origin?: string } = {}) => {
    sent++;
    const response = await fetch(`${init.origin ?? relay.origin}${path}`, init);
    const text = await response.text();
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-expose-headers')).toMatch(/retry-after/i);
    const json = (() => {
      try {
        return JSON.parse(text);
      } catch {
        return undefined;
      }
    })();
    return { status: response.status, headers: response.headers, text, json };
  };

  /** POSTs `body` (JSON-encoded unless a string) to /track/user with `query`. */
  const post = (query: URLSearchParams | string, body: unknown, type = 'application/json', origin?: string) => {
    const sig = typeof query == 'string' ? null : query.get('signature');
    if (sig) secrets.add(sig);
    return call(`/track/user?${query}`, {
      method: 'POST',
      headers: { 'content-type': type },
      body: typeof body == 'string' ? body : JSON.stringify(body),
      origin,
    });
  };
  const profile = (id: string, attributes: Record<string, unknown> = {}) => {
    if (id.length >= 5) secrets.add(id);
    for (const value of Object.values(attributes)) if (typeof value == 'string' && value.length >= 5) secrets.add(value);
    return { id, attributes };
  };
  const unsigned = (shop = SHOP_A) => `shop=${shop}`;

  /** The one request upstream received, checked: the shop's key, JSON, the body as sent. */
  const deliveredOnce = (collector: 'a' | 'b', body: object) => {
    expect(upstream.count()).toBe(1);
    const [request] = upstream[collector].requests;
    expect(request.headers['x-growlytics-key']).toBe(collector == 'a' ? KEY_A : KEY_B);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.json).toEqual(body);
    expect(request.status).toBe(200);
  };
  const nothingReachedUpstream = () => expect(upstream.count()).toBe(0);

  describe('signed (through the App Proxy)', () => {
    it('a guest with an email id is forwarded once, with the shop key', async () => {
      const body = profile('guest.zq1@example.com', { plan: 'plan-gold-zq2', visits: 3, vip: true });
      const res = await post(proxied(), body);
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ success: true });
      deliveredOnce('a', body);
    });

    it('the signed-in customer writes their own id', async () => {
      const body = profile(CUSTOMER, { name: 'Zq Customer', email: 'cust.zq3@example.com' });
      const res = await post(proxied({ customer: CUSTOMER }), body);
      expect(res.status).toBe(200);
      deliveredOnce('a', body);
    });

    it.each([
      ['another customer id', '6713034932446'],
      ['another customer id, gid form', 'gid://shopify/Customer/6713034932446'],
    ])('the signed-in customer cannot write %s: 422 naming the rule, nothing forwarded', async (_case, id) => {
      const res = await post(proxied({ customer: CUSTOMER }), profile(id, { plan: 'forged-zq4' }));
      expect(res.status).toBe(422);
      expect(res.json.success).toBe(false);
      expect(res.json.errors).toEqual([{ field: 'id', message: expect.stringMatching(/customer id.*signed in.*phone.*\+/) }]);
      nothingReachedUpstream();
    });

    it('a guest (empty logged_in_customer_id) cannot write a customer id', async () => {
      const res = await post(proxied({ customer: '' }), profile(CUSTOMER));
      expect(res.status).toBe(422);
      expect(res.json.errors.map((e: any) => e.field)).toEqual(['id']);
      nothingReachedUpstream();
    });

    it('repeated and encoded parameters of the caller are signed as Shopify does', async () => {
      const own: [string, string][] = [['extra', '1'], ['extra', '2'], ['note', 'a b&c=/d']];
      const body = profile('repeat.zq5@example.com');
      const res = await post(proxied({ own }), body);
      expect(res.status).toBe(200);
      deliveredOnce('a', body);
    });

    it('a timestamp 60 s old is still fresh', async () => {
      const body = profile('fresh.zq6@example.com');
      expect((await post(proxied({ at: Date.now() - 60_000 }), body)).status).toBe(200);
      deliveredOnce('a', body);
    });
  });

  describe('signature refused: 401, nothing forwarded', () => {
    const refused = async (query: URLSearchParams | string, why: RegExp) => {
      const res = await post(query, profile('victim.zq7@example.com', { mobile: '+919876543210' }));
      expect(res.status).toBe(401);
      expect(res.json).toEqual({ success: false, message: expect.stringMatching(why) });
      nothingReachedUpstream();
    };

    it('a tampered signature', async () => {
      const query = proxied();
      const sig = query.get('signature')!;
      query.set('signature', sig.slice(0, -1) + (sig.endsWith('0') ? '1' : '0'));
      await refused(query, /wrong signature/);
    });

    it('a customer id changed after signing', async () => {
      const query = proxied({ customer: CUSTOMER });
      query.set('logged_in_customer_id', '6713034932446');
      await refused(query, /wrong signature/);
    });

    it('a parameter added after signing', async () => {
      const query = proxied();
      query.append('extra', '1');
      await refused(query, /wrong signature/);
    });

    it('signed with another secret', () => refused(proxied({ secret: 'not-the-app-secret' }), /wrong signature/));

    it.each([
      ['91 s old', -91_000],
      ['91 s ahead', 91_000],
    ])('a stale timestamp (%s)', (_case, skew) => refused(proxied({ at: Date.now() + skew }), /stale timestamp/));

    it('a missing signature on an App Proxy query', async () => {
      const query = proxied({ customer: CUSTOMER });
      query.delete('signature');
      await refused(query, /missing signature/);
    });
  });

  describe('unsigned (a checkout pixel, ?shop=)', () => {
    it('an email id is forwarded, sent as text/plain', async () => {
      const body = profile('pixel.zq8@example.com', { email: 'pixel.zq8@example.com', mobile: '+919876543210' });
      const res = await post(unsigned(), JSON.stringify(body), 'text/plain;charset=UTF-8');
      expect(res.status).toBe(200);
      deliveredOnce('a', body);
    });

    it('a phone id with its + is forwarded', async () => {
      const body = profile('+919876543210');
      expect((await post(unsigned(), body)).status).toBe(200);
      deliveredOnce('a', body);
    });

    it.each([[CUSTOMER], ['919876543210']])('a digits-only id (%s: a customer id, or a phone without +) is refused: 422, nothing forwarded', async (id) => {
      const res = await post(unsigned(), profile(id));
      expect(res.status).toBe(422);
      expect(res.json.errors).toEqual([{ field: 'id', message: expect.stringMatching(/E\.164.*\+/) }]);
      nothingReachedUpstream();
    });
  });

  describe('the store: 403, nothing forwarded', () => {
    it.each([
      ['signed for a shop the relay does not serve', () => proxied({ shop: 'other-zq9.myshopify.com' })],
      ['unsigned, naming a shop the relay does not serve', () => unsigned('other-zq9.myshopify.com')],
      ['unsigned, naming no shop', () => ''],
      // Anyone can put anything in ?shop=: the log must not copy it (an email here).
      ['unsigned, naming something that is not a shop domain', () => unsigned(NOT_A_SHOP)],
    ])('%s', async (_case, query) => {
      const res = await post(query(), profile('shop.zq10@example.com'));
      expect(res.status).toBe(403);
      nothingReachedUpstream();
    });
  });

  describe('the body', () => {
    /** A JSON body of exactly `bytes` bytes. */
    const sized = (bytes: number) => {
      const frame = JSON.stringify({ id: 'big.zq11@example.com', attributes: { blob: '' } });
      return JSON.stringify({ id: 'big.zq11@example.com', attributes: { blob: 'x'.repeat(bytes - frame.length) } });
    };

    it('512 KiB exactly is forwarded', async () => {
      const body = sized(512 * 1024);
      expect(Buffer.byteLength(body)).toBe(512 * 1024);
      expect((await post(unsigned(), body)).status).toBe(200);
      deliveredOnce('a', JSON.parse(body));
    });

    it('513 KiB: 413, nothing forwarded', async () => {
      const res = await post(unsigned(), sized(513 * 1024));
      expect(res.status).toBe(413);
      nothingReachedUpstream();
    });

    it('513 KiB streamed without a content-length: 413, nothing forwarded', async () => {
      const bytes = new TextEncoder().encode(sized(513 * 1024));
      const stream = new ReadableStream({
        start(controller) {
          for (let at = 0; at < bytes.length; at += 64 * 1024) controller.enqueue(bytes.slice(at, at + 64 * 1024));
          controller.close();
        },
      });
      sent++;
      const res = await fetch(`${relay.origin}/track/user?${unsigned()}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: stream,
        duplex: 'half',
      } as RequestInit);
      await res.text();
      expect(res.status).toBe(413);
      nothingReachedUpstream();
    });

    it.each([
      ['not JSON', '{"id": "bad.zq12@example.com",'],
      ['an array', '[]'],
      ['a string', '"bad.zq12@example.com"'],
      ['an unknown field', '{"id": "bad.zq12@example.com", "attrs": {}}'],
      ['attributes as an array', '{"id": "bad.zq12@example.com", "attributes": []}'],
    ])('%s: 400, nothing forwarded', async (_case, text) => {
      const res = await post(unsigned(), text);
      expect(res.status).toBe(400);
      expect(res.json.success).toBe(false);
      nothingReachedUpstream();
    });

    it('another content type: 415, nothing forwarded', async () => {
      const res = await post(unsigned(), profile('form.zq13@example.com'), 'application/x-www-form-urlencoded');
      expect(res.status).toBe(415);
      nothingReachedUpstream();
    });
  });

  describe('the rules of SPEC §1 and §2: 422 with one error per broken rule, nothing forwarded', () => {
    const name50 = 'n'.repeat(50);
    const fifty = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`c${i}`, i]));
    it.each([
      ['rule 1: a 50-character name', { [name50]: 1 }, [`attributes.${name50}`]],
      ['names are non-empty', { '': 1 }, ['attributes.']],
      ['rule 3: null, an object, an array', { a: null, b: { x: 1 }, c: [1] }, ['attributes.a', 'attributes.b', 'attributes.c']],
      ['at most 50 custom attributes', { ...fifty, c50: 50 }, ['attributes.c50']],
    ])('%s', async (_case, attributes, fields) => {
      const res = await post(unsigned(), profile('rules.zq14@example.com', attributes));
      expect(res.status).toBe(422);
      expect(res.json).toEqual({ success: false, message: expect.any(String), errors: fields.map((field) => ({ field, message: expect.any(String) })) });
      nothingReachedUpstream();
    });

    it.each([
      ['missing', {}],
      ['empty', { id: '  ' }],
      ['41 characters', { id: `${'i'.repeat(29)}@example.com` }],
      ['an object', { id: { email: 'x' } }],
    ])('§2: an id %s', async (_case, body) => {
      const res = await post(unsigned(), body);
      expect(res.status).toBe(422);
      expect(res.json.errors.map((e: any) => e.field)).toEqual(['id']);
      nothingReachedUpstream();
    });

    it('rule 2 and the reserved names: Plan and plan are two names; 50 custom names plus name, email, mobile pass', async () => {
      // 48 of the fifty, then Plan and plan: 50 custom names.
      const custom = Object.fromEntries(Object.entries(fifty).slice(2));
      const attributes = { ...custom, Plan: 'plan-upper-zq15', plan: 'plan-lower-zq16', name: 'Zq Name', email: 'r.zq17@example.com', mobile: '+15550100' };
      const body = profile('rules.zq18@example.com', attributes);
      const res = await post(unsigned(), body);
      expect(res.status).toBe(200);
      deliveredOnce('a', body);
    });
  });

  describe('routes and CORS', () => {
    it('OPTIONS: 204 with the CORS headers, nothing forwarded', async () => {
      const res = await call(`/track/user?${unsigned()}`, {
        method: 'OPTIONS',
        headers: { origin: 'null', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-methods')).toMatch(/POST/);
      expect(res.headers.get('access-control-allow-headers')).toMatch(/content-type/i);
      nothingReachedUpstream();
    });

    it.each(['GET', 'PUT', 'DELETE'])('%s: 405, nothing forwarded', async (method) => {
      const res = await call(`/track/user?${unsigned()}`, { method });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST, OPTIONS');
      nothingReachedUpstream();
    });

    it.each(['/track/users', '/track/user/x', '/'])('POST %s: 404, nothing forwarded', async (path) => {
      const res = await call(`${path}?${unsigned()}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(profile('path.zq19@example.com')) });
      expect(res.status).toBe(404);
      nothingReachedUpstream();
    });

    it('the proxy URL may have a path of its own before /track/user', async () => {
      const body = profile('prefix.zq20@example.com');
      const res = await call(`/proxy/growlytics/track/user?${unsigned()}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(res.status).toBe(200);
      deliveredOnce('a', body);
    });
  });

  describe('the upstream answer, passed back', () => {
    const once = async (faults: object) => {
      upstream.a.setFaults(faults);
      const res = await post(proxied(), profile('upstream.zq21@example.com'));
      expect(upstream.count()).toBe(1);
      return res;
    };

    it('422: status and body as Growlytics sent them', async () => {
      const res = await once({ status: 422, times: 1 });
      expect(res.status).toBe(422);
      expect(res.text).toBe(JSON.stringify({ success: false, errors: [{ field: 'id', message: 'simulated rejection' }] }));
    });

    it.each([
      [429, '7'],
      [503, 'Wed, 09 Dec 2026 07:28:00 GMT'],
    ])('%s with Retry-After %s', async (status, retryAfter) => {
      const res = await once({ status, retryAfter, times: 1 });
      expect(res.status).toBe(status);
      expect(res.headers.get('retry-after')).toBe(retryAfter);
      expect(res.json).toEqual({ success: false, error: `simulated ${status}` });
    });

    it('a dropped connection: 502', async () => {
      const res = await once({ drop: true, times: 1 });
      expect(res.status).toBe(502);
    });

    it('a hang: 504 after the 8 s timeout', async () => {
      const started = Date.now();
      const res = await once({ hang: true, times: 1 });
      const took = Date.now() - started;
      expect(res.status).toBe(504);
      expect(took).toBeGreaterThanOrEqual(7_900);
      expect(took).toBeLessThan(10_000);
    }, 15_000);
  });

  it('two shops interleaved: each request carries its own shop\'s key', async () => {
    const bodies = Array.from({ length: 6 }, (_, i) => profile(`mix${i}.zq23@example.com`, { n: i }));
    const results = await Promise.all(bodies.map((body, i) => post(i % 2 ? proxied({ shop: SHOP_B }) : unsigned(SHOP_A), body)));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    for (const [collector, key, parity] of [['a', KEY_A, 0], ['b', KEY_B, 1]] as const) {
      const seen = upstream[collector].requests;
      expect(seen.map((r) => r.headers['x-growlytics-key'])).toEqual([key, key, key]);
      expect(seen.map((r) => r.id).sort()).toEqual(bodies.filter((_, i) => i % 2 == parity).map((b) => b.id).sort());
    }
  });

  it('missing or malformed configuration: the Worker answers 500 naming the variable, nothing forwarded', async () => {
    // The Node entry refuses to start instead (test/relay/node-start.test.ts).
    for (const { origin, variable } of relay.misconfigured) {
      const res = await post(unsigned(), profile('config.zq24@example.com'), 'application/json', origin);
      expect(res.status).toBe(500);
      expect(res.json.message).toContain(variable);
    }
    nothingReachedUpstream();
  });

  it('the log: one line per request (time, shop, outcome, status, ms), never an id, an attribute value, a key or a signature', async () => {
    // Bounded: the lines were printed before each answer; the pipe may lag.
    for (let i = 0; i < 100 && relay.logs.length < sent; i++) await new Promise((r) => setTimeout(r, 50));
    expect(relay.logs.length).toBe(sent);
    for (const line of relay.logs) {
      expect(line).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z growlytics-relay shop=(shop-[ab]\.myshopify\.com|other-zq9\.myshopify\.com|-) outcome="[a-z ]+" status=\d{3} ms=\d+$/);
      for (const secret of secrets) expect(line, `log line holds "${secret}"`).not.toContain(secret);
    }
    expect(secrets.size).toBeGreaterThan(40); // the ids, values, keys and signatures sent above were collected
    expect(relay.logs.some((line) => line.includes(`shop=${SHOP_A} outcome="forwarded" status=200`))).toBe(true);
  });
});
