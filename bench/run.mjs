// `npm run bench`: what issue 3 asks to measure, in real Chromium against the
// demo collector on loopback. It prints tables and never asserts a timing:
// numbers on a shared 2-core machine are indications, not verdicts.
//
// 1. Main-thread cost per identify, deferred work included.
//    CDP Performance.getMetrics (TaskDuration, ScriptDuration, ThreadTime) is
//    read before the bundle is even loaded and again once everything settled
//    (the collector holds every profile and growlytics.flush() resolved).
//    "N already queued" is made honestly: a first page identifies N ids while
//    the collector answers 503 with Retry-After: 3600 (the snippet then pauses
//    the whole queue, so nothing leaves on pagehide and no lease is left
//    behind), that page closes, the fault is cleared. The next page then
//    drains those N during the measurement too, so we report the MARGINAL
//    cost:
//        [ (run A: N queued + CALLS identifies) - (run B: N queued, 0 identifies) ] / CALLS
//    where each run first has the page's idle cost subtracted (idle rate of
//    a page with the bundle loaded and nothing to do, times the run's window).
//    Both runs load the bundle and build the same attribute objects inside
//    the window, so start-up and the N drain cancel out. We chose this over
//    hanging the N pre-queued ids at the collector because the sender sends
//    in batches and waits for the whole batch: hung ids at the head of the
//    queue would stall every other id, so that variant would measure the
//    stall, not identify.
//    The synchronous column is performance.now() around the loop of calls.
// 2. localStorage writes per identify: Storage.prototype.setItem wrapped by
//    an init script (only in this part's own contexts, it costs time), and the
//    chars stored under `growlytics:` while the collector hangs.
// 3. The drain of 1,000 queued profiles: time to all 1,000 at the collector,
//    max requests in flight (browser side from Playwright's network events,
//    server side from the wrapper's log), two in flight for one id.
// 4. Requests per N identifies of K ids, in one task and spread over tasks.
// Plus the bundle's size.
//
// Every wait is bounded. A delivery that makes no progress for STALL_MS is
// reported as stalled (with a probe of the page's keepalive quota, a known
// way for a page to stop sending) instead of failing the run.
// Knobs: BENCH_REPS (default 3), BENCH_CALLS (default 1000).

import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { gzipSync, brotliCompressSync, constants as zc } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import {
  COUNT_WRITES, KEY, analyzeLog, launch, pageFlush, pageIdentifyMany, pageKeepaliveProbe, pageLoadBundle,
  pageStorage, sleep, startBenchCollector, startBenchStorefront, trackBrowserRequests, within,
} from './env.mjs';

const CALLS = Number(process.env.BENCH_CALLS) || 1000;
const QUEUED = [0, 100, 1000];
const REPS = Number(process.env.BENCH_REPS) || 3;
const STALL_MS = 3000;
const TOTAL_BUDGET_MS = 7 * 60_000;

const BUNDLE = fileURLToPath(new URL('../dist/growlytics.min.js', import.meta.url));

// The whole run is bounded: past the budget, say so and exit (Playwright
// kills the browser it launched on exit).
const watchdog = setTimeout(() => {
  console.error(`\nbench: still running after ${TOTAL_BUDGET_MS / 1000} s, aborting`);
  process.exit(2);
}, TOTAL_BUDGET_MS);
watchdog.unref();

const fmt = (x, d = 1) => (x == null || Number.isNaN(x) || !Number.isFinite(x) ? '-' : x.toFixed(d));
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const heading = (s) => console.log(`\n=== ${s} ${'='.repeat(Math.max(0, 74 - s.length))}`);

let browser, collectorEnv, storefront, origin;
const problems = []; // page errors and console errors seen anywhere: printed at the end
const findings = []; // stalls and other oddities: printed at the end

/** A fresh context (its own localStorage), watched for page errors. */
async function newContext(init) {
  const context = await browser.newContext();
  if (init) await context.addInitScript(init);
  context.on('page', watch);
  return context;
}
function watch(page) {
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text().slice(0, 200)}`);
  });
}

async function openApp(context, path = '/app') {
  const page = await context.newPage();
  await page.goto(origin + path, { timeout: 15_000 });
  await page.waitForFunction(() => window.growlytics && typeof window.growlytics.identify === 'function', null, { timeout: 10_000 });
  return page;
}

/**
 * Waits until the collector holds `expected` profiles; gives up when none
 * arrived for STALL_MS or after maxMs. Polls in Node: no cost to the page.
 */
async function settle(expected, maxMs = 30_000) {
  const c = collectorEnv.collector;
  const t0 = performance.now();
  let last = -1, lastAt = t0;
  for (;;) {
    const n = c.profiles.size, now = performance.now();
    if (n >= expected) return { done: true, got: n };
    if (n !== last) { last = n; lastAt = now; }
    if (now - lastAt > STALL_MS || now - t0 > maxMs) return { done: false, got: n, stalled: now - lastAt > STALL_MS };
    await sleep(20);
  }
}

/** Says what stopped a delivery, with the page's keepalive quota probed. */
async function stallNote(page, what, s, expected) {
  const probe = await page.evaluate(pageKeepaliveProbe).catch((e) => `probe failed: ${e.message}`);
  const note = `${what}: delivery ${s.stalled ? `stalled (no new profile for ${STALL_MS / 1000} s)` : 'too slow'} at ${s.got}/${expected}; ` +
    `a fresh 1 KiB keepalive fetch from that page: ${probe}${probe === 'refused' ? ' (the page\'s 64 KiB keepalive quota is used up)' : ''}`;
  findings.push(note);
  return probe;
}

/**
 * Puts `n` records in this context's queue: a page identifies n ids while
 * the collector answers 503 + Retry-After: 3600, then closes. Leaves the
 * collector reset (no faults).
 */
async function prequeue(context, n, prefix) {
  collectorEnv.reset();
  collectorEnv.collector.setFaults({ status: 503, retryAfter: 3600 });
  const page = await openApp(context);
  const r = await page.evaluate(pageIdentifyMany, [n, prefix]);
  if (r.bad) throw new Error(`prequeue: ${r.bad} identify calls not queued: ${JSON.stringify(r.firstErrors)}`);
  await collectorEnv.collector.waitFor((c) => c.requests.length > 0 && c.requests.every((x) => x.status !== null), 10_000);
  await page.evaluate(pageFlush, 5_000);
  const st = await page.evaluate(pageStorage);
  await page.close();
  collectorEnv.reset();
  if ((st.kinds.r || 0) < n) throw new Error(`prequeue: expected ${n} records in localStorage, found ${st.kinds.r || 0}`);
}

async function metrics(cdp) {
  const { metrics } = await cdp.send('Performance.getMetrics');
  const m = Object.fromEntries(metrics.map((x) => [x.name, x.value]));
  return { task: m.TaskDuration * 1e6, script: m.ScriptDuration * 1e6, thread: m.ThreadTime * 1e6 }; // µs
}
const diff = (a, b) => ({ task: b.task - a.task, script: b.script - a.script, thread: b.thread - a.thread });

/** Idle cost of a page with the bundle loaded and an empty queue, per ms of wall time. */
async function idleRate() {
  const context = await newContext();
  try {
    collectorEnv.reset();
    const page = await context.newPage();
    await page.goto(origin + '/blank');
    await page.evaluate(pageLoadBundle, [KEY, collectorEnv.endpoint]);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    await sleep(300);
    const m0 = await metrics(cdp);
    const w0 = performance.now();
    await sleep(3000);
    const m1 = await metrics(cdp);
    const wall = performance.now() - w0;
    const d = diff(m0, m1);
    return { task: d.task / wall, script: d.script / wall, thread: d.thread / wall };
  } finally {
    await context.close();
  }
}

/** One measured window: load the bundle, `calls` identifies, wait for everything to be delivered. */
async function cpuRun(queued, calls, idle) {
  const context = await newContext();
  try {
    if (queued) await prequeue(context, queued, 'pre');
    collectorEnv.reset();
    const browserLog = trackBrowserRequests(context, collectorEnv.endpoint);
    const page = await context.newPage();
    await page.goto(origin + '/blank');
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    await sleep(200);
    const m0 = await metrics(cdp);
    const w0 = performance.now();
    await page.evaluate(pageLoadBundle, [KEY, collectorEnv.endpoint]);
    const mS0 = await metrics(cdp);
    const r = await page.evaluate(pageIdentifyMany, [calls, 'id']);
    const mS1 = await metrics(cdp);
    const s = await settle(queued + calls, 60_000);
    const flushed = s.done ? await page.evaluate(pageFlush, 10_000) : 'skipped';
    const m1 = await metrics(cdp);
    const wall = performance.now() - w0;
    if (!s.done) await stallNote(page, `CPU run, N=${queued}, ${calls} calls`, s, queued + calls);
    const st = await page.evaluate(pageStorage);
    const d = diff(m0, m1);
    const net = { task: d.task - idle.task * wall, script: d.script - idle.script * wall, thread: d.thread - idle.thread * wall };
    return { net, wall, syncMs: r.ms, syncThread: mS1.thread - mS0.thread, bad: r.bad, settle: s, flushed, left: st.kinds.r || 0, log: analyzeLog(browserLog) };
  } finally {
    await context.close();
  }
}

/**
 * The floor: what one bare cross-origin fetch per profile costs the main
 * thread in this same harness (no library: same body, same headers, 6 at a
 * time, response body read). The collector's API takes one profile per
 * request, so no snippet can cost less per distinct id.
 */
async function fetchFloor(idle, n) {
  const context = await newContext();
  try {
    collectorEnv.reset();
    const page = await context.newPage();
    await page.goto(origin + '/blank');
    const post = ([u, k, i]) => fetch(u, {
      method: 'POST',
      body: JSON.stringify({ id: 'f' + i, attributes: { plan: 'pro', city: 'Pune', orders: i, ltv: i * 1.25, vip: true, signedUpAt: '2024-01-01T00:00:00.000Z' } }),
      headers: { 'content-type': 'application/json', 'x-growlytics-key': k },
    }).then((r) => r.text());
    await page.evaluate(post, [collectorEnv.endpoint, KEY, -1]); // the CORS preflight, cached after this
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const m0 = await metrics(cdp);
    const w0 = performance.now();
    await page.evaluate(async ([u, k, n, src]) => {
      const post = eval(src);
      for (let i = 0; i < n; i += 6) await Promise.all([0, 1, 2, 3, 4, 5].filter((j) => i + j < n).map((j) => post([u, k, i + j])));
    }, [collectorEnv.endpoint, KEY, n, post.toString()]);
    const m1 = await metrics(cdp);
    const wall = performance.now() - w0;
    const d = diff(m0, m1);
    return { task: (d.task - idle.task * wall) / n, script: (d.script - idle.script * wall) / n, thread: (d.thread - idle.thread * wall) / n, wall };
  } finally {
    await context.close();
  }
}

async function partCpu() {
  heading('1. main-thread cost per identify (deferred work included)');
  console.log(`Method: marginal cost. Each run's CDP TaskDuration / ScriptDuration / ThreadTime is read
before the bundle loads and after all profiles reached the collector and flush() resolved;
the page's idle cost (rate x window) is subtracted. Per call = [run A (N queued + ${CALLS} calls)
- run B (N queued, no calls)] / ${CALLS}: start-up and draining the N pre-queued (queued by a first
page under 503 + Retry-After) cancel out. ${CALLS} distinct ids, 6 attributes (2 string, 2 number,
boolean, Date), all calls in one task, on a guest page (no Shopify globals). Median of up to ${REPS} pairs; [min-max] of TaskDuration.
A pair where delivery stalled is not a measurement: shown as n/a, not repeated.
Target: <= 100 us per call, flat in N.`);
  const idle = await idleRate();
  console.log(`idle page: TaskDuration ${fmt(idle.task * 1000, 0)} us/s, ScriptDuration ${fmt(idle.script * 1000, 0)} us/s, ThreadTime ${fmt(idle.thread * 1000, 0)} us/s`);
  const rows = [];
  for (const n of QUEUED) {
    const per = { task: [], script: [], thread: [], sync: [], syncThread: [], wallA: [], wallB: [], bTask: [] };
    let maxInFlight = 0, overlaps = 0, left = 0, bad = 0, notFlushed = 0, stalled = null;
    for (let rep = 0; rep < REPS && !stalled; rep++) {
      // Alternate the order, so a warming or drifting machine biases neither side.
      let a, b;
      if (rep % 2) {
        a = await cpuRun(n, CALLS, idle);
        b = await cpuRun(n, 0, idle);
      } else {
        b = await cpuRun(n, 0, idle);
        a = await cpuRun(n, CALLS, idle);
      }
      per.sync.push((a.syncMs * 1000) / CALLS);
      per.syncThread.push(a.syncThread / CALLS);
      maxInFlight = Math.max(maxInFlight, a.log.maxInFlight, b.log.maxInFlight);
      overlaps += a.log.sameIdOverlaps + b.log.sameIdOverlaps;
      bad += a.bad;
      if (!a.settle.done || !b.settle.done) {
        stalled = [!a.settle.done && `A ${a.settle.got}/${n + CALLS}`, !b.settle.done && `B ${b.settle.got}/${n}`].filter(Boolean).join(', ');
        break;
      }
      per.task.push((a.net.task - b.net.task) / CALLS);
      per.script.push((a.net.script - b.net.script) / CALLS);
      per.thread.push((a.net.thread - b.net.thread) / CALLS);
      per.wallA.push(a.wall);
      per.wallB.push(b.wall);
      per.bTask.push(b.net.task);
      left += a.left + b.left;
      notFlushed += (a.flushed !== 'resolved') + (b.flushed !== 'resolved');
    }
    if (left) findings.push(`CPU N=${n}: ${left} record(s) still in localStorage after delivery + flush`);
    if (bad) findings.push(`CPU N=${n}: ${bad} identify call(s) answered queued:false or errors`);
    if (notFlushed) findings.push(`CPU N=${n}: flush() did not resolve within 10 s in ${notFlushed} run(s)`);
    if (overlaps) findings.push(`CPU N=${n}: ${overlaps} overlapping request pair(s) for one id`);
    const ok = per.task.length > 0;
    rows.push({
      'queued N': n,
      'TaskDuration us/call': ok ? fmt(median(per.task)) : `n/a (stalled: ${stalled})`,
      'min-max': ok ? `${fmt(Math.min(...per.task))}-${fmt(Math.max(...per.task))}` : '-',
      'ScriptDuration us/call': ok ? fmt(median(per.script)) : '-',
      'ThreadTime us/call': ok ? fmt(median(per.thread)) : '-',
      'sync loop us/call': fmt(median(per.sync)),
      'sync ThreadTime us/call': fmt(median(per.syncThread)),
      'run B (N drain) ms': ok ? fmt(median(per.bTask) / 1000) : '-',
      'window A/B s': ok ? `${fmt(median(per.wallA) / 1000, 2)}/${fmt(median(per.wallB) / 1000, 2)}` : '-',
      'max in flight': maxInFlight,
      pairs: per.task.length,
    });
  }
  console.table(rows);
  const floor = await fetchFloor(idle, CALLS);
  console.log(`floor, no library: one bare fetch per profile (${CALLS}, 6 at a time, same harness): ` +
    `TaskDuration ${fmt(floor.task)} us, ScriptDuration ${fmt(floor.script)} us, ThreadTime ${fmt(floor.thread)} us per request`);
  if (rows.some((r) => String(r['TaskDuration us/call']).startsWith('n/a'))) {
    console.log(`(n/a rows: delivery stalled, see findings; BENCH_CALLS=300 npm run bench measures under the stall for N = 0 and 100)`);
  }
  console.log('run B (N drain) ms: main-thread TaskDuration of start-up + delivering the N pre-queued profiles, no calls.');
  console.log('sync loop: performance.now() around the calls (wall); sync ThreadTime: CPU time of that one task (CDP ThreadTime).');
  console.log('max in flight: browser side (request start to first response byte), in any run of that row.');
  return rows;
}

async function partStorage() {
  heading('2. localStorage written per identify');
  console.log(`${CALLS} identifies of distinct ids (6 attributes) in one task. setItem/removeItem under
growlytics: counted by an init script wrapping Storage.prototype (this part only). "stored" = chars
of keys + values under growlytics: after the calls while the collector hangs every request.`);
  const rows = [];
  // a) the collector hangs: what the calls themselves leave in storage.
  {
    const context = await newContext(COUNT_WRITES);
    try {
      collectorEnv.reset();
      collectorEnv.collector.setFaults({ hang: true });
      const page = await openApp(context);
      const before = await page.evaluate(() => ({ ...window.__lsw }));
      const st0 = await page.evaluate(pageStorage);
      const r = await page.evaluate(([calls]) => {
        const w = window.__lsw, s0 = { ...w };
        const base = Date.UTC(2024, 0, 1);
        const attrs = [];
        for (let i = 0; i < calls; i++) attrs.push({ plan: i % 2 ? 'pro' : 'free', city: 'Pune', orders: i, ltv: i * 1.25, vip: i % 3 === 0, signedUpAt: new Date(base + i * 1000) });
        for (let i = 0; i < calls; i++) window.growlytics.identify('id' + String(i).padStart(5, '0'), attrs[i]);
        return { sets: w.sets - s0.sets, chars: w.setChars - s0.setChars, removes: w.removes - s0.removes };
      }, [CALLS]);
      await sleep(1000); // the first requests go out and hang (leases written)
      const after = await page.evaluate(() => ({ ...window.__lsw }));
      const st = await page.evaluate(pageStorage);
      rows.push({
        case: 'inside the calls (sync)',
        'setItem/call': fmt(r.sets / CALLS, 2),
        'chars written/call': fmt(r.chars / CALLS, 1),
        'removeItem/call': fmt(r.removes / CALLS, 2),
        'stored chars/call': '',
        'keys by kind': '',
      });
      rows.push({
        case: 'collector hanging, +1 s',
        'setItem/call': fmt((after.sets - before.sets) / CALLS, 2),
        'chars written/call': fmt((after.setChars - before.setChars) / CALLS, 1),
        'removeItem/call': fmt((after.removes - before.removes) / CALLS, 2),
        'stored chars/call': fmt((st.chars - st0.chars) / CALLS, 1),
        'keys by kind': JSON.stringify(st.kinds),
      });
    } finally {
      collectorEnv.reset(); // releases the hung requests
      await context.close();
    }
  }
  // b) a working collector: every write and removal until all are delivered.
  {
    const context = await newContext(COUNT_WRITES);
    try {
      collectorEnv.reset();
      const page = await openApp(context);
      const before = await page.evaluate(() => ({ ...window.__lsw }));
      await page.evaluate(pageIdentifyMany, [CALLS, 'id']);
      const s = await settle(CALLS, 60_000);
      if (s.done) await page.evaluate(pageFlush, 10_000);
      else await stallNote(page, 'storage, until delivered', s, CALLS);
      const after = await page.evaluate(() => ({ ...window.__lsw }));
      const st = await page.evaluate(pageStorage);
      rows.push({
        case: s.done ? 'until all delivered' : `until stalled (${s.got}/${CALLS})`,
        'setItem/call': fmt((after.sets - before.sets) / CALLS, 2),
        'chars written/call': fmt((after.setChars - before.setChars) / CALLS, 1),
        'removeItem/call': fmt((after.removes - before.removes) / CALLS, 2),
        'stored chars/call': `${st.chars} chars left`,
        'keys by kind': JSON.stringify(st.kinds),
      });
    } finally {
      await context.close();
    }
  }
  console.table(rows);
  console.log('kinds: r = queued record, n = custom names per id (rule 4), t = type locks, l = lease, f = fingerprint.');
  return rows;
}

async function partDrain() {
  heading('3. drain: 1,000 queued profiles into the loopback collector');
  console.log(`1,000 ids (6 attributes) queued under faults, faults cleared, then (a) a new page load
or (b) flush() in the same page. In flight: browser side = request start to first response byte
(Chromium's timing via Playwright); server side = arrival at the collector to the response closing.
Target: all 1,000 within 5 s; never two in flight for one id.`);
  const rows = [];
  // a) queued under 503 + Retry-After by an earlier page; delivered by the next page load.
  {
    const context = await newContext();
    try {
      await prequeue(context, 1000, 'dr');
      collectorEnv.reset();
      const browserLog = trackBrowserRequests(context, collectorEnv.endpoint);
      const t0 = performance.now();
      const page = await context.newPage();
      await page.goto(origin + '/app', { timeout: 15_000 });
      const s = await settle(1000, 30_000);
      const flushed = s.done ? await page.evaluate(pageFlush, 10_000) : 'skipped';
      if (!s.done) await stallNote(page, 'drain (a) next page load', s, 1000);
      rows.push(drainRow('next page load', t0, s, flushed, await page.evaluate(pageStorage), browserLog));
    } finally {
      await context.close();
    }
  }
  // b) queued in this page under plain 503s (backoff), then flush() once the faults are cleared.
  {
    const context = await newContext();
    try {
      collectorEnv.reset();
      collectorEnv.collector.setFaults({ status: 503 });
      const page = await openApp(context);
      await page.evaluate(pageIdentifyMany, [1000, 'fl']);
      await collectorEnv.collector.waitFor((c) => c.requests.length > 0 && c.requests.every((x) => x.status !== null), 10_000);
      collectorEnv.reset();
      const browserLog = trackBrowserRequests(context, collectorEnv.endpoint);
      const t0 = performance.now();
      const flushP = page.evaluate(pageFlush, 30_000);
      const s = await settle(1000, 30_000);
      const flushed = s.done ? await flushP : 'skipped';
      if (!s.done) await stallNote(page, 'drain (b) flush()', s, 1000);
      rows.push(drainRow('flush() after backoff', t0, s, flushed, await page.evaluate(pageStorage), browserLog));
    } finally {
      await context.close();
    }
  }
  console.table(rows);
  return rows;
}

function drainRow(how, t0, s, flushed, st, browserLog) {
  const server = analyzeLog(collectorEnv.log);
  const browserSide = analyzeLog(browserLog);
  const ok = collectorEnv.log.filter((e) => e.status >= 200 && e.status < 300);
  const lastOk = ok.length ? Math.max(...ok.map((e) => e.end)) : NaN;
  return {
    trigger: how,
    'delivered': `${s.got}/1000`,
    'all 1,000 in ms': s.done ? fmt(lastOk - t0, 0) : `n/a (${s.stalled ? 'stalled' : 'timeout'})`,
    'last 2xx at ms': fmt(lastOk - t0, 0),
    requests: server.requests,
    'max in flight (browser/server)': `${browserSide.maxInFlight}/${server.maxInFlight}`,
    'same-id overlaps': Math.max(browserSide.sameIdOverlaps, server.sameIdOverlaps),
    'duplicate 2xx': server.duplicates,
    'failed in browser': browserLog.filter((e) => e.status === 0).length,
    statuses: JSON.stringify(server.statuses),
    'flush()': flushed,
    'records left': st.kinds.r || 0,
  };
}

async function partCoalesce() {
  heading('4. requests per N identifies of K distinct ids');
  console.log(`Call i identifies id k(i mod K) with {n: i, v: "v"+i}. Settled = every id's profile holds its
last call's values (bounded wait), then flush(). K is the floor; more means a call arrived while its
id's request was in flight (it waits for the next request, SPEC §3).`);
  const cases = [
    { N: 100, K: 10, mode: 'one task' },
    { N: 100, K: 10, mode: '10 tasks, 10 calls each' },
    { N: 100, K: 10, mode: '100 tasks back to back' },
    { N: 100, K: 10, mode: '100 calls 10 ms apart' },
    { N: 1000, K: 100, mode: 'one task' },
  ];
  const rows = [];
  for (const c of cases) {
    const context = await newContext();
    try {
      collectorEnv.reset();
      const page = await openApp(context);
      await page.evaluate(async ([N, K, mode]) => {
        const ch = new MessageChannel();
        const yieldTask = () => new Promise((r) => { ch.port1.onmessage = () => r(); ch.port2.postMessage(0); });
        const call = (i) => window.growlytics.identify('k' + (i % K), { n: i, v: 'v' + i });
        for (let i = 0; i < N; i++) {
          if (mode === '10 tasks, 10 calls each' && i && i % 10 === 0) await yieldTask();
          if (mode === '100 tasks back to back' && i) await yieldTask();
          if (mode === '100 calls 10 ms apart' && i) await new Promise((r) => setTimeout(r, 10));
          call(i);
        }
      }, [c.N, c.K, c.mode]);
      const lastOf = (j) => c.N - c.K + j;
      let settled = true;
      try {
        await collectorEnv.collector.waitFor((col) => {
          for (let j = 0; j < c.K; j++) if (col.profiles.get('k' + j)?.attributes.n !== lastOf(j)) return false;
          return true;
        }, 15_000);
      } catch { settled = false; }
      const flushed = await page.evaluate(pageFlush, 10_000);
      const st = await page.evaluate(pageStorage);
      const a = analyzeLog(collectorEnv.log);
      const perId = {};
      for (const e of collectorEnv.log) perId[e.id] = (perId[e.id] || 0) + 1;
      if (!settled) findings.push(`requests per N of K (${c.N}/${c.K}, ${c.mode}): the collector did not end with every id's newest values within 15 s`);
      rows.push({
        'N calls': c.N,
        'K ids': c.K,
        spread: c.mode,
        requests: a.requests,
        'requests/K': fmt(a.requests / c.K, 2),
        'max per id': Math.max(0, ...Object.values(perId)),
        'newest values at collector': settled ? 'yes' : 'NO',
        'same-id overlaps': a.sameIdOverlaps,
        'records left': st.kinds.r || 0,
        'flush()': flushed,
      });
    } finally {
      await context.close();
    }
  }
  console.table(rows);
  return rows;
}

function bundleSize() {
  heading('bundle size (dist/growlytics.min.js)');
  let buf;
  try {
    buf = readFileSync(BUNDLE);
  } catch {
    throw new Error(`${BUNDLE} is missing: run npm run build`);
  }
  const gz = gzipSync(buf, { level: 9 }).length;
  const br = brotliCompressSync(buf, { params: { [zc.BROTLI_PARAM_QUALITY]: 11, [zc.BROTLI_PARAM_SIZE_HINT]: buf.length } }).length;
  console.table([{ raw: buf.length, 'gzip -9': gz, 'brotli -11': br, 'budget (gzip)': 3584, 'aim (gzip)': '~2560' }]);
  console.log(`bundle built ${statSync(BUNDLE).mtime.toISOString()}, sha256 ${createHash('sha256').update(buf).digest('hex').slice(0, 12)}`);
  if (gz > 3584) findings.push(`bundle is ${gz} bytes gzipped, over the 3,584-byte budget of ARCHITECTURE.md`);
}

async function main() {
  const started = performance.now();
  console.log(`Growlytics bench: Chromium via playwright-core, ${process.env.CHROME_PATH || '/usr/bin/chromium'}; node ${process.version}`);
  bundleSize();
  browser = await launch();
  collectorEnv = await startBenchCollector();
  storefront = await startBenchStorefront(collectorEnv.endpoint);
  origin = storefront.origin;
  console.log(`Chromium ${browser.version()}, storefront ${origin}, collector ${collectorEnv.endpoint}`);

  const parts = [[partCpu, 240_000], [partStorage, 90_000], [partDrain, 90_000], [partCoalesce, 120_000]];
  for (const [part, ms] of parts) {
    try {
      await within(part(), ms, part.name);
    } catch (e) {
      console.log(`! ${part.name} failed: ${e.message}`);
      process.exitCode = 1;
    }
  }

  heading('findings (stalls, leftovers, budgets)');
  if (!findings.length) console.log('none');
  for (const f of findings) console.log(`! ${f}`);

  heading('page errors and console errors/warnings seen');
  console.log('(a "Failed to load resource" error per faulted response is the browser\'s own log, expected under faults)');
  const counts = new Map();
  for (const p of problems) counts.set(p, (counts.get(p) || 0) + 1);
  if (!counts.size) console.log('none');
  for (const [p, n] of [...counts].slice(0, 20)) console.log(`${n} x ${p}`);
  if (counts.size > 20) console.log(`... and ${counts.size - 20} more distinct messages`);
  console.log(`\nbench done in ${fmt((performance.now() - started) / 1000, 1)} s`);
}

try {
  await main();
} catch (e) {
  console.error(`bench: ${e.message}`);
  process.exitCode = 1;
} finally {
  await Promise.allSettled([browser?.close(), collectorEnv?.close(), storefront?.close()]);
  clearTimeout(watchdog);
}
