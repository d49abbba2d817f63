/** What the relay needs to check and forward a request (SPEC §6, "Configuration"). */
export type Config = {
  /** The app's client secret: the App Proxy signature key. */
  secret: string;
  /** The Growlytics key of a shop (`*.myshopify.com`), or undefined for a shop the relay does not serve. */
  keyOf: (shop: string) => string | undefined;
  /** Where profiles go: Growlytics' `/track/user`. */
  endpoint: string;
};

/** The variables, as Worker bindings or `process.env` hold them (a binding may already be parsed JSON). */
export type Env = Record<string, unknown>;

const DEFAULT_ENDPOINT = 'https://dc.growlytics.in/track/user';

/** A shop's `*.myshopify.com` domain, as the App Proxy's `shop` parameter names it. */
export const SHOP = /^[a-z0-9][a-z0-9-]*\.myshopify\.com$/;

// A key travels in a header: visible ASCII only, so a pasted space or a
// zero-width character is caught at start-up, not as a fetch TypeError later.
const HEADER_VALUE = /^[\x21-\x7e]+$/;

/**
 * Reads the configuration from `env`. Returns the config, or a message that
 * names the variable that is missing or malformed and why: the Node entry
 * stops with it, the Worker answers 500 with it.
 */
export const readConfig = (env: Env): Config | string => {
  const secret = env.SHOPIFY_API_SECRET;
  if (typeof secret != 'string' || !secret) return 'SHOPIFY_API_SECRET: missing (the app\'s client secret, which signs App Proxy requests)';

  const keys = readKeys(env);
  if (typeof keys == 'string') return keys;

  const endpoint = env.GROWLYTICS_ENDPOINT ?? DEFAULT_ENDPOINT;
  if (typeof endpoint != 'string' || !isHttpUrl(endpoint)) return 'GROWLYTICS_ENDPOINT: not an http(s) URL';

  return { secret, keyOf: keys, endpoint };
};

/** GROWLYTICS_KEYS (shop → key) or GROWLYTICS_KEY (one store), as a lookup; a string is the error. */
const readKeys = (env: Env): Config['keyOf'] | string => {
  const many = env.GROWLYTICS_KEYS;
  const one = env.GROWLYTICS_KEY;
  if (many != null && one != null) return 'GROWLYTICS_KEYS: set it or GROWLYTICS_KEY, not both';
  if (one != null) {
    if (typeof one != 'string' || !HEADER_VALUE.test(one)) return 'GROWLYTICS_KEY: not a usable key (visible ASCII characters, no spaces)';
    // One store: whichever shop the signed request or `?shop=` names (a
    // custom app's secret belongs to that one store).
    return (shop) => (SHOP.test(shop) ? one : undefined);
  }
  if (many == null) return 'GROWLYTICS_KEYS: missing (a JSON object from each shop\'s *.myshopify.com domain to its Growlytics key; or GROWLYTICS_KEY for one store)';
  let table: unknown = many;
  if (typeof many == 'string') {
    try {
      table = JSON.parse(many);
    } catch {
      return 'GROWLYTICS_KEYS: not valid JSON';
    }
  }
  if (!table || typeof table != 'object' || Array.isArray(table)) return 'GROWLYTICS_KEYS: must be a JSON object from shop domain to key';
  const byShop = new Map<string, string>();
  for (const [shop, key] of Object.entries(table)) {
    if (!SHOP.test(shop)) return `GROWLYTICS_KEYS: "${shop}" is not a *.myshopify.com domain`;
    if (typeof key != 'string' || !HEADER_VALUE.test(key)) return `GROWLYTICS_KEYS: the key of ${shop} is not a usable key (visible ASCII characters, no spaces)`;
    byShop.set(shop, key);
  }
  if (!byShop.size) return 'GROWLYTICS_KEYS: names no shop';
  // A Map, not the object: a shop named "__proto__" or "constructor" finds nothing.
  return (shop) => byShop.get(shop);
};

const isHttpUrl = (text: string): boolean => {
  try {
    return /^https?:$/.test(new URL(text).protocol);
  } catch {
    return false;
  }
};
