// The App Proxy signature (SPEC §6): Shopify's documented example, repeated
// and encoded parameters, the 90 s window, and a cross-check against an
// independent implementation, @shopify/shopify-api 11's
// `utils.validateHmac(query, {signator: 'appProxy'})`, on generated queries.
import '@shopify/shopify-api/adapters/node';
import { LATEST_API_VERSION, shopifyApi } from '@shopify/shopify-api';
import { describe, expect, it } from 'vitest';
import { checkSignature, equalInConstantTime, hmacHex, signedMessage, signingKey } from '../../src/relay/signature';

const sign = async (secret: string, message: string) => hmacHex(await signingKey(secret), message);
const check = async (query: URLSearchParams, secret: string, now: number) => checkSignature(query, await signingKey(secret), now);

// "Authenticate app proxies" (shopify.dev): shared secret `hush`; this
// forwarded query and signature are the page's own. (The page now writes
// the shop as `{shop}.myshopify.com`; its signature is that of
// `shop-name.myshopify.com`, the name it used before.)
const DOCS_QUERY =
  'extra=1&extra=2&shop=shop-name.myshopify.com&logged_in_customer_id=1&path_prefix=%2Fapps%2Fawesome_reviews&timestamp=1317327555' +
  '&signature=4c68c8624d737112c91818c11017d24d334b524cb5c2b8ba08daa056f7395ddb';
const DOCS_TIME = 1317327555_000;

describe("Shopify's documented algorithm", () => {
  it('the documented example: repeated `extra` joined by a comma, decoded path_prefix, sorted, no separator', async () => {
    const query = new URLSearchParams(DOCS_QUERY);
    expect(signedMessage(query)).toBe(
      'extra=1,2logged_in_customer_id=1path_prefix=/apps/awesome_reviewsshop=shop-name.myshopify.comtimestamp=1317327555',
    );
    expect(await sign('hush', signedMessage(query))).toBe(query.get('signature'));
    expect(await check(query, 'hush', DOCS_TIME)).toBe('');
  });

  it('values are signed decoded: %XX, + and UTF-8', () => {
    const query = new URLSearchParams('b=a+b%26c%3Dd&a=%E2%9C%93%2C&signature=x');
    expect(signedMessage(query)).toBe('a=✓,b=a b&c=d');
  });

  it('sorts the name=value strings, not the names', () => {
    // "a-b=1" < "a=2" as strings ('-' < '='); by name "a" would come first.
    expect(signedMessage(new URLSearchParams('a=2&a-b=1'))).toBe('a-b=1a=2');
  });

  it.each([
    ['the wrong secret', 'hush!', DOCS_TIME, 'wrong signature'],
    ['90 s later', 'hush', DOCS_TIME + 90_000, ''],
    ['91 s later', 'hush', DOCS_TIME + 91_000, 'stale timestamp'],
    ['91 s earlier', 'hush', DOCS_TIME - 91_000, 'stale timestamp'],
  ])('the documented example with %s', async (_case, secret, now, problem) => {
    expect(await check(new URLSearchParams(DOCS_QUERY), secret, now)).toBe(problem);
  });

  it.each([
    ['a parameter added', (q: URLSearchParams) => q.append('extra', '3'), 'wrong signature'],
    ['a value changed', (q: URLSearchParams) => q.set('logged_in_customer_id', '2'), 'wrong signature'],
    ['one hex digit changed', (q: URLSearchParams) => q.set('signature', '5' + q.get('signature')!.slice(1)), 'wrong signature'],
    ['the signature truncated', (q: URLSearchParams) => q.set('signature', q.get('signature')!.slice(0, 63)), 'wrong signature'],
    ['the signature in upper case', (q: URLSearchParams) => q.set('signature', q.get('signature')!.toUpperCase()), ''],
    ['no signature', (q: URLSearchParams) => q.delete('signature'), 'missing signature'],
  ])('%s', async (_case, change, problem) => {
    const query = new URLSearchParams(DOCS_QUERY);
    change(query);
    expect(await check(query, 'hush', DOCS_TIME)).toBe(problem);
  });

  it('a signed query without a timestamp is stale', async () => {
    const query = new URLSearchParams('shop=a.myshopify.com&logged_in_customer_id=');
    query.set('signature', await sign('s', signedMessage(query)));
    expect(await check(query, 's', DOCS_TIME)).toBe('stale timestamp');
  });
});

describe('equalInConstantTime', () => {
  it.each([
    ['abc', 'abc', true],
    ['abc', 'abd', false],
    ['abc', 'ab', false],
    ['', '', true],
    ['0'.repeat(64), '0'.repeat(63) + '1', false],
  ])('%s vs %s: %s', (a, b, equal) => expect(equalInConstantTime(a, b)).toBe(equal));
});

describe('cross-check with @shopify/shopify-api 11 (validateHmac, signator appProxy)', () => {
  const secret = 'cross-check-secret';
  const shopify = shopifyApi({
    apiKey: 'cross-check',
    apiSecretKey: secret,
    scopes: [],
    hostName: 'relay.test',
    apiVersion: LATEST_API_VERSION,
    isEmbeddedApp: false,
    logger: { level: 0 },
  });
  // Its query form: a repeated name's values as an array.
  const asObject = (query: URLSearchParams) => {
    const out: Record<string, string | string[]> = {};
    query.forEach((value, name) => {
      const held = out[name];
      out[name] = held === undefined ? value : [...(Array.isArray(held) ? held : [held]), value];
    });
    return out;
  };
  const oracle = (query: URLSearchParams) => shopify.utils.validateHmac(asObject(query) as any, { signator: 'appProxy' });

  // A seeded generator, so a failure can be replayed.
  let seed = 20261207;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const pick = (chars: string, max: number) => Array.from({ length: 1 + Math.floor(random() * max) }, () => chars[Math.floor(random() * chars.length)]).join('');
  // Names: lower-case letters and `_`. shopify-api sorts by name with
  // localeCompare, Shopify's docs sort the `name=value` strings; the two
  // orders agree for these names (see signedMessage), and differ for
  // names that extend another with a character below `=`, or differ in case.
  const NAMES = 'abcdefghijklmnopqrstuvwxyz_';
  // Values: anything a query can carry, decoded.
  const VALUES = 'aZ09 -_.~!*\'()&=+,;:/?#%@[]"<>✓é漢😀';

  const generated = () => {
    const query = new URLSearchParams();
    const names = Array.from({ length: 1 + Math.floor(random() * 5) }, () => pick(NAMES, 8));
    for (const name of names) {
      const repeats = random() < 0.3 ? 2 + Math.floor(random() * 2) : 1;
      for (let i = 0; i < repeats; i++) query.append(name, random() < 0.1 ? '' : pick(VALUES, 12));
    }
    query.set('shop', 'cross-check.myshopify.com');
    query.set('logged_in_customer_id', random() < 0.5 ? '' : pick('0123456789', 13));
    query.set('path_prefix', '/apps/growlytics');
    query.set('timestamp', String(Math.floor(Date.now() / 1000)));
    return query;
  };

  it('200 generated queries: both accept what the relay signs, both refuse it changed', async () => {
    let repeated = 0;
    for (let n = 0; n < 200; n++) {
      const query = generated();
      if (new Set(query.keys()).size < [...query.keys()].length) repeated++;
      query.set('signature', await sign(secret, signedMessage(query)));
      // Through the wire: encoded by URLSearchParams, decoded again.
      const received = new URLSearchParams(query.toString());
      expect(await oracle(received), received.toString()).toBe(true);
      expect(await check(received, secret, Date.now())).toBe('');

      const changed = new URLSearchParams(received);
      changed.append(pick(NAMES, 4), pick(VALUES, 4));
      expect(await oracle(changed), changed.toString()).toBe(false);
      expect(await check(changed, secret, Date.now())).toBe('wrong signature');
    }
    expect(repeated).toBeGreaterThan(20); // the repeated-name case was exercised
  });

  it("the documented example's parameters pass shopify-api too, signed now (it reads the real clock)", async () => {
    const query = new URLSearchParams(DOCS_QUERY);
    const withHush = shopifyApi({ apiKey: 'x', apiSecretKey: 'hush', scopes: [], hostName: 'relay.test', apiVersion: LATEST_API_VERSION, isEmbeddedApp: false, logger: { level: 0 } });
    // Re-sign with a fresh timestamp so the oracle's clock check passes.
    query.set('timestamp', String(Math.floor(Date.now() / 1000)));
    query.set('signature', await sign('hush', signedMessage(query)));
    expect(await withHush.utils.validateHmac(asObject(query) as any, { signator: 'appProxy' })).toBe(true);
  });
});
