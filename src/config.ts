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
 * Why a key or endpoint cannot be used, and the value to use otherwise. A
 * key must be a valid header value (fetch throws a TypeError before any
 * request for code points past U+00FF, NUL, CR or LF: a pasted zero-width
 * space is one); an endpoint must be an http(s) URL (resolved against the
 * page, so an app proxy path works).
 */
export const refusal = (name: string, value: any): [string, string?] => {
  try {
    if (name == 'key') {
      const bad = /[\0\n\r\u0100-\uffff]/.exec(value);
      if (bad) return [`key refused: it holds U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0')} at index ${bad.index}, which no HTTP header can carry`];
    }
    if (name == 'endpoint') {
      const url = new URL(value, location.href);
      if (!/^https?:$/.test(url.protocol)) throw 0;
      value = url.href;
    }
  } catch {
    return [`endpoint refused: ${value} is not an http(s) URL`];
  }
  return ['', value];
};
