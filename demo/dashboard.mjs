// The collector's dashboard: one static page (no build step) served at `GET /`
// on the collector origin. It follows `/__/events` (Server-Sent Events) and
// drives `/__/faults` and `/__/reset`, so a person can watch profiles arrive
// and simulate an outage while the storefront keeps running.
//
// Everything the page shows from requests is set with textContent, never
// innerHTML: attribute values are arbitrary text from the browser.

export function dashboardHtml() {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Growlytics collector</title>
<link rel="icon" href="data:,">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d2530; background: #f4f6f8; }
  header { background: #1d2530; color: #fff; padding: 12px 20px; display: flex; flex-wrap: wrap; gap: 4px 16px; align-items: baseline; }
  header h1 { font-size: 18px; margin: 0; }
  #conn { font-size: 12px; opacity: .8; }
  main { padding: 16px 20px; display: grid; gap: 16px; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); }
  section { background: #fff; border-radius: 8px; padding: 12px 16px; box-shadow: 0 1px 2px #0002; min-width: 0; }
  section.wide { grid-column: 1 / -1; }
  h2 { font-size: 15px; margin: 0 0 8px; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #e3e7eb; vertical-align: top; }
  th { font-weight: 600; font-size: 12px; color: #5b6773; }
  code, .mono { font-family: ui-monospace, monospace; font-size: 12px; overflow-wrap: anywhere; }
  /* An id is one word: it may move to the next line, never break digit by digit. */
  td.word { white-space: nowrap; }
  tr.person-head td { border-bottom: 0; padding-top: 10px; color: #2d5bd7; font-weight: 600; font-size: 12px; }
  tr.person td:first-child { border-left: 3px solid #2d5bd7; }
  .s2 { color: #11772d; font-weight: 600; } .s4 { color: #b02a1a; font-weight: 600; }
  .s5, .s0 { color: #a35a00; font-weight: 600; } .pending { color: #5b6773; font-style: italic; }
  .type { color: #5b6773; font-size: 11px; }
  .empty { color: #5b6773; font-style: italic; }
  fieldset { border: 0; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: 12px; align-items: center; }
  label { white-space: nowrap; }
  input[type=number] { width: 4em; }
  button { font: inherit; padding: 4px 12px; }
  #fault-now { margin-top: 8px; padding: 6px 10px; border-radius: 6px; background: #e9f6ec; color: #11772d; }
  #fault-now.outage { background: #fdf0e1; color: #8a4a00; font-weight: 600; }
  /* Narrow screens (a phone is 360-430 px): one column; a table row becomes a
     block, its long cell (attributes, body) on a line of its own. */
  @media (max-width: 720px) {
    main { grid-template-columns: minmax(0, 1fr); padding: 12px; }
    table.rows thead { display: none; }
    table.rows tr { display: flex; flex-wrap: wrap; border-bottom: 1px solid #e3e7eb; padding: 4px 0; }
    table.rows td { border: 0; padding: 2px 8px 2px 0; }
    table.rows td.long, table.rows tr.person-head td { flex-basis: 100%; }
    tr.person td:first-child { border-left: 0; }
    tr.person { border-left: 3px solid #2d5bd7; padding-left: 6px; }
  }
  .route { font-size: 12px; white-space: nowrap; }
</style>
</head>
<body>
<header><h1>Growlytics collector</h1><span>test double of <code>POST /track/user</code></span><span id="conn">connecting…</span></header>
<main>
  <section class="wide">
    <h2>Simulate an outage</h2>
    <fieldset id="faults">
      <label><input type="radio" name="mode" value="normal" checked> normal</label>
      <label><input type="radio" name="mode" value="503"> 503 Service Unavailable</label>
      <label><input type="radio" name="mode" value="429"> 429 with Retry-After
        <input type="number" id="retry-after" min="0" value="5"> s</label>
      <label><input type="radio" name="mode" value="drop"> network drop</label>
      <label><input type="radio" name="mode" value="hang"> hang (never answer)</label>
      <button id="reset" type="button">Reset everything</button>
    </fieldset>
    <div id="fault-now"></div>
  </section>
  <section>
    <h2>Profiles (<span id="profile-count">0</span>)</h2>
    <table class="rows"><thead><tr><th>id</th><th>updates</th><th>attributes</th></tr></thead><tbody id="profiles"></tbody></table>
  </section>
  <section>
    <h2>Attribute types (store-wide lock)</h2>
    <table><tbody id="types"></tbody></table>
    <h2 style="margin-top:12px">Ignored by the type lock</h2>
    <table><tbody id="ignored"></tbody></table>
  </section>
  <section class="wide">
    <h2>Requests (<span id="request-count">0</span>, newest first; <span id="preflights">0</span> CORS preflights answered)</h2>
    <table class="rows"><thead><tr><th>#</th><th>time</th><th>route</th><th>status</th><th>id</th><th>body</th></tr></thead><tbody id="requests"></tbody></table>
  </section>
  <section class="wide">
    <h2>Relay (<span id="relay-count">0</span> requests, <span id="refusal-count">0</span> refused, newest first)</h2>
    <p class="type">What the relay answered: signed ones came through the storefront's App Proxy, unsigned ones from a checkout pixel. A refused request never reaches the collector.</p>
    <table class="rows"><thead><tr><th>#</th><th>time</th><th>route</th><th>signed-in customer</th><th>status</th><th>id</th><th>outcome</th></tr></thead><tbody id="relay"></tbody></table>
  </section>
</main>
<script>
  // Small DOM helper: el('td', {className: 'x'}, 'text', childNode...)
  function el(tag, props) {
    var node = document.createElement(tag);
    Object.assign(node, props || {});
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      node.append(c instanceof Node ? c : String(c));
    }
    return node;
  }
  function empty(tbody, cols, text) {
    tbody.replaceChildren(el('tr', null, el('td', { colSpan: cols, className: 'empty' }, text)));
  }
  function profileRow(s, id, grouped) {
    var p = s.profiles[id];
    var attrs = el('div', { className: 'mono' });
    Object.keys(p.attributes).forEach(function (k) {
      attrs.append(el('div', null, k + ': ' + JSON.stringify(p.attributes[k]) + ' ',
        el('span', { className: 'type' }, s.types[k] || '')));
    });
    if (!attrs.childNodes.length) attrs.append(el('span', { className: 'empty' }, '(none)'));
    return el('tr', { className: grouped ? 'person' : '' },
      el('td', { className: 'mono word' }, id), el('td', null, p.updates + (p.updates === 1 ? ' update' : ' updates')), el('td', { className: 'long' }, attrs));
  }

  // Profiles by person. A guest who checks out is two profiles (SPEC §5):
  // keyed by email until the order exists, then by the order's customer id,
  // with the same email on it. Shown together, the email profile first.
  function people(profiles) {
    var ids = Object.keys(profiles);
    var customerOf = {}; // email id -> the customer id whose profile has that email
    ids.forEach(function (id) {
      var email = profiles[id].attributes.email;
      if (/^[0-9]+$/.test(id) && typeof email === 'string' && profiles[email] && !customerOf[email]) customerOf[email] = id;
    });
    var paired = {};
    Object.keys(customerOf).forEach(function (email) { paired[customerOf[email]] = true; });
    return ids.filter(function (id) { return !paired[id]; }).map(function (id) {
      var customer = customerOf[id];
      if (!customer) return { ids: [id] };
      // The checkout pixels send the buyer's marketing choices; a theme's own identify does not.
      var checkout = 'acceptsEmailMarketing' in profiles[id].attributes;
      return {
        ids: [id, customer],
        says: checkout
          ? 'The same buyer: email profile before the order, customer profile after'
          : 'The same person: an email profile, and the customer profile with that email',
      };
    });
  }

  // The collector's fault, in words.
  function outage(f) {
    if (!Object.keys(f).length || f.times === 0) return '';
    var what = f.drop ? 'dropping every connection (the browser sees a network error)'
      : f.hang ? 'never answering (requests hang until the browser gives up)'
      : f.status === 503 ? 'answering 503 Service Unavailable'
      : f.status === 429 ? 'answering 429 Too Many Requests with Retry-After: ' + (f.retryAfter === undefined ? 'none' : f.retryAfter + (typeof f.retryAfter === 'number' ? ' s' : ''))
      : f.status ? 'answering ' + f.status
      : 'answering normally';
    var extra = [];
    if (f.times !== undefined) extra.push('for the next ' + f.times + ' request' + (f.times === 1 ? '' : 's'));
    if (f.delayMs) extra.push('each answer ' + f.delayMs + ' ms late');
    if (f.preflightDelayMs) extra.push('each CORS preflight ' + f.preflightDelayMs + ' ms late');
    if (f.rejectIds) extra.push('422 for ' + [].concat(f.rejectIds).join(', '));
    return 'Outage simulated: ' + what + (extra.length ? ', ' + extra.join(', ') : '') +
      '. The snippet keeps every profile in the browser and retries; choose "normal" to end it.';
  }

  function statusClass(s) { return s === null ? 'pending' : 's' + String(s)[0]; }
  // The demo relay posts here with ?via=relay-signed|relay-unsigned (demo/relay.mjs); the browser posts with no query.
  var ROUTES = { 'relay-signed': 'relay, signed', 'relay-unsigned': 'relay, unsigned' };
  function routeOf(path) {
    var via = new URLSearchParams(path.split('?')[1] || '').get('via');
    return ROUTES[via] || 'direct';
  }

  function render(s) {
    var ids = Object.keys(s.profiles);
    document.getElementById('profile-count').textContent = ids.length;
    var tbody = document.getElementById('profiles');
    if (!ids.length) empty(tbody, 3, 'No profiles yet: identify a customer on the storefront.');
    else tbody.replaceChildren.apply(tbody, people(s.profiles).flatMap(function (person) {
      var rows = person.ids.map(function (id) { return profileRow(s, id, person.ids.length > 1); });
      return person.says ? [el('tr', { className: 'person-head' }, el('td', { colSpan: 3 }, person.says))].concat(rows) : rows;
    }));

    var types = document.getElementById('types');
    var names = Object.keys(s.types);
    if (!names.length) empty(types, 2, 'none yet');
    else types.replaceChildren.apply(types, names.map(function (k) {
      return el('tr', null, el('td', { className: 'mono' }, k), el('td', null, s.types[k]));
    }));
    var ignored = document.getElementById('ignored');
    if (!s.ignored.length) empty(ignored, 2, 'none');
    else ignored.replaceChildren.apply(ignored, s.ignored.slice(-20).reverse().map(function (x) {
      return el('tr', null, el('td', { className: 'mono' }, x.id + ' · ' + x.name + ' = ' + JSON.stringify(x.value)),
        el('td', null, x.got + ' (locked: ' + x.locked + ')'));
    }));

    document.getElementById('request-count').textContent = s.requestCount;
    document.getElementById('preflights').textContent = s.preflights;
    var reqs = document.getElementById('requests');
    if (!s.requests.length) empty(reqs, 6, 'No requests yet.');
    else reqs.replaceChildren.apply(reqs, s.requests.slice().reverse().map(function (r) {
      var status = r.status === null ? 'pending' : r.status === 0 ? 'dropped' : r.status;
      return el('tr', null,
        el('td', null, r.n),
        el('td', { className: 'word' }, new Date(r.at).toLocaleTimeString()),
        el('td', { className: 'route' }, routeOf(r.path)),
        el('td', { className: statusClass(r.status) }, status + (r.faulted ? ' (simulated)' : '')),
        el('td', { className: 'mono word' }, r.id === null ? '—' : r.id),
        el('td', { className: 'mono long' }, r.body));
    }));

    renderRelay(s.relay);
    showFaults(s.faults);
  }

  function renderRelay(list) {
    var refused = list.filter(function (x) { return x.collected === null; });
    document.getElementById('relay-count').textContent = list.length;
    document.getElementById('refusal-count').textContent = refused.length;
    var tbody = document.getElementById('relay');
    if (!list.length) return empty(tbody, 7, 'Nothing through the relay yet.');
    tbody.replaceChildren.apply(tbody, list.slice().reverse().map(function (x) {
      var outcome = x.collected !== null ? 'forwarded: request #' + x.collected
        : 'refused by the relay' + (x.message ? ': ' + x.message : '');
      return el('tr', null,
        el('td', null, x.n),
        el('td', { className: 'word' }, new Date(x.at).toLocaleTimeString()),
        el('td', { className: 'route' }, ROUTES[x.route] || x.route),
        el('td', { className: 'mono word' }, x.route === 'relay-signed' ? (x.customer || 'guest') : '—'),
        el('td', { className: statusClass(x.status) }, x.status),
        el('td', { className: 'mono word' }, x.id === null ? '—' : x.id),
        el('td', { className: x.collected === null ? 's4 long' : 'long' }, outcome));
    }));
  }

  // Reflect the collector's current fault (it may have been set by a test).
  function showFaults(f) {
    var active = f.times === undefined || f.times > 0;
    var mode = !active ? 'normal' : f.drop ? 'drop' : f.hang ? 'hang' : f.status === 503 ? '503' : f.status === 429 ? '429' : f.status ? 'other' : 'normal';
    var radio = document.querySelector('input[name=mode][value="' + mode + '"]');
    if (radio) radio.checked = true;
    if (mode === '429' && f.retryAfter !== undefined) document.getElementById('retry-after').value = f.retryAfter;
    var words = outage(f);
    var now = document.getElementById('fault-now');
    now.textContent = words || 'Answering normally: every valid profile is stored and answered 200.';
    now.className = words ? 'outage' : '';
  }

  function post(path, body) {
    return fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body || {}) })
      .then(function (r) { return r.json(); })
      .then(function (j) { if (!j.success) alert(j.error); });
  }

  document.getElementById('faults').addEventListener('change', function () {
    var mode = document.querySelector('input[name=mode]:checked').value;
    var seconds = Number(document.getElementById('retry-after').value) || 0;
    var f = { normal: {}, '503': { status: 503 }, '429': { status: 429, retryAfter: seconds },
      drop: { drop: true }, hang: { hang: true } }[mode] || {};
    post('/__/faults', f);
  });
  document.getElementById('reset').addEventListener('click', function () { post('/__/reset'); });

  var source = new EventSource('/__/events?recent=100');
  source.onopen = function () { document.getElementById('conn').textContent = 'live'; };
  source.onerror = function () { document.getElementById('conn').textContent = 'disconnected, retrying…'; };
  source.onmessage = function (e) { render(JSON.parse(e.data)); };
</script>
</body>
</html>
`;
}
