import { config } from './config';

let loading = false;
let failed = false;
/** Runs when the answer may have changed: the feature loaded, or the visitor chose. */
let onSettle = (_refused: boolean): void => {};

/**
 * Whether the snippet may send and persist now (SPEC §4): never in the
 * theme editor (it shares the live store's origin), and, unless
 * `respectConsent` is off, only once Shopify's Customer Privacy API allows
 * analytics. Where the API is neither on the page nor loadable, or fails to
 * load, it proceeds, as Shopify's guidance says.
 */
export const allowed = (): boolean => {
  const shopify = (window as any).Shopify || {};
  try {
    if (shopify.designMode) return false;
    if (!config.respectConsent) return true;
    // Asked every time: the method, not an event, is authoritative.
    const privacy = shopify.customerPrivacy;
    if (privacy) return !!privacy.analyticsProcessingAllowed();
    if (failed || !shopify.loadFeatures) return true;
    if (!loading) {
      loading = true;
      shopify.loadFeatures([{ name: 'consent-tracking-api', version: '0.1' }], (error: unknown) => {
        failed = !!error;
        onSettle(false);
      });
    }
  } catch {
    // A throwing loadFeatures counts as a failed load; a throwing
    // analyticsProcessingAllowed as no consent.
    failed = loading;
  }
  return false;
};

/** What to run when the feature has loaded (the caller also runs it on `visitorConsentCollected`). */
export const watchConsent = (settle: (refused: boolean) => void): void => {
  onSettle = settle;
};
