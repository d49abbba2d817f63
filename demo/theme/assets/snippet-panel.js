// The demo page's "What the snippet is doing" panel: read-only. It decodes the
// snippet's growlytics:* keys (ARCHITECTURE.md, "Storage layout") into words,
// says why profiles wait, shows the collector's last answer and what
// auto-identify did on this page load. It never calls the snippet and never
// writes storage, so it changes nothing the browser tests count.
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var panel = $('snippet-status');
  if (!panel) return;
  var endpoint = panel.getAttribute('data-endpoint') || '';
  var customer = panel.getAttribute('data-customer-name') || '';
  // What auto-identify remembered before the snippet ran (set in theme.liquid's <head>).
  var autoBefore = window.demoAutoIdentifyBefore;

  var time = function (ms) { return new Date(ms).toLocaleTimeString(); };
  var seconds = function (ms) { return Math.max(1, Math.ceil(ms / 1000)) + ' s'; };
  var plural = function (n, one, many) { return n + ' ' + (n === 1 ? one : many); };
  function json(text) {
    try { return JSON.parse(text); } catch (e) { return null; }
  }

  // Every growlytics:* key, read once per refresh. Reading can throw
  // (sandboxed frames, blocked storage): the panel says so.
  function snapshot() {
    var keys = {};
    try {
      for (var i = 0; i < localStorage.length; i++) {
        var k = localStorage.key(i);
        if (k && k.indexOf('growlytics:') === 0) keys[k] = localStorage.getItem(k);
      }
    } catch (err) {
      return { error: err.message };
    }
    return { keys: keys };
  }

  // One key in words: [what it is, what it says].
  function decode(key, value, now) {
    var rest = key.slice('growlytics:'.length);
    var kind = rest.slice(0, 2);
    if (kind === 'r:') {
      var r = json(value) || {};
      return ['queued profile', String(r.i) + ': ' + (Object.keys(r.a || {}).join(', ') || 'no attributes') + ', waiting since ' + time(parseInt(rest.slice(2, 10), 36))];
    }
    if (kind === 't:') return ['type lock', rest.slice(2) + ' → ' + value];
    if (kind === 'l:') {
      var until = Number(value);
      return ['lease', until > now ? '1 request in flight (held for ' + seconds(until - now) + ' more)' : 'expired: the request ended without an answer; free to send again'];
    }
    if (kind === 'n:') {
      var names = json(value) || [];
      return ['custom names of one customer', names.length + ' of 50: ' + names.join(', ')];
    }
    if (rest === 'f') return ['auto-identify', 'the last profile queued for the logged-in customer (a hash, not the data)'];
    if (rest === 'p') return ['pause', describePause(value, now) || 'none: sending freely'];
    if (rest === 'k') return ['refused key', 'the server refused this API key (401/403): no tab sends with it until init brings a key or the next page load'];
    if (rest === 'c') return ['consent', 'granted at ' + time(Number(value)) + ' in some tab (tells the other tabs to send)'];
    if (rest === 'o') return ['checkout pixels', plural((json(value) || []).length, 'checkout profile', 'checkout profiles') + ' remembered, so an unchanged step is not sent again'];
    return ['unknown key', value];
  }

  // `growlytics:p` is "until,hold,failures": hold is a Retry-After.
  function describePause(value, now) {
    var p = String(value).split(',').map(Number);
    if (p[1] > now) return 'the server asked to wait (Retry-After): no tab sends before ' + time(p[1]) + ', in ' + seconds(p[1] - now);
    if (p[0] > now) return 'backing off after ' + plural(p[2], 'failed round', 'failed rounds') + ': next try at ' + time(p[0]) + ', in ' + seconds(p[0] - now);
    if (p[2] > 0) return 'retrying now, after ' + plural(p[2], 'failed round', 'failed rounds');
    return '';
  }

  // Why what is queued has not gone yet, first reason first.
  function why(keys, now) {
    var Shopify = window.Shopify || {};
    if (Shopify.designMode) return 'Theme editor preview: the snippet stores and sends nothing here, by design.';
    var privacy = Shopify.customerPrivacy;
    if (privacy && !privacy.analyticsProcessingAllowed()) return 'Waiting for consent: calls wait in this page\'s memory (not in storage) until the visitor accepts; if they decline, they are discarded.';
    if (keys['growlytics:k']) return 'The API key was refused (401/403): sending is paused until init brings a key or the next page load. Nothing is lost.';
    var pause = keys['growlytics:p'] && describePause(keys['growlytics:p'], now);
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

  // The storage list, what matters most first: the queue, then what holds it back.
  var ORDER = ['r:', 'l:', 'p', 'k', 'c', 'f', 'n:', 'o', 't:'];
  function rank(key) {
    var rest = key.slice('growlytics:'.length);
    for (var i = 0; i < ORDER.length; i++) if (rest === ORDER[i] || (ORDER[i].length === 2 && rest.indexOf(ORDER[i]) === 0)) return i;
    return ORDER.length;
  }

  function refresh() {
    var snap = snapshot();
    var now = Date.now();
    var list = $('storage');
    if (snap.error) {
      $('status-now').textContent = 'localStorage is unavailable (' + snap.error + '): the snippet works from memory for this page.';
      list.replaceChildren();
      return;
    }
    $('status-now').textContent = status(snap.keys, now);
    $('auto-identify').textContent = autoIdentify(snap.keys);
    $('last-delivery').textContent = lastDelivery();
    var keys = Object.keys(snap.keys).sort(function (a, b) { return rank(a) - rank(b) || (a < b ? -1 : 1); });
    if (!keys.length) {
      list.replaceChildren(Object.assign(document.createElement('li'), { className: 'muted', textContent: 'empty' }));
      return;
    }
    list.replaceChildren.apply(list, keys.map(function (k) {
      var d = decode(k, snap.keys[k], now);
      var li = document.createElement('li');
      li.title = k + ' = ' + snap.keys[k]; // the raw key and value, on hover
      li.append(Object.assign(document.createElement('strong'), { textContent: d[0] + ': ' }), d[1]);
      return li;
    }));
  }

  watchRequests();
  refresh();
  setInterval(refresh, 1000);
  window.demoPanelRefresh = refresh;
})();
