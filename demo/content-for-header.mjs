// What `{{ content_for_header }}` prints on a real storefront, reduced to the
// parts a script can see (checked against live HTML, see
// ../shared/notes/shopify-storefront-data.md and SPEC §4):
// - `__st` with `cid`, and `ShopifyAnalytics.meta.page.customerId`, only when
//   a customer is logged in, as JSON numbers; account pages have no pageType;
// - `Shopify.designMode = true` inside the theme editor;
// - `Shopify.loadFeatures`, Shopify's feature loader, when the store collects
//   consent; it fetches the Customer Privacy API script asynchronously.

export const CONSENT_API_SRC = '/demo/assets/consent-tracking-api.js';

/**
 * JSON safe inside <script>: like Shopify's `| json` (Rails' encoder) it
 * escapes <, > and &, and the line separators JavaScript once choked on.
 * `undefined` prints `null`, as Liquid's nil does.
 */
export function scriptJson(value) {
  const text = JSON.stringify(value === undefined ? null : value) ?? 'null';
  return text.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * @param {object} o
 * @param {'home'|'product'|'account'} o.page
 * @param {object|null} o.customer  the Liquid customer (snake_case) or null
 * @param {string} o.host           the storefront host, for __st.pageurl
 * @param {string} o.path
 * @param {''|'features'|'api'|'fail'} o.consent  how the Customer Privacy API is present
 * @param {boolean} o.designMode
 */
export function contentForHeader({ page, customer, host, path, consent = '', designMode = false }) {
  const reqid = crypto.randomUUID();
  const cid = customer ? customer.id : undefined;
  const product = { id: 8123456789012, vendor: 'Growlytics Demo', type: 'Mug', variants: [{ id: 44123456789012, price: 1500, name: 'Growlytics mug', sku: 'MUG-1' }] };

  const st = { a: 63748341981, offset: 0, reqid, pageurl: `${host}${path}`, u: 'a1b2c3d4e5f6' };
  let meta;
  if (page === 'account') {
    meta = { page: { customerId: cid } }; // no pageType on account pages
  } else if (page === 'product') {
    Object.assign(st, { p: 'product', rtyp: 'product', rid: product.id });
    meta = { product, page: { pageType: 'product', resourceType: 'product', resourceId: product.id, requestId: reqid, customerId: cid } };
  } else {
    st.p = 'home';
    meta = { page: { pageType: 'home', requestId: reqid, customerId: cid } };
  }
  if (cid !== undefined) st.cid = cid;
  // JSON.stringify drops undefined, so guests get no customerId at all.
  // Shopify escapes slashes in __st (`brilliant.xyz\/products\/halo`).
  const stJson = scriptJson(st).replace(/\//g, '\\/');

  const parts = [];
  parts.push(`<script>
  window.Shopify = window.Shopify || {};
  window.Shopify.shop = "growlytics-demo.myshopify.com";
  window.Shopify.locale = "en";
  window.Shopify.currency = {"active":"USD","rate":"1.0"};
  window.Shopify.country = "US";
  window.Shopify.theme = {"name":"Growlytics demo","id":140000000001,"role":"main"};
  window.Shopify.routes = window.Shopify.routes || {};
  window.Shopify.routes.root = "/";${designMode ? '\n  window.Shopify.designMode = true;' : ''}
</script>`);
  parts.push(`<script id="__st">var __st=${stJson};</script>`);
  parts.push(`<script>
  window.ShopifyAnalytics = window.ShopifyAnalytics || {};
  window.ShopifyAnalytics.meta = window.ShopifyAnalytics.meta || {};
  window.ShopifyAnalytics.meta.currency = 'USD';
  var meta = ${scriptJson(meta)};
  for (var attr in meta) {
    window.ShopifyAnalytics.meta[attr] = meta[attr];
  }
</script>`);
  if (consent === 'api') {
    // The API is already on the page before any theme script runs.
    parts.push(`<script src="${CONSENT_API_SRC}"></script>`);
  } else if (consent === 'features' || consent === 'fail') {
    parts.push(loadFeaturesScript(consent === 'fail' ? '/demo/assets/missing-consent-tracking-api.js' : CONSENT_API_SRC));
  }
  return parts.join('\n');
}

/**
 * Shopify.loadFeatures(features, callback): loads each feature's script once,
 * then calls every waiting callback with nothing (loaded) or an Error. Only
 * 'consent-tracking-api' is known here; a wrong `src` simulates a failed load.
 */
function loadFeaturesScript(src) {
  return `<script>
  (function () {
    var Shopify = (window.Shopify = window.Shopify || {});
    var waiting = null;
    Shopify.loadFeatures = function (features, callback) {
      var done = function (error) { setTimeout(function () { if (typeof callback === 'function') callback(error); }, 0); };
      var unknown = (features || []).filter(function (f) { return !f || f.name !== 'consent-tracking-api'; });
      if (unknown.length) return done(new Error('Unknown feature: ' + JSON.stringify(unknown[0])));
      if (Shopify.customerPrivacy) return done();
      if (waiting) return waiting.push(done);
      waiting = [done];
      var s = document.createElement('script');
      s.src = ${scriptJson(src)};
      s.async = true;
      s.onload = function () { var w = waiting; waiting = null; w.forEach(function (f) { f(); }); };
      s.onerror = function () {
        var w = waiting; waiting = null;
        w.forEach(function (f) { f(new Error('Failed to load feature consent-tracking-api')); });
      };
      document.head.appendChild(s);
    };
  })();
</script>`;
}
