import { readBody } from './body';
import { readConfig, type Config, type Env } from './config';
import { forward } from './forward';
import { logLine } from './log';
import { checkProfile } from './profile';
import { preflight, refuse, reply } from './reply';
import { checkSignature, signingKey } from './signature';

/** What the relay did with a request, for its log line: a fixed word, never request data. */
type Outcome = { response: Response; outcome: string; shop: string | null };

// Parameters only Shopify's App Proxy adds: a query holding one of them
// and no signature was meant to be signed, and is refused, not taken for
// an unsigned request.
const PROXY_PARAMS = ['logged_in_customer_id', 'path_prefix', 'timestamp'];

/** The configuration and the signing key, derived from one `env`. */
type Setup = Config & { key: Promise<CryptoKey> };

// Derived once per `env` object: Workers passes an isolate's requests the
// same bindings, the Node entry one frozen copy of its environment. A cache
// of what the configuration implies, not state: no answer depends on an
// earlier request. (Importing the HMAC key was a tenth of a request's CPU.)
const setups = new WeakMap<Env, Setup | string>();
const setup = (env: Env): Setup | string => {
  let known = setups.get(env);
  if (known === undefined) {
    const config = readConfig(env);
    known = typeof config == 'string' ? config : { ...config, key: signingKey(config.secret) };
    setups.set(env, known);
  }
  return known;
};

/**
 * The relay (SPEC §6): a standard fetch handler, `{ fetch(request, env) }`,
 * stateless, the same on Cloudflare Workers and on Node (`node.ts`).
 * Never throws: every path ends in an answer and one log line.
 */
export const handler = {
  async fetch(request: Request, env: Env): Promise<Response> {
    const started = Date.now();
    let result: Outcome;
    try {
      // A runtime that passes no env still gets the 500 that names the first variable.
      result = await handle(request, env ?? {}, started);
    } catch {
      // A bug, not a refusal: say so without echoing anything of the request.
      result = { response: refuse(500, 'relay error'), outcome: 'relay error', shop: null };
    }
    console.log(logLine(started, result.shop, result.outcome, result.response.status, Date.now() - started));
    return result.response;
  },
};

const handle = async (request: Request, env: Env, now: number): Promise<Outcome> => {
  const url = new URL(request.url);
  const query = url.searchParams;
  const shop = query.get('shop');
  const done = (response: Response, outcome: string): Outcome => ({ response, outcome, shop });

  // The proxy URL's own path is the operator's choice: what matters is the
  // route Shopify forwards below it, `/track/user`.
  if (!url.pathname.endsWith('/track/user')) return done(refuse(404, `no route ${url.pathname}; POST .../track/user`), 'not found');
  if (request.method == 'OPTIONS') return done(preflight(), 'preflight');
  if (request.method != 'POST') return done(refuse(405, 'use POST', { allow: 'POST, OPTIONS' }), 'wrong method');

  const config = setup(env);
  if (typeof config == 'string') return done(refuse(500, `relay misconfigured: ${config}`), 'misconfigured');

  const signed = query.has('signature') || PROXY_PARAMS.some((name) => query.has(name));
  if (signed) {
    const problem = await checkSignature(query, await config.key, now);
    if (problem) return done(refuse(401, `App Proxy request refused: ${problem}`), problem);
  }
  const key = shop ? config.keyOf(shop) : undefined;
  if (!key) return done(refuse(403, shop ? 'this relay does not serve that shop' : 'shop: missing (?shop=<domain>.myshopify.com)'), 'unknown shop');

  const type = (request.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (type != 'application/json' && type != 'text/plain') {
    return done(refuse(415, 'content-type: application/json or text/plain'), 'wrong content type');
  }
  const text = await readBody(request);
  if (text == null) return done(refuse(413, 'body: larger than 512 KiB'), 'too large');

  const checked = checkProfile(text, signed ? query.get('logged_in_customer_id') ?? '' : '');
  if ('status' in checked) {
    if (checked.status == 400) return done(refuse(400, checked.message), 'bad body');
    const message = checked.errors.map((e) => e.message).join('; ');
    return done(reply(422, { success: false, message, errors: checked.errors }), 'refused profile');
  }
  const { response, outcome } = await forward(config.endpoint, key, checked);
  return done(response, outcome);
};
