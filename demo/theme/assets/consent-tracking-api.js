// Stand-in for Shopify's Customer Privacy API ("consent-tracking-api" 0.1),
// with its real names (shopify.dev/docs/api/customer-privacy). The demo
// behaves like a store whose region requires consent: until the visitor
// decides, nothing is allowed. The decision is kept in the cookie
// `_tracking_consent_demo` ('yes' / 'no' / absent); a choice made with
// per-purpose values is remembered exactly for the rest of the page's life.
(function () {
  var Shopify = (window.Shopify = window.Shopify || {});
  if (Shopify.customerPrivacy) return; // loaded twice: keep the first

  var COOKIE = '_tracking_consent_demo';
  var PURPOSES = ['analytics', 'marketing', 'preferences', 'sale_of_data'];
  var choice = null; // { analytics: 'yes' | 'no', ... } once decided on this page

  function stored() {
    var m = document.cookie.match(/(?:^|;\s*)_tracking_consent_demo=(yes|no)(?:;|$)/);
    return m ? m[1] : '';
  }
  function value(purpose) {
    return choice ? choice[purpose] : stored();
  }
  function allowed(purpose) {
    return value(purpose) === 'yes';
  }

  Shopify.customerPrivacy = {
    analyticsProcessingAllowed: function () { return allowed('analytics'); },
    marketingAllowed: function () { return allowed('marketing'); },
    preferencesProcessingAllowed: function () { return allowed('preferences'); },
    saleOfDataAllowed: function () { return allowed('sale_of_data'); },
    currentVisitorConsent: function () {
      var out = {};
      PURPOSES.forEach(function (p) { out[p] = value(p); });
      return out;
    },
    shouldShowBanner: function () { return stored() === ''; },
    // consent: { analytics, marketing, preferences, sale_of_data } booleans
    // (a lone boolean, the API's old form, sets every purpose).
    setTrackingConsent: function (consent, callback) {
      var next = {};
      PURPOSES.forEach(function (p) {
        var v = typeof consent === 'boolean' ? consent : consent && consent[p];
        next[p] = v ? 'yes' : 'no';
      });
      // Asynchronous, like the real call (it posts to Shopify first).
      setTimeout(function () {
        choice = next;
        document.cookie = COOKIE + '=' + next.analytics + '; path=/; max-age=31536000; SameSite=Lax';
        document.dispatchEvent(new CustomEvent('visitorConsentCollected', {
          detail: {
            analyticsAllowed: next.analytics === 'yes',
            marketingAllowed: next.marketing === 'yes',
            preferencesAllowed: next.preferences === 'yes',
            saleOfDataAllowed: next.sale_of_data === 'yes',
          },
        }));
        if (typeof callback === 'function') callback();
      }, 20);
    },
  };
})();
