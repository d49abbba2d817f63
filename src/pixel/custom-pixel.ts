import { startPixel } from './pixel';

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
  // The key left as shipped is no key: nothing is sent (profiles wait for
  // the theme snippet, which has its own), and the console says why.
  const key = GROWLYTICS_KEY == 'YOUR_GROWLYTICS_API_KEY' ? '' : GROWLYTICS_KEY;
  // (Through a relay, SPEC §6, the key stays empty: no error then.)
  if (!key && GROWLYTICS_ENDPOINT == 'https://dc.growlytics.in/track/user') {
    console.error('growlytics: set GROWLYTICS_KEY on the first line of the custom pixel');
  }
  startPixel(
    { analytics, browser, init, customerPrivacy: typeof api == 'object' && api ? api.customerPrivacy : undefined },
    key,
    GROWLYTICS_ENDPOINT,
  );
} catch {} // pasted where a global is missing (a ReferenceError): do nothing, quietly
