// The benchmark's environment: Chromium, the demo collector behind a thin
// HTTP wrapper that logs every /track/user request's life (arrival -> the
// response closing), and the demo storefront serving raw bench pages.
//
// The wrapper only observes: every request still goes to collector.handle,
// the project's one test double (demo/collector.mjs), untouched.

import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createCollector } from '../demo/collector.mjs';
import { listen } from '../demo/listen.mjs';
import { startStorefront } from '../demo/storefront.mjs';
import { launchChromium } from '../test/chromium.mjs';

export const KEY = 'bench-key';

/** Chromium for the benchmark, with the launch error made plain. */
export async function launch() {
  try {
    return await launchChromium();
  } catch (e) {
    throw new Error(`could not start Chromium: ${e.message.split('\n')[0]}`);
  }
}

/** A timeout that rejects with a message naming what was awaited. */
export function within(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * The collector on its own port, wrapped: `log` holds one entry per POST
 * /track/user, `{ id, start, end, status }` in ms (performance.now() of this
 * process), `end` null while unanswered.
 */
export async function startBenchCollector() {
  const collector = createCollector({ key: KEY, keepAlive: true }); // a real server keeps connections open
  const log = [];
  const handler = (req, res) => {
    if (req.method === 'POST' && req.url.split('?')[0] === '/track/user') {
      const entry = { id: null, start: performance.now(), end: null, status: null };
      log.push(entry);
      // A second 'data' listener, attached in the same tick as the
      // collector's own: both see every chunk.
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        try { entry.id = JSON.parse(Buffer.concat(chunks).toString('utf8')).id ?? null; } catch {}
      });
      res.on('close', () => {
        entry.end = performance.now();
        entry.status = res.headersSent ? res.statusCode : 0;
      });
    }
    collector.handle(req, res);
  };
  const { origin, close } = await listen(handler, { host: '127.0.0.1', port: 0 }, collector._shutdown);
  return {
    collector,
    log,
    endpoint: `${origin}/track/user`,
    /** collector.reset() (faults, profiles, requests; hung requests released) and an empty log. */
    reset() { collector.reset(); log.length = 0; },
    close,
  };
}

/** Max requests in flight at once, and overlapping pairs for one id, from the log. */
export function analyzeLog(log) {
  const now = performance.now();
  const events = [];
  for (const e of log) {
    events.push([e.start, 1], [e.end ?? now, -1]);
  }
  // Ends before starts at the same instant: back-to-back is not overlap.
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let cur = 0, max = 0;
  for (const [, d] of events) { cur += d; if (cur > max) max = cur; }
  const byId = new Map();
  for (const e of log) {
    if (!byId.has(e.id)) byId.set(e.id, []);
    byId.get(e.id).push(e);
  }
  let sameIdOverlaps = 0, duplicates = 0;
  for (const [, list] of byId) {
    list.sort((a, b) => a.start - b.start);
    for (let i = 1; i < list.length; i++) if (list[i].start < (list[i - 1].end ?? now)) sameIdOverlaps++;
    const ok = list.filter((e) => e.status >= 200 && e.status < 300).length;
    if (ok > 1) duplicates += ok - 1;
  }
  const statuses = {};
  for (const e of log) statuses[e.status ?? 'open'] = (statuses[e.status ?? 'open'] || 0) + 1;
  return { requests: log.length, maxInFlight: max, sameIdOverlaps, duplicates, statuses, ids: byId.size };
}

/**
 * The browser's view of /track/user POSTs in a context (Playwright network
 * events; CORS preflights are not reported): one entry per request,
 * `{ id, start, end, status }` in epoch ms, from the request's start to the
 * first byte of its response (Chromium's own timing); status 0 and the time
 * the event arrived for a request that failed before an answer. A fetch the
 * page refuses to start (e.g. keepalive quota) never appears here.
 */
export function trackBrowserRequests(context, endpoint) {
  const list = [];
  const mine = (req) => req.method() === 'POST' && req.url() === endpoint;
  const id = (req) => { try { return JSON.parse(req.postData() || 'null')?.id ?? null; } catch { return null; } };
  context.on('response', (res) => {
    const req = res.request();
    if (!mine(req)) return;
    const t = req.timing();
    list.push({ id: id(req), start: t.startTime, end: t.startTime + Math.max(0, t.responseStart), status: res.status() });
  });
  context.on('requestfailed', (req) => {
    if (!mine(req)) return;
    list.push({ id: id(req), start: req.timing().startTime, end: Date.now(), status: 0 });
  });
  return list;
}

/**
 * Raw pages on the storefront's origin: a blank page; ours as a merchant
 * installs it (the script tag in the head); the floor; and both again after
 * a theme script that opens localStorage first (other apps do), so the
 * page's storage area is loaded before ours runs.
 */
export function benchPages(endpoint, scriptOrigin) {
  const page = (head) => `<!doctype html><html><head><meta charset="utf-8"><title>bench</title>${head}</head><body>bench</body></html>`;
  const tag = `
<script src="/dist/growlytics.min.js" data-key="${KEY}" data-endpoint="${endpoint}"></script>
`;
  const theme = '<script>localStorage.length</script>';
  return {
    '/blank': page(''),
    '/app': page(tag),
    '/floor': page(`
<script data-key="${KEY}" data-endpoint="${endpoint}">${FLOOR_SOURCE}</script>
`),
    '/blank-ls': page(theme),
    '/app-ls': page(theme + tag),
    // Issue 15's page-load comparison: both scripts from the cacheable script host.
    '/app-cached': page(`<script src="${scriptOrigin}/growlytics.min.js" data-key="${KEY}" data-endpoint="${endpoint}"></script>`),
    '/floor-cached': page(`<script src="${scriptOrigin}/floor.js" data-key="${KEY}" data-endpoint="${endpoint}"></script>`),
  };
}

/**
 * The floor of our contract (issue 10): the least a durable identify can do
 * in the browser. Each call stores its record (`localStorage.setItem`), then
 * one `fetch` per record (the JSON body, the key header), up to 6 in flight as
 * ours, reads the answer and `removeItem`s the record on a 2xx. Nothing else:
 * no validation, leases, names, pause, timeout, keepalive or lock. It exposes
 * `identify` and `flush` under `window.growlytics`, so the bench drives it
 * exactly as it drives ours. Runs in the page (serialized): no Node state.
 *
 * `extra` adds one of ours' kinds of browser work at a time (the ablation of
 * `BENCH_PARTS=ablation`), each as ours does it per new id (src/ at the time
 * of writing; bench part 2 counts ours' writes):
 * - names: the id's name list read and written at the call and again at the
 *   send (ours keeps 200 lists: past that, each write evicts one, also removed);
 * - reads: the 6 type locks read at the call; at the send, the refused key,
 *   the pause (three times: the drain's check, the send, the answer) and the record;
 * - lease: read, written before the request and removed after the answer;
 * - timeout: `AbortSignal.timeout(6000)` per request;
 * - keepalive: `keepalive: true` for up to 2 requests in flight.
 */
function floorSnippet(extra = []) {
  const data = document.currentScript.dataset;
  const x = new Set(extra);
  const queue = [];
  const waiting = [];
  const lists = [];
  let inFlight = 0, seq = 0, kept = 0;
  const names = (id, attributes) => {
    const k = 'floor:n:' + id;
    JSON.parse(localStorage.getItem(k) || '[]');
    localStorage.setItem(k, JSON.stringify(Object.keys(attributes)));
    lists.push(k);
    if (lists.length > 200) localStorage.removeItem(lists.shift());
  };
  const pump = () => {
    for (; inFlight < 6 && queue.length; inFlight++) {
      const [key, id, attributes] = queue.shift();
      const lease = 'floor:l:' + id;
      if (x.has('lease')) localStorage.getItem(lease), localStorage.setItem(lease, Date.now() + 15000 + '');
      if (x.has('reads')) for (const k of ['floor:k', 'floor:p', 'floor:p', key]) localStorage.getItem(k);
      if (x.has('names')) names(id, attributes);
      const body = JSON.stringify({ id, attributes });
      const keepalive = x.has('keepalive') && kept < 2;
      kept += keepalive;
      fetch(data.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-growlytics-key': data.key },
        body,
        keepalive,
        signal: x.has('timeout') ? AbortSignal.timeout(6000) : undefined,
      })
        .then((res) => res.text().then(() => res.ok && localStorage.removeItem(key)))
        .catch(() => {})
        .then(() => {
          kept -= keepalive;
          if (x.has('reads')) localStorage.getItem('floor:p');
          if (x.has('lease')) localStorage.removeItem(lease);
          inFlight--;
          pump();
          if (!inFlight) waiting.splice(0).forEach((done) => done());
        });
    }
  };
  window.growlytics = {
    identify(id, attributes) {
      const key = 'floor:r:' + seq++;
      if (x.has('reads')) for (const name in attributes) localStorage.getItem('floor:t:' + name);
      if (x.has('names')) names(id, attributes);
      localStorage.setItem(key, JSON.stringify({ i: id, a: attributes, t: Date.now() }));
      queue.push([key, id, attributes]);
      pump();
      return { queued: true, errors: [] };
    },
    flush: () => new Promise((done) => (inFlight ? waiting.push(done) : done())),
  };
}
/** The floor's source, with `extra` kinds of ours' work (see floorSnippet). */
export const floorSource = (extra = []) => `(${floorSnippet})(${JSON.stringify(extra)});`;
export const FLOOR_SOURCE = floorSource();

/** The storefront with the bench pages; `scriptOrigin`: startScriptHost's. */
export async function startBenchStorefront(endpoint, scriptOrigin) {
  return startStorefront({ endpoint, key: KEY, pages: benchPages(endpoint, scriptOrigin) });
}

const BUNDLE = fileURLToPath(new URL('../dist/growlytics.min.js', import.meta.url));

/**
 * The page-load floor of issue 15 ("a script of our size that only reads
 * localStorage.length"): our bundle's exact text, never run (inside
 * `if (0)`), after `localStorage.length`. The browser fetches, parses and
 * compiles the same bytes as ours; it only opens the origin's storage area,
 * the least any snippet that sends on the next page load must do.
 */
export const pageLoadFloor = (bundle) => `localStorage.length;\nif (0) {\n${bundle}\n}\n`;

/**
 * The two scripts of the page-load comparison on their own origin, served
 * cacheable (max-age, as Shopify's CDN serves theme assets): a warm visit
 * takes them from the HTTP cache. `/growlytics.min.js` is dist's bundle,
 * `/floor.js` pageLoadFloor of it, both read per request (a rebuild shows).
 */
export async function startScriptHost() {
  const handler = (req, res) => {
    const path = req.url.split('?')[0];
    let body;
    try {
      const bundle = readFileSync(BUNDLE, 'utf8');
      body = { '/growlytics.min.js': bundle, '/floor.js': pageLoadFloor(bundle) }[path];
    } catch {
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      return res.end('dist/growlytics.min.js missing: run npm run build');
    }
    if (body === undefined) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      return res.end('not found');
    }
    res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'public, max-age=3600' });
    res.end(body);
  };
  return listen(handler, { host: '127.0.0.1', port: 0 });
}

/**
 * A visit before a measured one: `url` loads its script (into the HTTP
 * cache: the script host sends max-age), runs it, and the page closes. Two
 * make a returning visitor's: Chromium keeps V8's compiled code with the
 * cache entry from a script's second run and uses it from the third.
 */
export async function warmVisit(context, url) {
  const page = await context.newPage();
  await page.goto(url, { waitUntil: 'load', timeout: 15_000 });
  await sleep(300);
  await page.close();
}

/**
 * The main-thread time of one script while `during` runs, from a Chromium
 * trace: its evaluation (which holds its compile and the microtasks it
 * queued) and every later call into it (its listeners and timers), wall and
 * CPU in µs. `file` is the end of the script's URL. A call nested in one
 * already counted (a listener our own code dispatched to) counts once.
 */
export async function scriptTime(cdp, file, during) {
  const events = [];
  const collect = (e) => events.push(...e.value);
  cdp.on('Tracing.dataCollected', collect);
  const complete = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
  await cdp.send('Tracing.start', { categories: 'devtools.timeline', transferMode: 'ReportEvents' });
  try {
    await during();
  } finally {
    await cdp.send('Tracing.end');
    await within(complete, 15_000, 'the trace');
    cdp.off('Tracing.dataCollected', collect);
  }
  const ours = events
    .filter((e) => e.ph === 'X' && (e.name === 'EvaluateScript' || e.name === 'FunctionCall') && e.args?.data?.url?.endsWith(file))
    .sort((a, b) => a.ts - b.ts);
  let wall = 0, cpu = 0, end = -Infinity;
  for (const e of ours) {
    if (e.ts < end) continue; // inside the previous one
    wall += e.dur;
    cpu += e.tdur ?? 0;
    end = e.ts + e.dur;
  }
  return { wall, cpu };
}

/** Fills a context's localStorage with `n` keys of other apps (~100 chars each: key + value) from a scratch page on `origin`, closed after. */
export async function seedForeign(context, origin, n) {
  const scratch = await context.newPage();
  await scratch.goto(origin + '/blank');
  await scratch.evaluate((n) => {
    for (let i = 0; i < n; i++) localStorage.setItem(`app${i % 40}:cache:${i}`, JSON.stringify({ v: i, at: 1700000000000 + i, s: 'x'.repeat(48) }));
  }, n);
  await scratch.close();
}

// ------------------------------------------------------------ in the page
// These run in the page (page.evaluate); they must not close over Node state.

/**
 * Appends a <script> (data-key, data-endpoint) and resolves once it ran: the
 * bundle, or with `source` (FLOOR_SOURCE) that script, from a blob: URL so
 * it too loads and runs as its own task.
 */
export function pageLoadBundle([key, endpoint, source]) {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = source ? URL.createObjectURL(new Blob([source], { type: 'text/javascript' })) : '/dist/growlytics.min.js';
    s.dataset.key = key;
    s.dataset.endpoint = endpoint;
    s.onload = () => resolve();
    s.onerror = () => reject(new Error('bundle failed to load: run npm run build'));
    document.head.appendChild(s);
  });
}

/**
 * `calls` identifies of distinct ids `prefix + i`, six attributes each
 * (string, string, number, number, boolean, Date), all in one page task (a
 * setTimeout callback, as a theme's script would run them: code run by
 * DevTools' Runtime.evaluate is not counted in ScriptDuration). The
 * attribute objects are built before the timed loop, the same 1,000 in every
 * run (also when calls is 0), so both sides of a difference do that work.
 */
export function pageIdentifyMany([calls, prefix]) {
  return new Promise((resolve) => setTimeout(() => {
    const base = Date.UTC(2024, 0, 1);
    const attrs = [];
    for (let i = 0; i < Math.max(calls, 1000); i++) {
      attrs.push({ plan: i % 2 ? 'pro' : 'free', city: 'Pune', orders: i, ltv: i * 1.25, vip: i % 3 === 0, signedUpAt: new Date(base + i * 1000) });
    }
    let bad = 0;
    const firstErrors = [];
    const t = performance.now();
    for (let i = 0; i < calls; i++) {
      const r = window.growlytics.identify(prefix + String(i).padStart(5, '0'), attrs[i]);
      if (!r || !r.queued || r.errors.length) { bad++; if (firstErrors.length < 3) firstErrors.push(r); }
    }
    const ms = performance.now() - t;
    resolve({ ms, bad, firstErrors });
  }, 0));
}

/** Our localStorage (or the floor's, prefix 'floor:'): key count by kind and total chars (keys + values). */
export function pageStorage(prefix = 'growlytics:') {
  const out = { keys: 0, chars: 0, kinds: {} };
  for (let i = 0; i < localStorage.length; i++) {
    const k = localStorage.key(i);
    if (!k || k.indexOf(prefix) !== 0) continue;
    const v = localStorage.getItem(k) || '';
    out.keys++;
    out.chars += k.length + v.length;
    const kind = k.slice(prefix.length).split(':')[0];
    out.kinds[kind] = (out.kinds[kind] || 0) + 1;
  }
  return out;
}

/**
 * Whether this page may still start a keepalive request of 1 KiB (to its own
 * origin, so no collector is involved): 'refused' means the page's 64 KiB
 * keepalive quota is used up.
 */
export function pageKeepaliveProbe() {
  return fetch('/blank', { method: 'POST', keepalive: true, body: 'x'.repeat(1024) }).then(() => 'ok', () => 'refused');
}

/** growlytics.flush(), bounded. */
export function pageFlush(ms) {
  return Promise.race([
    Promise.resolve(window.growlytics.flush()).then(() => 'resolved', () => 'rejected'),
    new Promise((r) => setTimeout(() => r('timeout'), ms)),
  ]);
}

/**
 * Init script (part 2 only, it costs time): counts localStorage writes under
 * our prefix in window.__lsw. It wraps Storage.prototype in the bench page;
 * the library itself never touches prototypes.
 */
export const COUNT_WRITES = `(() => {
  const w = { sets: 0, setChars: 0, removes: 0 };
  Object.defineProperty(window, '__lsw', { value: w });
  const P = Storage.prototype, set = P.setItem, remove = P.removeItem;
  P.setItem = function (k, v) {
    k = String(k); v = String(v);
    if (k.indexOf('growlytics:') === 0) { w.sets++; w.setChars += k.length + v.length; }
    return set.call(this, k, v);
  };
  P.removeItem = function (k) {
    if (String(k).indexOf('growlytics:') === 0 && this.getItem(k) !== null) w.removes++;
    return remove.call(this, k);
  };
})();`;
