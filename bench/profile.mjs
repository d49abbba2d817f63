// `npm run bench:profile`: where the main-thread time of a new-id identify
// goes, ours against the floor (issue 10), and what the snippet's page load
// is made of. It prints tables and never asserts a timing.
//
// Two views of the same workload (1,000 distinct ids, 6 attributes, all calls
// in one task, delivered to the loopback collector, flush() resolved), each
// in its own fresh context, the floor and ours alternated:
// 1. CDP Tracing (devtools.timeline, toplevel, v8.execute) of the renderer's
//    main thread: every task from the calls to 10.5 s after flush() (so the
//    deferred work that fires late, such as AbortSignal.timeout's timers, is
//    seen), grouped by what the task ran (the calls' own task, network
//    answers, timers, other), with wall and CPU time per call; and the
//    exclusive time of each trace event name.
// 2. The V8 CPU profiler (50 us sampling), calls to flush(): self time per
//    function. Browser APIs (setItem, fetch, text...) show under their own
//    names; "(program)" is the browser's own work outside JavaScript (network
//    answers, task scheduling); for our functions, the first characters of
//    the minified function say which one it is.
// 3. Page load (tracing): the tasks of a navigation to the snippet's page
//    and to the same page without the script, by kind, and the events
//    carrying our script's URL (compile, evaluation, calls).
// 4. Start-up (CPU profiler): a returning visitor's page load (script warm in
//    the HTTP cache), ours and the floor of bench part 5a, self time per
//    function, with and without 2,000 foreign keys.
// The profiler and tracing cost time themselves: the figures are for
// comparing the parts, not for quoting as the cost (npm run bench is).
// Knobs: PROFILE_CALLS (default 1000), PROFILE_REPS (default 1), PROFILE_TAIL_MS (default 10500),
// PROFILE_PARTS (e.g. "startup": only part 4; "identify,load,startup" is the default).

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromiumProfile } from '../test/chromium.mjs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import {
  FLOOR_SOURCE, KEY, launch, pageFlush, pageLoadBundle, seedForeign, sleep, startBenchCollector, startBenchStorefront, startScriptHost, warmVisit, within,
} from './env.mjs';

const CALLS = Number(process.env.PROFILE_CALLS) || 1000;
const REPS = Number(process.env.PROFILE_REPS) || 1;
const TAIL_MS = Number(process.env.PROFILE_TAIL_MS ?? 10_500);
const TOTAL_BUDGET_MS = 8 * 60_000;
const BUNDLE = fileURLToPath(new URL('../dist/growlytics.min.js', import.meta.url));
const SOURCES = { floor: FLOOR_SOURCE, ours: undefined };
const PARTS = (process.env.PROFILE_PARTS || 'identify,load,startup').split(',');

const watchdog = setTimeout(() => {
  console.error(`\nprofile: still running after ${TOTAL_BUDGET_MS / 1000} s, aborting`);
  process.exit(2);
}, TOTAL_BUDGET_MS);
watchdog.unref();

const fmt = (x, d = 1) => (x == null || !Number.isFinite(x) ? '-' : x.toFixed(d));
const heading = (s) => console.log(`\n=== ${s} ${'='.repeat(Math.max(0, 74 - s.length))}`);

let browser, collectorEnv, storefront, origin, bundleText, scriptHost;

/** The calls, in one task marked in the trace by console.timeStamp (runs in the page). */
function pageCalls([calls]) {
  return new Promise((resolve) => setTimeout(() => {
    console.timeStamp('bench:calls');
    const base = Date.UTC(2024, 0, 1);
    const attrs = [];
    for (let i = 0; i < calls; i++) {
      attrs.push({ plan: i % 2 ? 'pro' : 'free', city: 'Pune', orders: i, ltv: i * 1.25, vip: i % 3 === 0, signedUpAt: new Date(base + i * 1000) });
    }
    for (let i = 0; i < calls; i++) window.growlytics.identify('id' + String(i).padStart(5, '0'), attrs[i]);
    resolve();
  }, 0));
}

async function delivered(expected, ms = 60_000) {
  const t0 = performance.now();
  while (collectorEnv.collector.profiles.size < expected) {
    if (performance.now() - t0 > ms) throw new Error(`only ${collectorEnv.collector.profiles.size}/${expected} delivered in ${ms} ms`);
    await sleep(20);
  }
}

// ------------------------------------------------------------ tracing

// Not 'v8' or 'loading': their volume makes the trace slow to hand over, and the tasks are seen without them.
const CATEGORIES = ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'toplevel', 'v8.execute', 'blink.user_timing'];

/** Traces `body()` in the whole browser; resolves with the events. */
async function traced(body) {
  const cdp = await browser.newBrowserCDPSession();
  const events = [];
  cdp.on('Tracing.dataCollected', ({ value }) => events.push(...value));
  const complete = new Promise((r) => cdp.once('Tracing.tracingComplete', r));
  await cdp.send('Tracing.start', { traceConfig: { includedCategories: CATEGORIES, recordMode: 'recordAsMuchAsPossible' }, transferMode: 'ReportEvents' });
  try {
    await body();
  } finally {
    await cdp.send('Tracing.end');
    await within(complete, 120_000, 'trace data');
    await cdp.detach().catch(() => {});
  }
  return events;
}

/**
 * The main-thread events of the renderer where `marker` (a TimeStamp
 * message, or an event name with `url` in its data) occurs, as complete
 * events { name, ts, dur, tdur, data, children } nested into top-level tasks.
 */
function mainThreadTasks(events, pick) {
  const mains = new Set(events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
  const byThread = new Map();
  for (const e of events) {
    const k = `${e.pid}:${e.tid}`;
    if (!mains.has(k) || e.ph === 'M') continue;
    if (!byThread.has(k)) byThread.set(k, []);
    byThread.get(k).push(e);
  }
  const thread = [...byThread.values()].find((list) => list.some(pick));
  if (!thread) throw new Error('no renderer main thread with the marker in the trace');
  // B/E pairs to complete events; instants have dur 0.
  const out = [];
  const open = [];
  for (const e of thread.sort((a, b) => a.ts - b.ts)) {
    const data = e.args?.data ?? e.args ?? {};
    if (e.ph === 'X') out.push({ name: e.name, ts: e.ts, dur: e.dur ?? 0, tdur: e.tdur ?? e.dur ?? 0, data });
    else if (e.ph === 'B') open.push({ name: e.name, ts: e.ts, tts: e.tts, data });
    else if (e.ph === 'E') {
      for (let i = open.length - 1; i >= 0; i--) {
        if (open[i].name !== e.name) continue;
        const b = open.splice(i, 1)[0];
        out.push({ name: b.name, ts: b.ts, dur: e.ts - b.ts, tdur: e.tts != null && b.tts != null ? e.tts - b.tts : e.ts - b.ts, data: { ...b.data, ...(e.args?.data ?? {}) } });
        break;
      }
    } else if (e.ph === 'I' || e.ph === 'i' || e.ph === 'n' || e.ph === 'R') out.push({ name: e.name, ts: e.ts, dur: 0, tdur: 0, data, instant: true });
  }
  out.sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  // Nest; top-level tasks are the outermost events of the thread.
  const tops = [];
  const stack = [];
  for (const e of out) {
    e.children = [];
    while (stack.length && stack[stack.length - 1].ts + stack[stack.length - 1].dur <= e.ts) stack.pop();
    if (stack.length) stack[stack.length - 1].children.push(e);
    else tops.push(e);
    if (!e.instant) stack.push(e);
  }
  return tops.filter((t) => !t.instant);
}

const walk = (e, f) => { f(e); for (const c of e.children) walk(c, f); };
const isOurs = (d, url) => typeof d?.url === 'string' && d.url.includes(url);

/** What a top-level task did, from the events inside it. */
function kindOf(task, marks) {
  const names = new Set();
  let fnUrl = null;
  walk(task, (e) => {
    names.add(e.name);
    if (e.name === 'TimeStamp' && marks.includes(e.data?.message)) names.add(`mark:${e.data.message}`);
    if ((e.name === 'FunctionCall' || e.name === 'EvaluateScript' || e.name === 'v8.compile') && e.data?.url && !fnUrl) fnUrl = e.data.url;
  });
  for (const m of marks) if (names.has(`mark:${m}`)) return m;
  const short = fnUrl ? (fnUrl.includes('growlytics.min.js') ? 'growlytics.min.js' : fnUrl.startsWith('blob:') ? 'floor script' : fnUrl.replace(/^https?:\/\/[^/]+/, '').slice(0, 40) || 'page') : '';
  if (names.has('ParseHTML')) return 'HTML parsing';
  if (names.has('EvaluateScript')) return `script evaluation (${short || 'inline'})`;
  if (names.has('TimerFire')) return `timer fired (${short || '?'})`;
  if (names.has('ResourceReceiveResponse') || names.has('ResourceFinish') || names.has('ResourceReceivedData') || names.has('ResourceSendRequest')) return 'network (request start / answer) + its JS';
  if ([...names].some((n) => /GC|GarbageCollection/i.test(n))) return 'garbage collection';
  if (names.has('FunctionCall')) return `JS callback (${short || '?'})`;
  if (names.has('RunMicrotasks') || names.has('RunTask') && names.has('v8.run')) return 'microtasks / other JS';
  if (names.has('Layout') || names.has('UpdateLayoutTree') || names.has('Paint') || names.has('UpdateLayer')) return 'rendering';
  const inner = task.children.find((c) => !c.instant)?.name;
  let where = '';
  walk(task, (e) => { where ||= hint(e.data); });
  return `other (${inner || task.name}${where ? `: ${where}` : ''})`;
}

/** Where a browser task comes from, when its trace args say (posting location, mojo interface). */
function hint(args, depth = 0) {
  if (!args || typeof args !== 'object' || depth > 2) return '';
  for (const k of ['mojo_interface_tag', 'watcher_notify_interface_tag', 'interface_name', 'src_func', 'src_file', 'src']) {
    if (typeof args[k] === 'string' && args[k]) return args[k].replace(/^.*\/(?=[^/]+$)/, '').slice(0, 60);
  }
  for (const v of Object.values(args)) { const h = hint(v, depth + 1); if (h) return h; }
  return '';
}

/** Exclusive (self) wall and CPU time per event name, over the tasks. */
function selfTimes(tasks) {
  const m = new Map();
  const add = (name, dur, tdur) => { const x = m.get(name) || { dur: 0, tdur: 0, n: 0 }; x.dur += dur; x.tdur += tdur; x.n++; m.set(name, x); };
  const visit = (e) => {
    if (e.instant) return;
    let d = e.dur, t = e.tdur;
    for (const c of e.children) { if (!c.instant) { d -= c.dur; t -= c.tdur; } visit(c); }
    add(e.name === 'FunctionCall' && e.data?.url ? `FunctionCall ${e.data.url.includes('growlytics.min.js') ? '(ours)' : e.data.url.startsWith('blob:') ? '(floor)' : ''}`.trim() : e.name, Math.max(0, d), Math.max(0, t));
  };
  tasks.forEach(visit);
  return m;
}

function groupTasks(tasks, marks) {
  const g = new Map();
  for (const t of tasks) {
    const k = kindOf(t, marks);
    const x = g.get(k) || { n: 0, dur: 0, tdur: 0 };
    x.n++; x.dur += t.dur; x.tdur += t.tdur;
    g.set(k, x);
  }
  return g;
}

// ------------------------------------------------------------ 1. identify, traced

/** A new page on /blank with `script` (ours or the floor) loaded and 300 ms of quiet, the collector's log cleared. */
async function loadedPage(context, script) {
  collectorEnv.reset();
  const page = await context.newPage();
  await page.goto(origin + '/blank');
  await page.evaluate(pageLoadBundle, [KEY, collectorEnv.endpoint, SOURCES[script]]);
  await sleep(300);
  return page;
}

async function traceIdentify(script) {
  const context = await browser.newContext();
  try {
    const page = await loadedPage(context, script);
    const events = await traced(async () => {
      await page.evaluate(() => console.timeStamp('bench:start'));
      await page.evaluate(pageCalls, [CALLS]);
      await delivered(CALLS);
      if ((await page.evaluate(pageFlush, 10_000)) !== 'resolved') throw new Error(`${script}: flush() did not resolve`);
      await page.evaluate(() => console.timeStamp('bench:flushed'));
      await sleep(TAIL_MS);
      await page.evaluate(() => console.timeStamp('bench:end'));
    });
    const tasks = mainThreadTasks(events, (e) => e.name === 'TimeStamp' && e.args?.data?.message === 'bench:start');
    const at = (msg) => { let ts = null; for (const t of tasks) walk(t, (e) => { if (e.name === 'TimeStamp' && e.data?.message === msg) ts = e.ts; }); return ts; };
    const t0 = at('bench:start'), t1 = at('bench:flushed'), t2 = at('bench:end');
    const inWin = (a, b) => tasks.filter((t) => t.ts >= a && t.ts < b && !hasMark(t, ['bench:start', 'bench:flushed', 'bench:end']));
    return { untilFlush: inWin(t0, t1), tail: inWin(t1, t2), tailMs: (t2 - t1) / 1000 };
  } finally {
    await context.close();
  }
}
function hasMark(task, msgs) { let y = false; walk(task, (e) => { if (e.name === 'TimeStamp' && msgs.includes(e.data?.message)) y = true; }); return y; }

// ------------------------------------------------------------ 2. identify, CPU profile

async function profileIdentify(script) {
  const context = await browser.newContext();
  try {
    const page = await loadedPage(context, script);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 50 });
    await cdp.send('Profiler.start');
    await page.evaluate(pageCalls, [CALLS]);
    await delivered(CALLS);
    await page.evaluate(pageFlush, 10_000);
    const { profile } = await cdp.send('Profiler.stop');
    return profile;
  } finally {
    await context.close();
  }
}

/** Self time (µs) per function, and for browser APIs per calling function too. */
function selfByFunction(profile) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);
  const hits = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i + 1] ?? 0; // the time until the next sample belongs to this one
    hits.set(profile.samples[i], (hits.get(profile.samples[i]) || 0) + dt);
  }
  const label = (n) => {
    const f = n.callFrame;
    if (f.url.includes('growlytics.min.js')) {
      const lines = bundleText.split('\n');
      const src = lines[f.lineNumber] || '';
      return `ours ${f.functionName || '(anon)'}@${f.columnNumber} ${JSON.stringify(src.slice(f.columnNumber, f.columnNumber + 48))}`;
    }
    if (f.url.startsWith('blob:') || f.url.endsWith('/floor.js')) return `floor ${f.functionName || '(anon)'}@${f.columnNumber}`;
    if (!f.url) return f.functionName || '(anon)';
    return `page ${f.functionName || '(anon)'}`;
  };
  const self = new Map();
  const byCaller = new Map();
  for (const [id, us] of hits) {
    const n = nodes.get(id);
    const l = label(n);
    self.set(l, (self.get(l) || 0) + us);
    if (!n.callFrame.url && !l.startsWith('(')) {
      // A browser API: name the nearest caller with a URL.
      let p = parent.get(id), caller = '?';
      while (p != null) { const pn = nodes.get(p); if (pn.callFrame.url) { caller = label(pn); break; } p = parent.get(p); }
      const k = `${l}  <-  ${caller}`;
      byCaller.set(k, (byCaller.get(k) || 0) + us);
    }
  }
  return { self, byCaller, total: [...hits.values()].reduce((a, b) => a + b, 0) };
}

// ------------------------------------------------------------ 3. page load, traced

async function traceLoad(path, foreign, warm) {
  // A returning visitor's browser keeps V8's code cache: a profile on disk (an off-the-record context keeps none).
  const dir = warm ? mkdtempSync(join(tmpdir(), 'profile-')) : null;
  const context = dir ? await launchChromiumProfile(dir) : await browser.newContext();
  try {
    collectorEnv.reset();
    if (foreign) await seedForeign(context, origin, foreign);
    if (warm) for (let v = 0; v < 2; v++) await warmVisit(context, origin + path);
    const page = await context.newPage();
    await page.goto(origin + '/blank');
    await sleep(200);
    const events = await traced(async () => {
      await page.evaluate(() => console.timeStamp('bench:start'));
      await page.goto(origin + path, { waitUntil: 'load' });
      await sleep(warm ? 1500 : 500);
      await page.evaluate(() => console.timeStamp('bench:end'));
    });
    const tasks = mainThreadTasks(events, (e) => e.name === 'TimeStamp' && e.args?.data?.message === 'bench:end');
    let t0 = null, t1 = null;
    for (const t of tasks) walk(t, (e) => { if (e.name === 'TimeStamp' && e.data?.message === 'bench:end') t1 = e.ts; });
    for (const t of tasks) walk(t, (e) => { if (e.name === 'TimeStamp' && e.data?.message === 'bench:start') t0 = e.ts; });
    // After a cross-document navigation the marker may sit in the same thread (same renderer): start there, else at the first task.
    const win = tasks.filter((t) => (t0 == null || t.ts >= t0) && t.ts < t1 && !hasMark(t, ['bench:start', 'bench:end']));
    let oursDur = 0, oursTdur = 0;
    const ourEvents = new Map();
    for (const t of win) walk(t, (e) => {
      if (!e.instant && isOurs(e.data, 'growlytics.min.js') && ['EvaluateScript', 'FunctionCall', 'v8.compile', 'v8.produceCache', 'v8.parseOnBackground'].includes(e.name)) {
        const x = ourEvents.get(e.name) || { n: 0, dur: 0, tdur: 0 };
        x.n++; x.dur += e.dur; x.tdur += e.tdur; ourEvents.set(e.name, x);
        if (e.name !== 'v8.compile') { oursDur += e.dur; oursTdur += e.tdur; }
      }
    });
    return { groups: groupTasks(win, []), self: selfTimes(win), total: win.reduce((a, t) => ({ dur: a.dur + t.dur, tdur: a.tdur + t.tdur }), { dur: 0, tdur: 0 }), ourEvents, sameThread: t0 != null };
  } finally {
    await context.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------ printing

function printGroups(title, perScript, per) {
  console.log(title);
  const keys = new Set();
  for (const g of Object.values(perScript)) for (const k of g.keys()) keys.add(k);
  const rows = [...keys].map((k) => {
    const r = { 'task kind': k };
    for (const [s, g] of Object.entries(perScript)) {
      const x = g.get(k);
      r[`${s} tasks`] = x ? x.n : 0;
      r[`${s} wall us/${per.unit}`] = x ? fmt(x.dur / per.n) : '0';
      r[`${s} CPU us/${per.unit}`] = x ? fmt(x.tdur / per.n) : '0';
    }
    return r;
  });
  const tot = (g, f) => [...g.values()].reduce((a, x) => a + x[f], 0);
  const total = { 'task kind': 'TOTAL' };
  for (const [s, g] of Object.entries(perScript)) {
    total[`${s} tasks`] = [...g.values()].reduce((a, x) => a + x.n, 0);
    total[`${s} wall us/${per.unit}`] = fmt(tot(g, 'dur') / per.n);
    total[`${s} CPU us/${per.unit}`] = fmt(tot(g, 'tdur') / per.n);
  }
  const first = Object.keys(perScript)[0];
  rows.sort((a, b) => Object.keys(perScript).reduce((s, k) => s + +b[`${k} wall us/${per.unit}`] - +a[`${k} wall us/${per.unit}`], 0));
  rows.push(total);
  console.table(rows);
  return first;
}

function printSelf(title, perScript, n, top = 18) {
  console.log(title);
  const keys = new Set();
  for (const m of Object.values(perScript)) for (const k of m.keys()) keys.add(k);
  const names = Object.keys(perScript);
  const rows = [...keys].map((k) => {
    const r = { event: k };
    for (const s of names) { const x = perScript[s].get(k); r[`${s} wall us/call`] = x ? +(x.dur / n).toFixed(1) : 0; r[`${s} CPU us/call`] = x ? +(x.tdur / n).toFixed(1) : 0; }
    r['diff wall'] = names.length === 2 ? +(r[`${names[1]} wall us/call`] - r[`${names[0]} wall us/call`]).toFixed(1) : '';
    return r;
  });
  rows.sort((a, b) => names.reduce((s, k) => s + b[`${k} wall us/call`] - a[`${k} wall us/call`], 0));
  console.table(rows.slice(0, top));
}

function mergeMaps(list, add) {
  const out = new Map();
  for (const m of list) for (const [k, v] of m) out.set(k, out.has(k) ? add(out.get(k), v) : v);
  return out;
}
const addTimes = (a, b) => ({ n: a.n + b.n, dur: a.dur + b.dur, tdur: a.tdur + b.tdur });

async function main() {
  bundleText = readFileSync(BUNDLE, 'utf8');
  console.log(`Growlytics profile: ${CALLS} new-id identifies, ours vs the floor; ${REPS} rep(s); tail ${TAIL_MS} ms after flush()`);
  browser = await launch();
  collectorEnv = await startBenchCollector();
  scriptHost = await startScriptHost();
  storefront = await startBenchStorefront(collectorEnv.endpoint, scriptHost.origin);
  origin = storefront.origin;
  console.log(`Chromium ${browser.version()}`);
  if (PARTS.includes('identify')) await identifyParts();
  if (PARTS.includes('load')) await loadTrace();
}

/** Parts A and B: the identify workload, traced and profiled. */
async function identifyParts() {
  heading('A. main-thread tasks of the identify workload (CDP tracing)');
  console.log(`Tasks of the renderer's main thread from the calls to flush() resolving (all ${CALLS} delivered), grouped
by what each task ran; "calls' task" is the one task running all ${CALLS} identify calls. Per call = sum / ${CALLS}.
wall = task duration (TaskDuration's unit); CPU = thread time. Tracing itself adds cost.`);
  const tr = { floor: [], ours: [] };
  for (let rep = 0; rep < REPS; rep++) {
    for (const s of rep % 2 ? ['ours', 'floor'] : ['floor', 'ours']) tr[s].push(await traceIdentify(s));
  }
  const n = CALLS * REPS;
  const marks = ['bench:calls'];
  const rename = (g) => new Map([...g].map(([k, v]) => [k === 'bench:calls' ? "calls' task (all identify calls)" : k, v]));
  printGroups('until flush() resolved:', {
    floor: rename(mergeMaps(tr.floor.map((r) => groupTasks(r.untilFlush, marks)), addTimes)),
    ours: rename(mergeMaps(tr.ours.map((r) => groupTasks(r.untilFlush, marks)), addTimes)),
  }, { n, unit: 'call' });
  printSelf('exclusive time per trace event until flush() (top 18; RunTask / ThreadControllerImpl::RunTask = the browser\'s own task work outside any named event):', {
    floor: mergeMaps(tr.floor.map((r) => selfTimes(r.untilFlush)), addTimes),
    ours: mergeMaps(tr.ours.map((r) => selfTimes(r.untilFlush)), addTimes),
  }, n);
  if (TAIL_MS > 0) {
    printGroups(`the ${fmt(tr.ours[0].tailMs / 1000, 1)} s after flush() resolved (deferred work that outlives delivery, e.g. timers; an idle page has some too):`, {
      floor: mergeMaps(tr.floor.map((r) => groupTasks(r.tail, marks)), addTimes),
      ours: mergeMaps(tr.ours.map((r) => groupTasks(r.tail, marks)), addTimes),
    }, { n, unit: 'call' });
  }

  heading('B. JavaScript and browser APIs (V8 CPU profiler, 50 us sampling)');
  console.log(`Self time per function from the calls to flush() resolving, us per call. Browser APIs (setItem, fetch,
text, ...) under their own names, then by the nearest calling function with a URL ("ours f@col" + the first
characters of that minified function). (program) = browser work outside JS; (idle) = nothing to do.`);
  const prof = { floor: [], ours: [] };
  for (let rep = 0; rep < REPS; rep++) {
    for (const s of rep % 2 ? ['floor', 'ours'] : ['ours', 'floor']) prof[s].push(selfByFunction(await profileIdentify(s)));
  }
  const toTimes = (m) => new Map([...m].map(([k, us]) => [k, { n: 1, dur: us, tdur: us }]));
  const selfMaps = { floor: mergeMaps(prof.floor.map((p) => toTimes(p.self)), addTimes), ours: mergeMaps(prof.ours.map((p) => toTimes(p.self)), addTimes) };
  const rows = [];
  const keys = new Set([...selfMaps.floor.keys(), ...selfMaps.ours.keys()]);
  for (const k of keys) {
    const f = (selfMaps.floor.get(k)?.dur || 0) / n, o = (selfMaps.ours.get(k)?.dur || 0) / n;
    rows.push({ function: k.slice(0, 90), 'floor us/call': +f.toFixed(1), 'ours us/call': +o.toFixed(1), 'ours - floor': +(o - f).toFixed(1) });
  }
  rows.sort((a, b) => b['ours us/call'] + b['floor us/call'] - a['ours us/call'] - a['floor us/call']);
  console.table(rows.filter((r) => r.function !== '(idle)').slice(0, 24));
  const api = mergeMaps(prof.ours.map((p) => toTimes(p.byCaller)), addTimes);
  console.log('ours: browser APIs by calling function (us per call, top 16):');
  console.table([...api].sort((a, b) => b[1].dur - a[1].dur).slice(0, 16).map(([k, v]) => ({ 'api  <-  caller': k.slice(0, 120), 'us/call': +(v.dur / n).toFixed(2) })));
  const apiF = mergeMaps(prof.floor.map((p) => toTimes(p.byCaller)), addTimes);
  console.log('floor: browser APIs by calling function (us per call, top 8):');
  console.table([...apiF].sort((a, b) => b[1].dur - a[1].dur).slice(0, 8).map(([k, v]) => ({ 'api  <-  caller': k.slice(0, 120), 'us/call': +(v.dur / n).toFixed(2) })));
}

/** Part C: page loads, traced. */
async function loadTrace() {
  heading('C. page load (CDP tracing): navigation from /blank to idle (load + 500 ms)');
  console.log(`Tasks of the renderer's main thread, per page load (ms), by kind; and the events carrying our script's
URL (its compile, evaluation and later calls). Empty storage and 2,000 foreign keys; one load each.`);
  const loads = {};
  for (const [label, path, foreign] of [['bare', '/blank', 0], ['snippet', '/app', 0], ['bare 2k', '/blank', 2000], ['snippet 2k', '/app', 2000]]) {
    loads[label] = await traceLoad(path, foreign);
  }
  // Bench part 5a's pair: a returning visitor (script warm in the HTTP cache), the floor and ours.
  const warm = {};
  for (const [label, path, foreign] of [['floor', '/floor-cached', 0], ['ours', '/app-cached', 0], ['floor 2k', '/floor-cached', 2000], ['ours 2k', '/app-cached', 2000]]) {
    warm[label] = await traceLoad(path, foreign, true);
  }
  printGroups('tasks by kind (us per page load):', Object.fromEntries(Object.entries(loads).map(([k, v]) => [k, v.groups])), { n: 1, unit: 'load' });
  printGroups('returning visitor, the floor and ours (bench part 5a), window to load + 1.5 s (us per page load):', Object.fromEntries(Object.entries(warm).map(([k, v]) => [k, v.groups])), { n: 1, unit: 'load' });
  printSelf('returning visitor: exclusive time per trace event (us per page load, top 24):', Object.fromEntries(Object.entries(warm).map(([k, v]) => [k, v.self])), 1, 24);
  for (const [label, l] of [...Object.entries(loads).filter(([k]) => k.startsWith('snippet')), ['ours (warm)', warm.ours], ['ours 2k (warm)', warm['ours 2k']]]) {
    console.log(`${label}: events with growlytics.min.js's URL: ${[...l.ourEvents].map(([k, v]) => `${k} x${v.n} ${fmt(v.dur / 1000, 2)} ms wall / ${fmt(v.tdur / 1000, 2)} ms CPU`).join('; ') || 'none'}` +
      `${l.sameThread ? '' : ' (navigation changed renderer: window starts at its first task)'}`);
  }
}

// ------------------------------------------------------------ 4. start-up, CPU profile

/**
 * A returning visitor's page load under the CPU profiler: two visits to
 * `path` first (as bench part 5a: HTTP cache and V8 code cache), then a new page on
 * /blank navigates to it; profiled from just before the navigation to
 * 1.5 s after its load event (bench part 5a's window).
 */
async function profileStartup(path, foreign) {
  const dir = mkdtempSync(join(tmpdir(), 'profile-'));
  const context = await launchChromiumProfile(dir);
  try {
    collectorEnv.reset();
    if (foreign) await seedForeign(context, origin, foreign);
    await warmVisit(context, origin + path);
    await warmVisit(context, origin + path);
    const page = await context.newPage();
    await page.goto(origin + '/blank');
    const cdp = await context.newCDPSession(page);
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 25 });
    await cdp.send('Profiler.start');
    await page.goto(origin + path, { waitUntil: 'load' });
    await sleep(1500);
    const { profile } = await cdp.send('Profiler.stop');
    return selfByFunction(profile);
  } finally {
    await context.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function startup() {
  heading('D. page load of a returning visitor (V8 CPU profiler, 25 us sampling)');
  console.log(`Two warm visits first (HTTP and V8 code cache), then a navigation from /blank to the page, to 1.5 s after
load; self time per function in us, ${REPS} load(s) each: ours and the floor (bench part 5a), empty storage and
2,000 foreign keys. The profiler adds its own cost: compare the columns, do not quote them.`);
  const cases = [['floor', '/floor-cached', 0], ['ours', '/app-cached', 0], ['floor 2k', '/floor-cached', 2000], ['ours 2k', '/app-cached', 2000]];
  const runs = Object.fromEntries(cases.map(([k]) => [k, []]));
  for (let rep = 0; rep < REPS; rep++) for (const [k, path, f] of cases) runs[k].push(await profileStartup(path, f));
  const toTimes = (m) => new Map([...m].map(([k, us]) => [k, { n: 1, dur: us, tdur: us }]));
  const maps = Object.fromEntries(Object.entries(runs).map(([k, list]) => [k, mergeMaps(list.map((p) => toTimes(p.self)), addTimes)]));
  const keys = new Set(Object.values(maps).flatMap((m) => [...m.keys()]));
  const rows = [...keys].filter((k) => k !== '(idle)').map((k) => ({
    function: k.slice(0, 90),
    ...Object.fromEntries(cases.map(([c]) => [`${c} us`, +((maps[c].get(k)?.dur || 0) / REPS).toFixed(0)])),
  }));
  const sum = (r) => cases.reduce((a, [c]) => a + r[`${c} us`], 0);
  rows.sort((a, b) => sum(b) - sum(a));
  console.table(rows.slice(0, 24));
  const apis = mergeMaps(runs['ours 2k'].map((p) => toTimes(p.byCaller)), addTimes);
  console.log('ours 2k: browser APIs by calling function (us, top 10):');
  console.table([...apis].sort((a, b) => b[1].dur - a[1].dur).slice(0, 10).map(([k, v]) => ({ 'api  <-  caller': k.slice(0, 120), us: +(v.dur / REPS).toFixed(0) })));
}

try {
  await main();
  if (PARTS.includes('startup')) await startup();
} catch (e) {
  console.error(`profile: ${e.stack || e.message}`);
  process.exitCode = 1;
} finally {
  await Promise.allSettled([browser?.close(), collectorEnv?.close(), storefront?.close(), scriptHost?.close()]);
  clearTimeout(watchdog);
}
