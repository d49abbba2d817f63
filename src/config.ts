import type { Customer } from './shopify';

/**
 * The page's configuration (SPEC §2 defaults), set by the script tag and
 * `init`. The first five are `init` options under their public names: init
 * copies each one whose type matches.
 */
export const config = {
  key: '',
  endpoint: 'https://dc.growlytics.in/track/user',
  debug: false,
  autoIdentify: true,
  respectConsent: true,
  _customer: null as Customer | null,
  /** False after reset(): the Shopify globals name no one for the rest of this page. */
  _useGlobals: true,
};

/** The option names `init` copies: config's own, less the internal ones. */
export const OPTIONS = ['key', 'endpoint', 'debug', 'autoIdentify', 'respectConsent'] as const;
