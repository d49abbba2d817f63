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

/**
 * The value `init` applies for an option, or undefined for a key or an
 * endpoint no request could use (SPEC §2): a key must be a valid header
 * value (fetch throws a TypeError before any request for code points past
 * U+00FF, NUL, CR or LF: a pasted zero-width space is one); an endpoint an
 * http(s) URL (resolved against the page, so an app proxy path works).
 */
export const usable = (name: string, value: any): any => {
  try {
    if (name != 'endpoint') return name != 'key' || !/[\0\n\r\u0100-\uffff]/.test(value) ? value : undefined;
    const url = new URL(value, location.href);
    if (/^https?:$/.test(url.protocol)) return url.href;
  } catch {}
};
