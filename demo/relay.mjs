// The relay as the demo and the browser tests run it: the built Worker module
// (dist/relay/worker.js, the relay's fetch handler as Cloudflare runs it)
// served on node:http, as dist/relay/node.mjs serves it, with one addition
// for the dashboard: a tap that sees each request's route and the relay's
// answer.
//
// The tap tells the collector which route a profile came by without
// changing the relay: each request gets its own GROWLYTICS_ENDPOINT, the
// collector's, with `?via=relay-signed|relay-unsigned&relay=<n>` added (the
// relay posts to its endpoint as given, query included, and the collector
// records each request's path). A request the relay answered without
// posting (a refusal) never reaches the collector: `onAnswer` gets it with
// the relay's status and message.

import relay from '../dist/relay/worker.js';
import { listen, readAll } from './listen.mjs';

/** The demo store: the shop the App Proxy stand-in names, and the only one the demo relay serves. */
export const DEMO_SHOP = 'growlytics-demo.myshopify.com';
/** The demo app's client secret: what Shopify signs App Proxy requests with. */
export const DEMO_APP_SECRET = 'demo-app-secret';

/** The route a request to the relay came by: through the App Proxy (signed), or straight from a pixel. */
const routeOf = (query) => (query.has('signature') ? 'relay-signed' : 'relay-unsigned');

/** What a body names, for the dashboard only (the relay's own log never holds an id). */
function idOf(text) {
  try {
    const id = JSON.parse(text)?.id;
    return typeof id === 'string' || typeof id === 'number' ? String(id) : null;
  } catch {
    return null;
  }
}

/**
 * Starts the relay on host:port (0: any free port).
 * @param {object} o
 * @param {string} o.upstream   the collector's /track/user URL (GROWLYTICS_ENDPOINT)
 * @param {Record<string, string>} [o.keys]  shop domain → Growlytics key (GROWLYTICS_KEYS)
 * @param {string} [o.secret]   SHOPIFY_API_SECRET
 * @param {(entry: object) => void} [o.onAnswer]  each request once answered:
 *        { n, at, route, method, status, id, customer, message }
 * @returns {Promise<{ origin: string, close: () => Promise<void> }>}
 */
export function startRelay({ host = '127.0.0.1', port = 0, upstream, keys = { [DEMO_SHOP]: 'demo-key' }, secret = DEMO_APP_SECRET, onAnswer = () => {} }) {
  let seq = 0;
  async function handle(req, res) {
    const n = ++seq;
    const at = Date.now();
    const url = new URL(req.url, `http://${req.headers.host}`);
    const route = routeOf(url.searchParams);
    const headers = new Headers();
    for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    const body = hasBody ? await readAll(req) : null;
    const env = {
      SHOPIFY_API_SECRET: secret,
      GROWLYTICS_KEYS: JSON.stringify(keys),
      GROWLYTICS_ENDPOINT: `${upstream}?via=${route}&relay=${n}`,
    };
    const answer = await relay.fetch(new Request(url, { method: req.method, headers, body }), env);
    const text = await answer.text();
    res.writeHead(answer.status, Object.fromEntries(answer.headers));
    res.end(text);
    if (req.method !== 'POST') return; // preflights and probes: nothing to show
    let message = null;
    try {
      message = JSON.parse(text).message ?? null;
    } catch { /* an upstream body that is not JSON: nothing to quote */ }
    onAnswer({ n, at, route, method: req.method, status: answer.status, id: idOf(body.toString('utf8')), customer: url.searchParams.get('logged_in_customer_id'), message });
  }
  return listen(
    (req, res) =>
      handle(req, res).catch((e) => {
        console.error('demo relay: request failed', e);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      }),
    { host, port },
  );
}
