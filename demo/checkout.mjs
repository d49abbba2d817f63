// The demo store's checkout (issue 8): pages on the storefront's origin, as
// Shopify's checkout is on the shop's domain, which never run theme.liquid
// (so never the theme snippet). From the cart: contact, shipping and payment
// steps on one page (/checkout, like Shopify's one-page checkout), then a
// thank-you page (/checkout/thank-you). Each step fires the real event
// shapes into both Growlytics checkout pixels, each in its real kind of
// sandbox (demo/theme/assets/pixel-host.js): the custom pixel in a sandboxed
// iframe with an opaque origin, the app pixel in a Worker.
//
// Plugged into the storefront as raw pages (startStorefront's `pages`):
//   startStorefront({ ..., pages: checkoutPages({ key, endpoint }) })

import { DEMO_CUSTOMERS } from './storefront.mjs';
import { scriptJson } from './content-for-header.mjs';

const CONSENT_MODES = new Set(['features', 'api', 'fail']);

function cookies(req) {
  const out = {};
  for (const part of (req.headers.cookie || '').split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    try {
      out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
    } catch { /* someone else's malformed cookie: skip it */ }
  }
  return out;
}

/**
 * What `init` holds for this visitor (RegisterInit of
 * @shopify/web-pixels-extension): the logged-in buyer, or null for a guest,
 * and the visitor's consent, from the storefront's consent stand-in (a store
 * that does not collect consent allows analytics).
 */
function pixelInit(req, url) {
  const jar = cookies(req);
  const c = DEMO_CUSTOMERS[Number(jar.demo_customer) - 1];
  const collects = CONSENT_MODES.has(jar.demo_consent_mode);
  const decided = jar._tracking_consent_demo === 'yes' || jar._tracking_consent_demo === 'no';
  const allowed = !collects || jar._tracking_consent_demo === 'yes';
  const location = { href: url.href, origin: url.origin, pathname: url.pathname, search: url.search, hash: '', host: url.host, hostname: url.hostname, port: url.port, protocol: url.protocol };
  return {
    collects,
    decided,
    init: {
      context: { document: { location, referrer: '', characterSet: 'UTF-8', title: 'Checkout' }, window: { location, origin: url.origin }, navigator: { cookieEnabled: true, language: 'en-US' } },
      data: {
        customer: c
          ? { id: String(c.id), email: c.email, firstName: c.first_name, lastName: c.last_name, phone: c.phone ?? c.default_address?.phone ?? null, ordersCount: 2 }
          : null,
        cart: null,
        shop: { name: 'Demo Store', myshopifyDomain: 'growlytics-demo.myshopify.com', countryCode: 'US', storefrontUrl: url.origin, paymentSettings: { currencyCode: 'USD' } },
        purchasingCompany: null,
      },
      customerPrivacy: { analyticsProcessingAllowed: allowed, marketingAllowed: allowed, preferencesProcessingAllowed: allowed, saleOfDataAllowed: allowed },
    },
  };
}

function page(title, step, data) {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${title} – Demo Store – Checkout</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="/demo/assets/theme.css">
  <link rel="stylesheet" href="/demo/assets/checkout.css">
</head>
<body class="checkout" data-step="${step}">
<header class="site">
  <a class="logo" href="/">Demo Store</a>
  <span class="muted">Checkout · theme.liquid does not run here: only the pixels do</span>
</header>
<main id="checkout-main"></main>
<script id="checkout-data" type="application/json">${scriptJson(data)}</script>
<script src="/demo/assets/storage-words.js"></script>
<script src="/demo/assets/pixel-host.js"></script>
<script src="/demo/assets/checkout.js"></script>
</body>
</html>`;
}

/**
 * The checkout's pages, by path. `key` and `endpoint` are what the merchant
 * pastes into the custom pixel and what the app gives webPixelCreate
 * (through the relay: no key, and the relay's URL with ?shop=). `dashboard`
 * defaults to the endpoint's origin (the collector's).
 */
export function checkoutPages({ key = 'demo-key', endpoint, dashboard } = {}) {
  const render = (title, step) => (req, url) => {
    // The storefront hands a URL on a placeholder host: the page's real one is in Host.
    const { init, collects, decided } = pixelInit(req, new URL(url.pathname + url.search, `http://${req.headers.host}`));
    return page(title, step, {
      key,
      endpoint,
      dashboard: dashboard ?? (endpoint ? new URL('/', endpoint).href : null),
      init,
      consent: { collects, decided },
    });
  };
  return {
    '/checkout': render('Information', 'checkout'),
    '/checkout/thank-you': render('Thank you', 'thank-you'),
  };
}
