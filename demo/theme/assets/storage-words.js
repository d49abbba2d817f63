// The snippet's growlytics:* keys (ARCHITECTURE.md, "Storage layout") in
// words, for the demo's storefront and checkout pages: "type lock: plan →
// string", "lease: 1 request in flight". Read-only: it never writes storage.
// window.growlyticsStorageWords = { read, decode, describePause, show } and
// the small formatters they use (time, plural, json).
(function () {
  var time = function (ms) { return new Date(ms).toLocaleTimeString(); };
  var seconds = function (ms) { return Math.max(1, Math.ceil(ms / 1000)) + ' s'; };
  var plural = function (n, one, many) { return n + ' ' + (n === 1 ? one : many); };
  function json(text) {
    try { return JSON.parse(text); } catch (e) { return null; }
  }

  // Every growlytics:* key: { keys } or, where storage throws (sandboxed
  // frames, blocked storage), { error }.
  function read() {
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

  // `growlytics:p` is "until,hold,failures": hold is a Retry-After.
  function describePause(value, now) {
    var p = String(value).split(',').map(Number);
    if (p[1] > now) return 'the server asked to wait (Retry-After): no tab sends before ' + time(p[1]) + ', in ' + seconds(p[1] - now);
    if (p[0] > now) return 'backing off after ' + plural(p[2], 'failed round', 'failed rounds') + ': next try at ' + time(p[0]) + ', in ' + seconds(p[0] - now);
    if (p[2] > 0) return 'retrying now, after ' + plural(p[2], 'failed round', 'failed rounds');
    return '';
  }

  // One key in words: [what it is, what it says].
  function decode(key, value, now) {
    var rest = key.slice('growlytics:'.length);
    var kind = rest.slice(0, 2);
    if (kind === 'r:') {
      var r = json(value) || {};
      // The key's first 8 characters are the call's time, base 36 (src/core/record.ts).
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
    if (rest === 'q') return ['last record write', time(Number(value)) + ': a page load lists storage only if a record was written since its last empty look'];
    if (rest === 's') return ['last empty look', 'no record was left before ' + time(Number(value)) + ': a page load skips listing storage until a newer record write'];
    if (rest === 'd') return ['debug', value === '1' ? 'on in this browser (?growlytics_debug=0 turns it off)' : 'off'];
    if (rest === 'o') return ['checkout pixels', plural((json(value) || []).length, 'checkout profile', 'checkout profiles') + ' remembered, so an unchanged step is not sent again'];
    return ['unknown key', value];
  }

  // What matters most first: the queue, then what holds it back.
  var ORDER = ['r:', 'l:', 'p', 'k', 'c', 'f', 'n:', 'o', 't:', 'q', 's', 'd'];
  function rank(key) {
    var rest = key.slice('growlytics:'.length);
    for (var i = 0; i < ORDER.length; i++) if (rest === ORDER[i] || (ORDER[i].length === 2 && rest.indexOf(ORDER[i]) === 0)) return i;
    return ORDER.length;
  }

  // Fills the list `ul` with the keys of `snap` (read()'s result), in words; the raw key and value on hover.
  function show(ul, snap, now) {
    var item = function (className, text) { return Object.assign(document.createElement('li'), { className: className, textContent: text }); };
    if (snap.error) return ul.replaceChildren(item('muted', 'localStorage is unavailable: ' + snap.error));
    var keys = Object.keys(snap.keys).sort(function (a, b) { return rank(a) - rank(b) || (a < b ? -1 : 1); });
    if (!keys.length) return ul.replaceChildren(item('muted', 'empty'));
    ul.replaceChildren.apply(ul, keys.map(function (k) {
      var d = decode(k, snap.keys[k], now);
      var li = item('', '');
      li.title = k + ' = ' + snap.keys[k];
      li.append(Object.assign(document.createElement('strong'), { textContent: d[0] + ': ' }), d[1]);
      return li;
    }));
  }

  window.growlyticsStorageWords = { read: read, decode: decode, describePause: describePause, show: show, time: time, plural: plural, json: json };
})();
