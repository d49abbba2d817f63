// Shopify's App Proxy signature ("Authenticate app proxies", shopify.dev;
// notes/shopify-app-proxy.md): the hex HMAC-SHA256, keyed by the app's
// client secret, of every query parameter but `signature`, each written
// `name=value` (decoded; a repeated name's values joined by `,`), the
// strings sorted and joined with nothing between them.

/** How far `timestamp` may be from the relay's clock, as `@shopify/shopify-api` allows. */
export const MAX_SKEW_S = 90;

/** The string Shopify signs, from the forwarded query. */
export const signedMessage = (query: URLSearchParams): string => {
  const values = new Map<string, string[]>();
  for (const [name, value] of query) {
    if (name == 'signature') continue;
    const list = values.get(name);
    if (list) list.push(value);
    else values.set(name, [value]);
  }
  // Sorted as strings `name=value`, code unit by code unit, as the docs'
  // Ruby example does (`.sort`). `@shopify/shopify-api` sorts by name with
  // localeCompare instead: the two differ only for names one of which
  // extends another with a character below `=` (`a` and `a1`), or in case.
  return [...values].map(([name, list]) => `${name}=${list.join(',')}`).sort().join('');
};

/** The app secret as a Web Crypto HMAC-SHA256 key (Workers and Node alike); imported once per configuration, not per request. */
export const signingKey = (secret: string): Promise<CryptoKey> =>
  crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);

/** Lower-case hex HMAC-SHA256 of `message`. */
export const hmacHex = async (key: CryptoKey, message: string): Promise<string> => {
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(message)));
  return Array.from(mac, (byte) => byte.toString(16).padStart(2, '0')).join('');
};

/**
 * True when `a` and `b` are the same string, in time that depends only on
 * their length (which is public: 64 hex digits), so a forger learns nothing
 * from how fast a wrong signature is refused.
 */
export const equalInConstantTime = (a: string, b: string): boolean => {
  if (a.length != b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff == 0;
};

/** Why a signed query is refused, or '' when its signature is good and fresh. */
export type SignatureProblem = '' | 'missing signature' | 'wrong signature' | 'stale timestamp';

/**
 * Checks an App Proxy query: its signature (`key`: the app secret's), then that `timestamp` (Unix
 * seconds) is within 90 s of `nowMs`. A query without `timestamp` is stale:
 * Shopify always sends one.
 */
export const checkSignature = async (query: URLSearchParams, key: CryptoKey, nowMs: number): Promise<SignatureProblem> => {
  const signature = query.get('signature');
  if (!signature) return 'missing signature';
  // Upper-case hex is the same signature (the docs' is lower-case, and ours).
  const expected = await hmacHex(key, signedMessage(query));
  if (!equalInConstantTime(signature.toLowerCase(), expected)) return 'wrong signature';
  const timestamp = query.get('timestamp');
  const skew = Math.abs(nowMs / 1000 - Number(timestamp));
  return timestamp && skew <= MAX_SKEW_S ? '' : 'stale timestamp';
};
