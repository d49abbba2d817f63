import type { Customer } from './shopify';

/** The page's configuration (SPEC §2 defaults), set by the script tag and `init`. */
export const config = {
  _key: '',
  _endpoint: 'https://dc.growlytics.in/track/user',
  _debug: false,
  _autoIdentify: true,
  _respectConsent: true,
  _customer: null as Customer | null,
  /** False after reset(): the Shopify globals name no one for the rest of this page. */
  _useGlobals: true,
};
