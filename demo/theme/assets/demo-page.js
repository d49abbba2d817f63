// The demo page's own script (the "theme code"): it drives the Growlytics API
// from the form, shows what comes back, and plays the store's consent banner.
(function () {
  var $ = function (id) { return document.getElementById(id); };

  // The bundle loads async; until then window.growlytics is the pre-load array.
  function api() {
    var g = window.growlytics;
    return g && typeof g.identify === 'function' ? g : null;
  }
  function show(value) {
    $('result').textContent = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
  }

  function attributes() {
    var a = {};
    if ($('attr-plan').value) a.plan = $('attr-plan').value;
    if ($('attr-orders').value !== '') a.orders = Number($('attr-orders').value);
    a.vip = $('attr-vip').checked;
    if ($('attr-signup').value) a.signup = new Date($('attr-signup').value + 'T00:00:00Z');
    switch ($('attr-invalid').value) {
      case 'object': a.prefs = { color: 'red' }; break;
      case 'array': a.tags = ['a', 'b']; break;
      case 'null': a.referrer = null; break;
      case 'nan': a.score = NaN; break;
      case 'long': a['n'.repeat(50)] = 'too long'; break;
    }
    return a;
  }

  $('identify-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var id = $('id').value.trim() || undefined; // empty: the logged-in customer
    var g = api();
    if (g) {
      show(g.identify(id, attributes()));
    } else {
      window.growlytics = window.growlytics || [];
      window.growlytics.push(['identify', id, attributes()]);
      show('The library has not loaded yet: the call waits in the pre-load queue.');
    }
    refreshStorage();
  });
  $('flush').addEventListener('click', function () {
    var g = api();
    if (!g) return show('The library has not loaded yet.');
    show('flushing…');
    g.flush().then(function () { show('flush() resolved'); refreshStorage(); });
  });
  $('reset').addEventListener('click', function () {
    var g = api();
    if (g) g.reset();
    show('reset(): the current customer is forgotten');
    refreshStorage();
  });

  // Another customer's id, sent from this page: through the app proxy the
  // relay refuses it, and the snippet reports the refusal.
  if ($('forge')) $('forge').addEventListener('click', function () {
    var g = api();
    if (!g) return show('The library has not loaded yet.');
    show(g.identify($('forge').getAttribute('data-id'), { plan: 'forged' }));
    g.flush().then(refreshStorage);
  });

  var errors = [];
  window.addEventListener('growlytics:error', function (e) {
    var d = e.detail || {};
    errors.unshift(new Date().toLocaleTimeString() + ' ' + d.type + (d.id ? ' (' + d.id + ')' : '') + ': ' + d.message);
    $('errors').textContent = errors.slice(0, 20).join('\n');
  });

  // The status panel (snippet-panel.js) refreshes every second; at once after a call.
  function refreshStorage() {
    if (window.demoPanelRefresh) window.demoPanelRefresh();
  }

  // --- Consent banner: the store's, built on the Customer Privacy API -------
  var Shopify = window.Shopify || {};
  if (!Shopify.customerPrivacy && !Shopify.loadFeatures) return; // store does not collect consent

  function status(text) { $('consent-status').textContent = text; }
  // In words: "analytics allowed", then each purpose's answer ('yes', 'no', '' for not asked yet).
  function describe(privacy) {
    var c = privacy.currentVisitorConsent();
    var answers = Object.keys(c).map(function (p) { return p.replace(/_/g, ' ') + ': ' + (c[p] || 'not asked'); });
    status((privacy.analyticsProcessingAllowed() ? 'Analytics allowed: the snippet stores and sends.' : 'Analytics not allowed: the snippet waits, storing nothing.') +
      ' Visitor\'s answers: ' + answers.join(', ') + '.');
  }
  function withPrivacy(cb) {
    if (Shopify.customerPrivacy) return cb(Shopify.customerPrivacy);
    Shopify.loadFeatures([{ name: 'consent-tracking-api', version: '0.1' }], function (error) {
      if (error) return status('The Customer Privacy API failed to load: ' + error.message);
      cb(Shopify.customerPrivacy);
    });
  }
  function decide(allow) {
    withPrivacy(function (privacy) {
      privacy.setTrackingConsent({ analytics: allow, marketing: allow, preferences: allow, sale_of_data: allow }, function () {
        $('consent-banner').hidden = true;
        describe(privacy);
      });
    });
  }

  withPrivacy(function (privacy) {
    describe(privacy);
    if (privacy.shouldShowBanner()) $('consent-banner').hidden = false;
  });
  $('consent-accept').addEventListener('click', function () { decide(true); });
  $('consent-decline').addEventListener('click', function () { decide(false); });
  $('consent-forget').addEventListener('click', function () {
    document.cookie = '_tracking_consent_demo=; path=/; max-age=0';
    location.reload();
  });
  document.addEventListener('visitorConsentCollected', function (e) {
    status('visitorConsentCollected: analytics ' + (e.detail && e.detail.analyticsAllowed ? 'allowed' : 'refused') + '.');
  });
})();
