// The demo page's "What the snippet is doing" panel: read-only. It lists the
// snippet's growlytics:* keys in words (storage-words.js), says why profiles
// wait, shows the collector's last answer and what auto-identify did on this
// page load. It never calls the snippet and never
// writes storage, so it changes nothing the browser tests count.
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var panel = $('snippet-status');
  if (!panel) return;
  // Absolute, as Resource Timing names requests (the relay's is a path on this origin).
  var endpoint = panel.getAttribute('data-endpoint') ? new URL(panel.getAttribute('data-endpoint'), location.href).href : '';
  var customer = panel.getAttribute('data-customer-name') || '';
  // What auto-identify remembered before the snippet ran (set in theme.liquid's <head>).
  var autoBefore = window.demoAutoIdentifyBefore;

  var words = window.growlyticsStorageWords;
  var time = words.time;
  var plural = words.plural;
  var json = words.json;

  // Why what is queued has not gone yet, first reason first.
  function why(keys, now) {
    var Shopify = window.Shopify || {};
    if (Shopify.designMode) return 'Theme editor preview: the snippet stores and sends nothing here, by design.';
    var privacy = Shopify.customerPrivacy;
    if (privacy && !privacy.analyticsProcessingAllowed()) return 'Waiting for consent: calls wait in this page\'s memory (not in storage) until the visitor accepts; if they decline, they are discarded.';
    if (keys['growlytics:k']) return 'The API key was refused (401/403): sending is paused until init brings a key or the next page load. Nothing is lost.';
    var pause = keys['growlytics:p'] && words.describePause(keys['growlytics:p'], now);
    if (pause) return 'Waiting: ' + pause + '.';
    if (navigator.onLine === false) return 'The browser is offline: they go out when it is back online.';
    return '';
  }

  function status(keys, now) {
    var names = Object.keys(keys);
    var records = names.filter(function (k) { return k.indexOf('growlytics:r:') === 0; });
    var ids = {};
    records.forEach(function (k) { ids[String((json(keys[k]) || {}).i)] = true; });
    var inFlight = names.filter(function (k) { return k.indexOf('growlytics:l:') === 0 && Number(keys[k]) > now; }).length;
    var reason = why(keys, now);
    if (!records.length) return reason || 'Nothing waiting: every profile this browser accepted has been delivered.';
    var waiting = plural(records.length, 'profile update', 'profile updates') + ' for ' + plural(Object.keys(ids).length, 'customer', 'customers') + ' in this browser\'s queue. ';
    if (reason) return waiting + reason;
    return waiting + (inFlight ? 'Sending: ' + plural(inFlight, 'request', 'requests') + ' in flight.' : 'About to send.');
  }

  function autoIdentify(keys) {
    var Shopify = window.Shopify || {};
    if (!customer) return 'Guest: no one to auto-identify. Log in as a demo customer.';
    if (Shopify.designMode) return 'Theme editor: ' + customer + ' is not identified here.';
    if (Shopify.customerPrivacy && !Shopify.customerPrivacy.analyticsProcessingAllowed()) return customer + ' is identified once the visitor allows analytics.';
    var now = keys['growlytics:f'];
    if (!now) return window.growlytics && window.growlytics.identify ? customer + ': nothing recorded yet (see the errors below).' : 'Waiting for the snippet to load…';
    if (now === autoBefore) return customer + '\'s profile is unchanged since this browser last queued it: no request on this page.';
    return customer + ' identified on this page load (name, email and phone): the profile changed since this browser last queued it, or it is the first time.';
  }

  // The collector's last answer, from the browser's own record of the request
  // (Resource Timing; responseStatus where the engine exposes it).
  var last = null;
  function watchRequests() {
    if (!endpoint || typeof PerformanceObserver !== 'function') return;
    try {
      new PerformanceObserver(function (list) {
        list.getEntries().forEach(function (e) {
          if (e.name.indexOf(endpoint) === 0 && e.responseEnd > 0) last = e;
        });
      }).observe({ type: 'resource', buffered: true });
    } catch (err) { /* an engine without Resource Timing: the line stays empty */ }
  }
  function lastDelivery() {
    if (!last) return 'No answer to this page yet.';
    var at = time(performance.timeOrigin + last.responseEnd);
    var answer = last.responseStatus ? 'answered ' + last.responseStatus : 'answered';
    return at + ': POST ' + new URL(last.name).pathname + ' ' + answer + ' in ' + Math.round(last.duration) + ' ms.';
  }

  function refresh() {
    var snap = words.read();
    var now = Date.now();
    words.show($('storage'), snap, now);
    if (snap.error) {
      $('status-now').textContent = 'localStorage is unavailable (' + snap.error + '): the snippet works from memory for this page.';
      return;
    }
    $('status-now').textContent = status(snap.keys, now);
    $('auto-identify').textContent = autoIdentify(snap.keys);
    $('last-delivery').textContent = lastDelivery();
  }

  watchRequests();
  refresh();
  setInterval(refresh, 1000);
  window.demoPanelRefresh = refresh;
})();
