// The demo checkout's page script (demo/checkout.mjs serves the pages). It
// plays Shopify's checkout: contact, shipping and payment steps, then the
// thank-you page, and at each step publishes the customer event Shopify
// would, shaped like recorded real ones (event.data.checkout: `phone: ""`,
// `order: {}` until the order exists, `gid://` ids, no address phone after
// the payment step), into the Growlytics pixels running in their sandboxes.
// Express checkout (Shop Pay) skips the contact, address and shipping events.
(function () {
  'use strict';
  var $ = function (id) { return document.getElementById(id); };
  var data = JSON.parse($('checkout-data').textContent);
  var page = document.body.getAttribute('data-step'); // 'checkout' | 'thank-you'
  var customer = data.init.data.customer;
  var STATE = 'demo-checkout';
  var KINDS = { custom: ['custom'], app: ['app'], both: ['custom', 'app'] };

  // ----------------------------------------------------------- state

  function load() {
    try { return JSON.parse(sessionStorage.getItem(STATE)); } catch (e) { return null; }
  }
  function save() { sessionStorage.setItem(STATE, JSON.stringify(state)); }
  function hex(n) {
    var s = '';
    while (s.length < n) s += Math.floor(Math.random() * 16).toString(16);
    return s;
  }
  function fresh() {
    return {
      token: hex(32), stage: 'contact', express: false,
      email: customer ? customer.email : '', phone: '', emailOptIn: false, smsOptIn: false,
      first: customer ? customer.firstName || '' : '', last: customer ? customer.lastName || '' : '',
      address1: '', city: '', zip: '', addressPhone: '', rate: 'standard', billingSame: true,
    };
  }
  var state = load();
  if (page === 'checkout' && (!state || state.order)) state = fresh();
  if (!state) state = fresh(); // a thank-you page opened directly

  // Which pixels run: ?pixels=custom|app|both, remembered for the session.
  var chosen = new URLSearchParams(location.search).get('pixels') || sessionStorage.getItem('demo-pixels') || 'both';
  if (!KINDS[chosen]) chosen = 'both';
  sessionStorage.setItem('demo-pixels', chosen);

  // ----------------------------------------------------------- payloads

  var LINE = {
    discountAllocations: [], id: '44123456789012', quantity: 1, title: 'Growlytics mug',
    variant: { id: '44123456789012', price: { amount: 15, currencyCode: 'USD' }, product: { id: '8123456789012', title: 'Growlytics mug', vendor: 'Growlytics Demo', type: 'Mug' }, title: 'Default Title' },
  };
  function money(amount) { return { amount: amount, currencyCode: 'USD' }; }
  // An empty phone is "" on the early steps and left out later, as recorded.
  function address(early) {
    var a = { address1: state.address1 || null, address2: null, city: state.city || null, country: 'United States', countryCode: 'US', firstName: state.first || null, lastName: state.last || null, province: null, provinceCode: null, zip: state.zip || null };
    if (early || state.addressPhone) a.phone = state.addressPhone || '';
    return a;
  }
  /** event.data.checkout at this point of the checkout. */
  function checkout(stage) {
    var early = stage === 'contact';
    var c = {
      attributes: stage === 'completed' ? [] : [{ key: '_demo_cart', value: '1' }],
      token: state.token,
      currencyCode: 'USD',
      discountApplications: [],
      email: state.email || null,
      buyerAcceptsEmailMarketing: !!state.emailOptIn,
      buyerAcceptsSmsMarketing: !!state.smsOptIn,
      smsMarketingPhone: state.smsOptIn && state.phone ? state.phone : null,
      lineItems: [LINE],
      order: stage === 'completed' ? state.order : {},
      shippingAddress: early ? { country: 'United States', countryCode: 'US', phone: '' } : address(stage !== 'payment' && stage !== 'completed'),
      subtotalPrice: money(15),
      shippingLine: { price: stage === 'contact' || stage === 'address' ? {} : money(state.rate === 'express' ? 12 : 0) },
      totalTax: money(1.2),
      totalPrice: money(16.2 + (state.rate === 'express' && !early ? 12 : 0)),
    };
    // The first steps carry the phone ("" when none); later events leave an
    // empty one out, as recorded real ones do.
    if (stage === 'contact' || stage === 'address' || stage === 'shipping' || state.phone) c.phone = state.phone || '';
    if (stage === 'payment' || stage === 'completed') c.billingAddress = state.billingSame ? address(false) : null;
    return c;
  }
  var seq = 0;
  function event(name, stage) {
    return {
      id: 'sh-' + hex(8) + '-' + hex(4), name: name, type: 'standard', seq: ++seq,
      clientId: 'demo-client-id', timestamp: new Date().toISOString(),
      context: data.init.context,
      data: { checkout: checkout(stage) },
    };
  }

  // ----------------------------------------------------------- pixels

  var pixels = Promise.all(KINDS[chosen].map(function (kind) {
    return GrowlyticsPixelHost.start({ kind: kind, key: data.key, endpoint: data.endpoint, init: data.init });
  }));
  pixels.then(function (list) {
    $('pixel-status').textContent = list.map(function (p) {
      return p.kind === 'custom' ? 'custom pixel: sandboxed iframe (opaque origin, requests carry Origin: null)' : 'app pixel: web worker (self.shopify.extend)';
    }).join(' · ');
  }, function (error) { $('pixel-status').textContent = 'pixels failed to start: ' + error; });

  var log = [];
  function publish(name, stage) {
    var e = event(name, stage);
    log.unshift(new Date().toLocaleTimeString() + '  ' + name + '  ' + JSON.stringify({
      email: e.data.checkout.email, phone: e.data.checkout.phone, name: [address(false).firstName, address(false).lastName].filter(Boolean).join(' ') || undefined,
      order: e.data.checkout.order && e.data.checkout.order.id ? e.data.checkout.order : undefined,
    }));
    $('events').textContent = log.join('\n');
    return pixels.then(function (list) { list.forEach(function (p) { p.publish(name, e); }); });
  }

  // ----------------------------------------------------------- page

  var FORMS = {
    contact:
      '<h2>Contact</h2><form id="contact-form">' +
      '<label>Email <input id="email" type="email" autocomplete="off" required></label>' +
      '<label>Phone <input id="phone" placeholder="+1 202 555 0143 (optional)" autocomplete="off"></label>' +
      '<label><input id="email-opt-in" type="checkbox"> Email me with news and offers</label>' +
      '<label><input id="sms-opt-in" type="checkbox"> Text me with news and offers</label>' +
      '<div class="actions"><button id="contact-continue" type="submit">Continue to shipping</button>' +
      '<button id="express" type="button">Express checkout (Shop Pay)</button></div></form>',
    shipping:
      '<h2>Shipping address</h2><form id="shipping-form">' +
      '<label>First name <input id="first" autocomplete="off"></label>' +
      '<label>Last name <input id="last" autocomplete="off" required></label>' +
      '<label>Address <input id="address1" autocomplete="off" required></label>' +
      '<label>City <input id="city" autocomplete="off" required></label>' +
      '<label>ZIP <input id="zip" autocomplete="off" required></label>' +
      '<label>Phone <input id="address-phone" autocomplete="off" placeholder="for the courier (optional)"></label>' +
      '<h3>Shipping method</h3>' +
      '<label><input type="radio" name="rate" id="rate-standard" value="standard" checked> Standard · free</label>' +
      '<label><input type="radio" name="rate" id="rate-express" value="express"> Express · $12.00</label>' +
      '<div class="actions"><button id="shipping-continue" type="submit">Continue to payment</button></div></form>',
    payment:
      '<h2>Payment</h2><form id="payment-form">' +
      '<label>Card number <input id="card" value="4242 4242 4242 4242" autocomplete="off"></label>' +
      '<label><input id="billing-same" type="checkbox" checked> Billing address same as shipping</label>' +
      '<div class="actions"><button id="pay" type="submit">Pay now</button></div></form>',
  };

  function render() {
    var main = $('checkout-main');
    main.innerHTML =
      '<section class="card" id="step"></section>' +
      '<section class="card"><h2>Order summary</h2><p>1 × Growlytics mug <span class="muted">$15.00</span></p>' +
      '<p id="buyer" class="muted"></p>' +
      '<h2>Pixels on this page</h2><p id="pixel-status" class="muted">starting…</p>' +
      '<p>Run: <a href="?pixels=both">both</a> · <a href="?pixels=custom">custom pixel</a> · <a href="?pixels=app">app pixel</a>' +
      (data.dashboard ? ' · <a href="' + data.dashboard + '" target="growlytics-dashboard">collector dashboard</a>' : '') + '</p>' +
      '<h3>Events published</h3><pre id="events">none yet</pre>' +
      '<h3>This browser\'s growlytics:* storage (the shop\'s origin; hover for the raw key)</h3><ul id="storage" class="storage"></ul></section>' +
      '<div id="consent-banner" class="banner" hidden><p>We use cookies and similar technologies to understand how you use our store.</p>' +
      '<button id="consent-accept" type="button">Accept</button><button id="consent-decline" type="button">Decline</button></div>';
    $('buyer').textContent = customer ? 'Logged in as ' + [customer.firstName, customer.lastName].join(' ') + ' (#' + customer.id + ')' : 'Guest checkout';
  }

  function showStage() {
    var section = $('step');
    if (page === 'thank-you') {
      section.innerHTML = '<h2 id="thanks"></h2><p id="order-line" class="muted"></p>' +
        '<p>The pixels identified you at each step that changed your profile. If the collector was down, the profile waits in this browser: ' +
        'the theme snippet delivers it on your next storefront page.</p>' +
        '<div class="actions"><a id="continue" class="button" href="/">Continue shopping</a></div>';
      $('thanks').textContent = state.order ? 'Thank you' + (state.first ? ', ' + state.first : '') + '!' : 'No order yet';
      $('order-line').textContent = state.order ? 'Order ' + state.order.id + ' · customer ' + state.order.customer.id : 'Start from the cart.';
      return;
    }
    section.innerHTML = FORMS[state.stage];
    if (state.stage === 'contact') {
      $('email').value = state.email;
      $('phone').value = state.phone;
      $('email-opt-in').checked = state.emailOptIn;
      $('sms-opt-in').checked = state.smsOptIn;
      $('contact-form').addEventListener('submit', function (e) {
        e.preventDefault();
        state.email = $('email').value;
        state.phone = $('phone').value.replace(/[\s()-]/g, '');
        state.emailOptIn = $('email-opt-in').checked;
        state.smsOptIn = $('sms-opt-in').checked;
        state.stage = 'shipping';
        save();
        publish('checkout_contact_info_submitted', 'contact');
        showStage();
      });
      $('express').addEventListener('click', function () {
        // Shop Pay fills everything at once: no contact, address or shipping event.
        state.express = true;
        state.email = state.email || 'grace@example.com';
        state.phone = state.phone || '+12025550143';
        state.first = state.first || 'Grace';
        state.last = state.last || 'Hopper';
        state.address1 = '1 Navy Yard';
        state.city = 'Arlington';
        state.zip = '22202';
        pay();
      });
    } else if (state.stage === 'shipping') {
      ['first', 'last', 'address1', 'city', 'zip'].forEach(function (k) { $(k).value = state[k]; });
      $('address-phone').value = state.addressPhone;
      $('shipping-form').addEventListener('submit', function (e) {
        e.preventDefault();
        ['first', 'last', 'address1', 'city', 'zip'].forEach(function (k) { state[k] = $(k).value; });
        state.addressPhone = $('address-phone').value.replace(/[\s()-]/g, '');
        state.rate = $('rate-express').checked ? 'express' : 'standard';
        state.stage = 'payment';
        save();
        // Shopify reports the address, then the chosen rate.
        publish('checkout_address_info_submitted', 'address');
        publish('checkout_shipping_info_submitted', 'shipping');
        showStage();
      });
    } else {
      $('payment-form').addEventListener('submit', function (e) {
        e.preventDefault();
        state.billingSame = $('billing-same').checked;
        pay();
      });
    }
  }

  function pay() {
    // The order, as checkout_completed will report it; kept so a reloaded
    // thank-you page reports the same one.
    var id = customer ? customer.id : String(7100000000000 + Math.floor(Math.random() * 1e9));
    state.order = { id: 'gid://shopify/OrderIdentity/' + (5396439000000 + Math.floor(Math.random() * 1e6)), customer: { id: 'gid://shopify/Customer/' + id, isFirstOrder: !customer } };
    state.stage = 'done';
    save();
    publish('payment_info_submitted', 'payment').then(function () {
      // A real checkout moves on at once; the pixels' profiles are persisted
      // before they are sent, so a request cut short is not lost.
      location.href = '/checkout/thank-you';
    });
  }

  function refreshStorage() {
    window.growlyticsStorageWords.show($('storage'), window.growlyticsStorageWords.read(), Date.now());
  }

  // The store's consent banner, where the store collects consent and the
  // visitor has not chosen yet: the choice reaches the pixels as Shopify's
  // visitorConsentCollected.
  function consentBanner() {
    if (!data.consent.collects || data.consent.decided) return;
    $('consent-banner').hidden = false;
    function decide(allow) {
      document.cookie = '_tracking_consent_demo=' + (allow ? 'yes' : 'no') + '; path=/; max-age=31536000; SameSite=Lax';
      $('consent-banner').hidden = true;
      pixels.then(function (list) {
        list.forEach(function (p) {
          p.consent({ analyticsProcessingAllowed: allow, marketingAllowed: allow, preferencesProcessingAllowed: allow, saleOfDataAllowed: allow });
        });
      });
    }
    $('consent-accept').addEventListener('click', function () { decide(true); });
    $('consent-decline').addEventListener('click', function () { decide(false); });
  }

  render();
  showStage();
  consentBanner();
  refreshStorage();
  setInterval(refreshStorage, 1000);
  if (page === 'thank-you' && state.order) {
    // Every load of the thank-you page reports the order (a reload too): the
    // pixels must not repeat an unchanged profile.
    publish('checkout_completed', 'completed');
  }
})();
