import { config } from './config';

/** The feature's load: 0 not asked, 1 asked (loading or loaded), 2 failed. */
let load = 0;
/** Runs when the answer may have changed: the feature loaded (no argument: no visitor's choice). */
let onSettle: undefined | (() => unknown); // none until install sets it

/**
 * Whether the snippet may send and persist now (SPEC §4), as a truthy value:
 * never in the theme editor (it shares the live store's origin), and, unless
 * `respectConsent` is off, only once Shopify's Customer Privacy API allows
 * analytics. Where the API is neither on the page nor loadable, or fails to
 * load, it proceeds, as Shopify's guidance says.
 */
export const allowed = (): boolean | void => {
  const shopify = (window as any).Shopify || {};
  try {
    if (!editing()) {
      if (!config.respectConsent) return true;
      // Asked every time: the method, not an event, is authoritative.
      const privacy = shopify.customerPrivacy;
      if (privacy) return privacy.analyticsProcessingAllowed();
      if (load > 1 || !shopify.loadFeatures) return true;
      if (!load) {
        load = 1;
        shopify.loadFeatures([{ name: 'consent-tracking-api', version: '0.1' }], (error: unknown) => {
          load = error ? 2 : 1;
          onSettle?.();
        });
      }
    }
  } catch {
    // A throwing loadFeatures counts as a failed load; a throwing
    // analyticsProcessingAllowed as no consent.
    load &&= 2;
  }
  // Else undefined: not allowed.
};

/** The theme editor's preview (`Shopify.designMode`): it shares the live store's origin, so the snippet leaves its storage alone. */
export const editing = (): unknown => {
  try {
    return (window as any).Shopify?.designMode;
  } catch {
    return false; // a throwing getter: not the editor
  }
};

/** What to run when the feature has loaded (the caller also runs it on `visitorConsentCollected`). */
export const watchConsent = (settle: () => unknown): void => {
  onSettle = settle;
};
