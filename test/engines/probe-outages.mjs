#!/usr/bin/env node
// Reproduces, under repetition, how each engine comes back from a collector
// outage (issue 9):
//
//   recover  The collector drops every connection for --outage seconds, then
//            answers again. How long until the profiles queued during the
//            outage arrive? (One hand run saw WebKit deliver nothing for 30 s.)
//   hung     The collector reads requests and never answers (a hanging
//            server) for --outage seconds, so the snippet's 10 s timeout
//            aborts them; then it answers again. When does the browser close
//            the aborted requests' connections, and are new requests held
//            back meanwhile (6 connections per host)?
//   503      The collector answers 503 for --outage seconds, then answers again.
//   nav      No outage: --ids identify calls, then at once a navigation to
//            another page of the store (which loads the snippet too). How
//            many POSTs of each id reach the server within --wait seconds?
//            (Should be exactly 1: a page-hide send, then the next page's.)
//
// It drives the engine layer (./index.mjs), the demo storefront and the demo
// collector behind a server that only observes: every TCP connection's open
// and close, every request's arrival and answer. The page logs every fetch
// the snippet makes (start, settle, outcome), so a request the browser holds
// back (started in the page, never seen by the server) shows.
//
//   node test/engines/probe-outages.mjs --engine webkit --scenario recover --runs 10 --outage 8
//   node test/engines/probe-outages.mjs --engine chromium --scenario hung --ids 8 --outage 25 --wait 60
//   node test/engines/probe-outages.mjs --engine firefox --scenario 503 --outage 3 --reloads 1
//   node test/engines/probe-outages.mjs --engine webkit --scenario nav --ids 1 --wait 20
//   --reloads N reloads the page N times, evenly through the outage (each
//   page load starts its first requests with keepalive, and so does a page
//   that is being left, as in durability.test.ts).
//
// Times are ms since the identify calls (one clock: server and page run on
// this machine). Notation: POST `1234:200#3` arrived at 1234 ms, answered
// 200, for the 4th profile (#0 is the first); `x` no answer (dropped, or the
// browser gave up), `…` still open. Fetch `a-b:outcome#3` started at a,
// settled at b (`k`: keepalive). Connection `a-b`: opened at a, closed at b.
// Needs `npm run build` first.
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createCollector } from '../../demo/collector.mjs';
import { startStorefront } from '../../demo/storefront.mjs';
import { launchEngine } from './index.mjs';
import { sleep, within } from './processes.mjs';

const { values: opt } = parseArgs({
  options: {
    engine: { type: 'string', default: 'webkit' },
    scenario: { type: 'string', default: 'recover' },
    runs: { type: 'string', default: '5' },
    outage: { type: 'string', default: '8' },
    ids: { type: 'string', default: '3' },
    wait: { type: 'string', default: '45' },
    linger: { type: 'string', default: '0' },
    reloads: { type: 'string', default: '0' },
  },
});
const RUNS = Number(opt.runs);
const OUTAGE_MS = Number(opt.outage) * 1000;
const WAIT_MS = Number(opt.wait) * 1000;
// After delivery (or not), keep watching the connections this long (hung: when do they close?).
const LINGER_MS = Number(opt.linger) * 1000;
const IDS = Number(opt.ids);
const KEY = 'probe-key';
const SCENARIOS = { recover: { drop: true }, hung: { hang: true }, 503: { status: 503 }, nav: null };
if (!(opt.scenario in SCENARIOS)) throw new Error(`--scenario ${Object.keys(SCENARIOS).join('|')}, not ${opt.scenario}`);
const NAV = opt.scenario === 'nav';

if (!existsSync(fileURLToPath(new URL('../../dist/growlytics.min.js', import.meta.url)))) {
  console.error('dist/growlytics.min.js is missing: run `npm run build` first');
  process.exit(2);
}

let T0 = Date.now();
const now = () => Date.now() - T0;

/** The demo collector on a server that records connections and requests. */
function startObservedCollector() {
  const collector = createCollector({ key: KEY });
  const conns = [];
  const reqs = [];
  const sockets = new Set();
  const server = createServer((req, res) => {
    const entry = { method: req.method, at: now(), status: null, id: null };
    reqs.push(entry);
    if (req.method === 'POST') {
      // A second listener beside the collector's: both see every chunk.
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        try {
          entry.id = JSON.parse(Buffer.concat(chunks).toString('utf8')).id;
        } catch {}
      });
    }
    res.on('close', () => (entry.status = res.writableFinished ? res.statusCode : 0));
    collector.handle(req, res);
  });
  server.on('connection', (s) => {
    const c = { open: now(), close: null };
    conns.push(c);
    sockets.add(s);
    s.on('close', () => {
      c.close = now();
      sockets.delete(s);
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const endpoint = `http://127.0.0.1:${server.address().port}/track/user`;
      resolve({
        collector,
        endpoint,
        conns,
        reqs,
        close: () =>
          new Promise((done) => {
            collector._shutdown();
            server.close(() => done());
            for (const s of sockets) s.destroy();
          }),
      });
    });
  });
}

// Installed before the bundle: the snippet looks `fetch` up at call time.
const FETCH_LOG = `
window.__fetchLog = [];
(function () {
  var real = window.fetch;
  var at = function () { return Math.round(performance.timeOrigin + performance.now()); };
  // A trail that outlives the page (sessionStorage): which page started which
  // fetch, and its page events, with the leases stored at that moment.
  var trail = function (what) {
    try {
      var leases = Object.keys(localStorage).filter(function (k) { return k.indexOf('growlytics:l:') === 0; })
        .map(function (k) { return localStorage.getItem(k) - at(); });
      var t = JSON.parse(sessionStorage.getItem('__trail') || '[]');
      t.push([at(), what, leases]);
      sessionStorage.setItem('__trail', JSON.stringify(t));
    } catch (x) {}
  };
  ['pagehide', 'visibilitychange', 'pageshow'].forEach(function (type) {
    addEventListener(type, function () { trail(location.pathname + ' ' + type + (document.hidden ? ' hidden' : '')); }, true);
  });
  window.__trail = function () { return JSON.parse(sessionStorage.getItem('__trail') || '[]'); };
  window.fetch = function (url, init) {
    var id = null;
    try { id = JSON.parse(init.body).id; } catch (x) {}
    var e = { id: id, start: at(), keepalive: !!(init && init.keepalive), end: null, outcome: 'pending' };
    window.__fetchLog.push(e);
    trail(location.pathname + ' fetch ' + (e.keepalive ? 'k ' : '') + id);
    var p = real.apply(this, arguments);
    p.then(function (r) { e.end = at(); e.outcome = String(r.status); trail(location.pathname + ' ' + e.outcome + ' ' + id); },
           function (x) { e.end = at(); e.outcome = (x && x.name) || 'error'; trail(location.pathname + ' ' + e.outcome + ' ' + id); });
    return p;
  };
})();`;

const page = (endpoint) => `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<script>${FETCH_LOG}</script>
<script src="/dist/growlytics.min.js" data-key="${KEY}" data-endpoint="${endpoint}"></script>
</head><body>outage probe</body></html>`;

const evaluate = async (p, js) =>
  JSON.parse(await within(p.evaluate(`Promise.resolve(${js}).then(function (v) { return JSON.stringify(v === undefined ? null : v); })`), 30_000, 'evaluate'));

async function waitUntil(pred, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (pred()) return true;
    await sleep(50);
  }
  return pred();
}

/** `#3` for id `p1-3`: which profile a request or fetch carried. */
const tag = (id) => (typeof id === 'string' ? `#${id.split('-').pop()}` : '');

const okAt = (c, id) => c.requests.find((r) => r.id === id && r.status >= 200 && r.status < 300)?.at;

async function oneRun(browser, run) {
  const col = await startObservedCollector();
  const sf = await startStorefront({ host: '127.0.0.1', port: 0, endpoint: col.endpoint, key: KEY, pages: { '/': page(col.endpoint), '/next': page(col.endpoint) } });
  const ctx = await browser.newContext();
  const out = { run };
  try {
    const tab = await ctx.newPage();
    await tab.goto(sf.origin + '/');
    if (!NAV) col.collector.setFaults(SCENARIOS[opt.scenario]);
    const ids = Array.from({ length: IDS }, (_, i) => `p${run}-${i}`);
    T0 = Date.now();
    const calls = `(${JSON.stringify(ids)}).map(function (id) { return growlytics.identify(id, { run: ${run} }); })`;
    if (NAV) {
      // The identify calls and the navigation in one task, as a theme's click handler would.
      await evaluate(tab, `(${calls}, setTimeout(function () { location.href = '/next'; }), true)`);
      out.back = 0;
      await sleep(WAIT_MS);
      out.delivered = ids.every((id) => okAt(col.collector, id) !== undefined);
      if (out.delivered) out.lastOk = Math.max(...ids.map((id) => okAt(col.collector, id) - T0));
      out.perId = ids.map((id) => col.collector.requests.filter((r) => r.id === id).length);
      out.trail = (await evaluate(tab, 'window.__trail()').catch(() => [])).map(([t, what, leases]) => `${t - T0} ${what} leases ${leases.join(',')}`);
    } else await evaluate(tab, calls);
    const reloads = NAV ? 0 : Number(opt.reloads);
    for (let i = 0; i < reloads; i++) {
      await sleep(OUTAGE_MS / (reloads + 1));
      await tab.reload();
    }
    if (!NAV) {
      await sleep(OUTAGE_MS / (reloads + 1));
      out.back = now();
      // Clearing a hang leaves the requests already held hanging (until the browser gives up on them).
      col.collector.setFaults({});
      out.delivered = await waitUntil(() => ids.every((id) => okAt(col.collector, id) !== undefined), WAIT_MS);
      if (out.delivered) out.lastOk = Math.max(...ids.map((id) => okAt(col.collector, id) - T0));
      // Late repeats (a page-hide send, a lease waited out) come after delivery: watch 3 s more.
      await sleep(3_000);
    }
    // Attempts: POSTs that reached the server; duplicates: 2xx beyond the first, per id.
    const posts = col.collector.requests.filter((r) => ids.includes(r.id));
    out.attempts = posts.length;
    out.duplicates = ids.reduce((n, id) => n + Math.max(0, posts.filter((r) => r.id === id && r.status >= 200 && r.status < 300).length - 1), 0);
    if (LINGER_MS) await waitUntil(() => col.conns.every((c) => c.close !== null), LINGER_MS);
    const log = await evaluate(tab, 'window.__fetchLog').catch(() => []);
    const rel = (t) => (t === null ? null : t - T0);
    Object.assign(out, {
      posts: col.reqs.filter((r) => r.method === 'POST').map((r) => `${r.at}${r.status === null ? '…' : r.status === 0 ? 'x' : ':' + r.status}${tag(r.id)}`),
      preflights: col.reqs.filter((r) => r.method === 'OPTIONS').length,
      fetches: log.map((e) => `${rel(e.start)}-${e.end === null ? 'pending' : rel(e.end)}:${e.outcome}${e.keepalive ? 'k' : ''}${tag(e.id)}`),
      pendingInPage: log.filter((e) => e.end === null).length,
      connections: col.conns.map((c) => `${c.open}-${c.close ?? 'open'}`),
      openAtEnd: col.conns.filter((c) => c.close === null).length,
    });
  } catch (e) {
    out.error = e.message;
  } finally {
    await ctx.close().catch(() => {});
    await sf.close();
    await col.close();
  }
  return out;
}

async function main() {
  const browser = await launchEngine(opt.engine);
  console.log(
    `${opt.engine}: scenario ${opt.scenario}, ${RUNS} runs, outage ${OUTAGE_MS / 1000} s, ${opt.reloads} reload(s), ${IDS} id(s), wait ${WAIT_MS / 1000} s`,
  );
  const results = [];
  try {
    for (let run = 1; run <= RUNS; run++) {
      const r = await oneRun(browser, run);
      results.push(r);
      const verdict = r.error
        ? `ERROR ${r.error}`
        : r.delivered
          ? `delivered ${r.lastOk - r.back} ms after the collector came back`
          : `NOT delivered within ${WAIT_MS / 1000} s of the collector coming back`;
      console.log(`run ${run}: ${verdict} (back at ${r.back}; attempts ${r.attempts}, duplicates ${r.duplicates}${r.perId ? `, POSTs per id ${r.perId.join(' ')}` : ''})`);
      console.log(`  server POSTs   ${r.posts?.join(' ')}  (preflights: ${r.preflights})`);
      console.log(`  page fetches   ${r.fetches?.join(' ')}  (pending: ${r.pendingInPage})`);
      console.log(`  connections    ${r.connections?.join(' ')}  (open at end: ${r.openAtEnd})`);
      if (r.trail) console.log(`  page trail     ${r.trail.join(' | ')}`);
    }
  } finally {
    await browser.close().catch(() => {});
  }
  const ok = results.filter((r) => r.delivered);
  const delays = ok.map((r) => r.lastOk - r.back).sort((a, b) => a - b);
  console.log(
    `summary ${opt.engine} ${opt.scenario} reloads=${opt.reloads}: ${ok.length}/${results.length} delivered within ${WAIT_MS / 1000} s; delays after recovery (ms): ${delays.join(', ')}; ` +
      `attempts per run: ${results.map((r) => r.attempts).join(', ')}; duplicates per run: ${results.map((r) => r.duplicates).join(', ')}` +
      (NAV ? `; POSTs per id per run: ${results.map((r) => r.perId?.join('/')).join(', ')}` : ''),
  );
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
