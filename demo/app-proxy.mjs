// A stand-in for Shopify's App Proxy (SPEC §6; ../shared/notes/shopify-app-proxy.md),
// mounted on the demo storefront's own origin at /apps/growlytics/*. It does
// what Shopify does between a storefront and an app's proxy URL:
// - the browser's cookies are not forwarded (nor its Host or connection headers);
// - the query keeps the caller's own parameters and gains `shop`,
//   `logged_in_customer_id` (the signed-in customer, '' for a guest),
//   `path_prefix` and `timestamp` (Unix seconds); a caller's own values for
//   those names are replaced, so a shopper cannot name a customer;
// - `signature`: the hex HMAC-SHA256, keyed by the app's client secret, of
//   every other parameter as `name=value` (a repeated name's values joined
//   by `,`), sorted, joined with no separator;
// - the request goes on over HTTP to <proxy URL><the path below the prefix>.
// Shopify's proxy URL may not be localhost: this is how the demo and the
// browser tests get a signed request to a relay on loopback.

import { createHmac } from 'node:crypto';
import { readAll } from './listen.mjs';

/** Where the Growlytics app's proxy is served on a store: subpath prefix `apps`, subpath `growlytics`. */
export const PROXY_PREFIX = '/apps/growlytics';

// Shopify answers a proxy that does not respond with an error page after a
// while; the relay itself gives up on Growlytics after 8 s, so this only
// bounds a relay that is down or stuck.
const RELAY_TIMEOUT_MS = 15_000;
// Headers the browser sent that the proxy does not pass on.
const NOT_FORWARDED = new Set(['cookie', 'host', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);

/** Shopify's App Proxy signature of a query (every parameter but `signature`). */
export function proxySignature(query, secret) {
  const values = new Map();
  for (const [name, value] of query) {
    if (name !== 'signature') values.set(name, [...(values.get(name) ?? []), value]);
  }
  const message = [...values].map(([name, list]) => `${name}=${list.join(',')}`).sort().join('');
  return createHmac('sha256', secret).update(message).digest('hex');
}

/** The query Shopify forwards: the caller's parameters, Shopify's own, and the signature. */
export function signedQuery(search, { shop, customerId, prefix, secret, now }) {
  const query = new URLSearchParams(search);
  query.delete('signature');
  query.set('shop', shop);
  query.set('logged_in_customer_id', customerId);
  query.set('path_prefix', prefix);
  query.set('timestamp', String(Math.floor(now / 1000)));
  query.set('signature', proxySignature(query, secret));
  return query;
}

/**
 * The App Proxy of one shop. `relay` is the app's proxy URL (the relay's
 * origin, and path if any); `secret` the app's client secret.
 * Returns `{ prefix, handle(req, res, url, customerId) }`: `handle`
 * forwards a request under `prefix`, signed for the customer the
 * storefront's login names ('' for a guest), and writes the relay's answer back.
 */
export function appProxy({ relay, secret, shop, prefix = PROXY_PREFIX, now = () => Date.now() }) {
  return { prefix, handle };
  async function handle(req, res, url, customerId = '') {
    const query = signedQuery(url.search, { shop, customerId: String(customerId), prefix, secret, now: now() });
    const headers = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (!NOT_FORWARDED.has(name) && typeof value === 'string') headers[name] = value;
    }
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    const body = hasBody ? await readAll(req) : undefined;
    let answer;
    try {
      answer = await fetch(`${relay}${url.pathname.slice(prefix.length)}?${query}`, {
        method: req.method,
        headers,
        body,
        signal: AbortSignal.timeout(RELAY_TIMEOUT_MS),
      });
    } catch (e) {
      res.writeHead(502, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
      return res.end(`app proxy: the app did not answer (${e.name})`);
    }
    const out = { 'Cache-Control': 'no-store' };
    for (const name of ['content-type', 'retry-after']) {
      const value = answer.headers.get(name);
      if (value !== null) out[name] = value;
    }
    const text = await answer.text();
    res.writeHead(answer.status, out);
    res.end(text);
  }
}
