import { ENDPOINT, startPixel } from './pixel';

/**
 * The custom pixel's entry (SPEC §5): the script a merchant pastes in
 * Settings → Customer events → Add custom pixel. The build puts the two lines
 * the merchant edits above this code (rollup.config.mjs).
 */

// The lines the merchant edits.
declare const GROWLYTICS_KEY: string;
declare const GROWLYTICS_ENDPOINT: string;
// The lax sandbox's globals (help.shopify.com, "Custom pixels"): the
// customer events bus, async storage on the shop's origin, the page's
// snapshot at load, and `api`, whose `customerPrivacy` reports consent.
declare const analytics: any, browser: any, init: any, api: any;

try {
  // The key left as shipped is no key. Through the relay (the endpoint its
  // URL with ?shop=, SPEC §6) that is right: the relay holds the key. To
  // Growlytics itself nothing is sent without one (profiles wait for the
  // theme snippet), and the console says why.
  const key = GROWLYTICS_KEY == 'YOUR_GROWLYTICS_API_KEY' ? '' : GROWLYTICS_KEY;
  if (!key && GROWLYTICS_ENDPOINT == ENDPOINT) {
    console.error('growlytics: set GROWLYTICS_KEY on the first line of the custom pixel');
  }
  startPixel(
    { analytics, browser, init, customerPrivacy: typeof api == 'object' && api ? api.customerPrivacy : undefined },
    key,
    GROWLYTICS_ENDPOINT,
  );
} catch {} // pasted where a global is missing (a ReferenceError): do nothing, quietly
