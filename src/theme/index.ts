/**
 * For theme developers who bundle their JavaScript. The functions act on the
 * page's one snippet (the same object as `window.growlytics`, if the script
 * tag is there too), created on first use.
 */
import { install, type Growlytics } from './client';

export type { Options, IdentifyResult } from './client';
export type { Customer } from './shopify';
export type { Growlytics };

/** The page's snippet; undefined where there is no browser window (server rendering). */
const api = (): Growlytics | undefined => {
  try {
    return install(window);
  } catch {}
  return undefined;
};

/** Configures the snippet (key, endpoint, debug, customer, autoIdentify, respectConsent). */
export const init: Growlytics['init'] = (options) => api()?.init(options);
/** Creates or updates a customer profile; returns `{ queued, errors }` and never throws. */
export const identify: Growlytics['identify'] = (id, attributes) =>
  api()?.identify(id, attributes) ?? { queued: false, errors: ['growlytics: needs a browser window'] };
/** Attempts every queued profile now; the promise never rejects. */
export const flush: Growlytics['flush'] = () => api()?.flush() ?? Promise.resolve();
/** Forgets the current customer; call it on logout. */
export const reset: Growlytics['reset'] = () => api()?.reset();

declare global {
  interface Window {
    growlytics: Growlytics | unknown[];
  }
}
