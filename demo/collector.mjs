// An in-memory Growlytics collector: a faithful stand-in for
// `POST https://dc.growlytics.in/track/user` (SPEC §1), plus the controls the
// demo, the browser tests and the benchmark need (fault injection, a live
// dashboard, a state snapshot). It is the ONE test double of the project, so
// its rules follow the spec to the letter and fail loudly on anything else.
//
// Why some choices:
// - Every response says `Connection: close`. Chromium silently re-sends a
//   request (POST included) when a *reused* keep-alive socket closes before
//   any response byte (HttpNetworkTransaction::ShouldResendRequest). A
//   simulated drop or hang on a reused socket would then turn into a second,
//   successful request the test never asked for. Fresh sockets are never
//   re-sent, so a drop stays a drop. The benchmark passes `keepAlive: true`
//   (it injects no drops during its measured runs): a real server keeps
//   connections open, and a new TCP connection per request would inflate
//   the main-thread cost it measures.
// - Validation and storage happen when the answer is written (after any
//   delay), so a request's `status` and the profile change become visible in
//   the same tick.

import { readFileSync, writeFileSync, renameSync, mkdirSync } from 'node:fs';
import { writeFile, rename } from 'node:fs/promises';
import { listen } from './listen.mjs';
import { dirname } from 'node:path';
import { dashboardHtml } from './dashboard.mjs';

const ID_MAX = 40;
const NAME_MAX = 49; // "shorter than 50 characters"
const CUSTOM_MAX = 50; // custom attributes per profile
const RESERVED = new Set(['name', 'email', 'mobile']);
const DATE_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z$/;
const BODY_LIMIT = 1024 * 1024; // far above the browser's 64 KiB keepalive quota
const FAULT_KEYS = new Set(['status', 'retryAfter', 'times', 'drop', 'hang', 'delayMs', 'preflightDelayMs', 'rejectIds']);
const SAVE_DEBOUNCE_MS = 50;

/** Defines an own property, so a name like `__proto__` is stored, not obeyed. */
function setOwn(obj, key, value) {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The type the server locks an attribute name to (SPEC rule 5); null if not allowed. */
function typeOf(value) {
  if (typeof value === 'string') return DATE_RE.test(value) ? 'date' : 'string';
  if (typeof value === 'number') return Number.isFinite(value) ? 'number' : null;
  if (typeof value === 'boolean') return 'boolean';
  return null;
}

function isPlainObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Checks a fault description and returns a clean copy; throws on anything unknown. */
function normalizeFaults(f) {
  if (f == null) return {};
  if (!isPlainObject(f)) throw new TypeError('faults must be an object');
  for (const k of Object.keys(f)) {
    if (!FAULT_KEYS.has(k)) throw new TypeError(`unknown fault "${k}" (known: ${[...FAULT_KEYS].join(', ')})`);
  }
  const out = {};
  const kinds = ['status', 'drop', 'hang'].filter((k) => f[k] !== undefined && f[k] !== false);
  if (kinds.length > 1) throw new TypeError(`faults ${kinds.join(' and ')} exclude each other`);
  if (f.status !== undefined) {
    if (!Number.isInteger(f.status) || f.status < 200 || f.status > 599) throw new TypeError('status must be an HTTP status 200-599');
    out.status = f.status;
  }
  if (f.retryAfter !== undefined) {
    if (typeof f.retryAfter !== 'number' && typeof f.retryAfter !== 'string') throw new TypeError('retryAfter must be seconds or an HTTP date');
    out.retryAfter = f.retryAfter;
  }
  if (f.drop) out.drop = true;
  if (f.hang) out.hang = true;
  if (f.times !== undefined) {
    if (!Number.isInteger(f.times) || f.times < 0) throw new TypeError('times must be a non-negative integer');
    if (!kinds.length) throw new TypeError('times counts a status, drop or hang fault; none given');
    out.times = f.times;
  }
  if (f.delayMs !== undefined) {
    if (!Number.isFinite(f.delayMs) || f.delayMs < 0) throw new TypeError('delayMs must be a non-negative number');
    if (f.delayMs > 0) out.delayMs = f.delayMs;
  }
  if (f.preflightDelayMs !== undefined) {
    // Holds CORS preflights: a page that navigates meanwhile shows whether its request survives (keepalive).
    if (!Number.isFinite(f.preflightDelayMs) || f.preflightDelayMs < 0) throw new TypeError('preflightDelayMs must be a non-negative number');
    if (f.preflightDelayMs > 0) out.preflightDelayMs = f.preflightDelayMs;
  }
  if (f.rejectIds !== undefined) {
    if (!Array.isArray(f.rejectIds) || !f.rejectIds.every((x) => typeof x === 'string')) throw new TypeError('rejectIds must be an array of strings');
    out.rejectIds = [...f.rejectIds];
  }
  return out;
}

/**
 * Validates a parsed body against SPEC §1 and the profile it would update.
 * Returns { errors } or { apply: [[name, value, type]], ignored: [{name, value, locked, got}] }.
 * Pure apart from reading `profiles` and `types`.
 */
function validate(json, profiles, types) {
  const errors = [];
  const err = (field, message) => errors.push({ field, message });
  if (!isPlainObject(json)) return { errors: [{ field: 'body', message: 'must be a JSON object with "id" and "attributes"' }] };
  for (const k of Object.keys(json)) if (k !== 'id' && k !== 'attributes') err(k, `unknown field "${k}": the body holds only "id" and "attributes"`);
  const { id, attributes } = json;
  if (id === undefined) err('id', 'is required');
  else if (typeof id !== 'string') err('id', `must be a string, got ${id === null ? 'null' : typeof id}`);
  else if (id.trim() === '') err('id', 'must not be empty');
  else if (id.length > ID_MAX) err('id', `must be at most ${ID_MAX} characters, got ${id.length}`);

  const apply = [];
  const ignored = [];
  if (attributes !== undefined && !isPlainObject(attributes)) {
    err('attributes', `must be an object, got ${attributes === null ? 'null' : Array.isArray(attributes) ? 'an array' : typeof attributes}`);
  } else if (attributes) {
    for (const name of Object.keys(attributes)) {
      const field = `attributes.${name}`;
      const value = attributes[name];
      const reserved = RESERVED.has(name);
      if (name === '') { err(field, 'attribute name must not be empty'); continue; }
      if (!reserved && name.length > NAME_MAX) { err(field, `attribute name must be shorter than 50 characters, got ${name.length}`); continue; }
      const type = typeOf(value);
      if (!type) {
        const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'number' ? String(value) : typeof value;
        err(field, `value must be a string, number, boolean or ISO-8601 date, got ${got}`);
        continue;
      }
      const locked = Object.hasOwn(types, name) ? types[name] : null;
      if (locked && locked !== type) ignored.push({ name, value, locked, got: type });
      else apply.push([name, value, type]);
    }
  }
  // Rule 4: count the custom names the profile would hold after this merge.
  if (!errors.length && typeof id === 'string') {
    const held = profiles.get(id)?.attributes ?? {};
    const names = new Set(Object.keys(held).filter((n) => !RESERVED.has(n)));
    for (const [name] of apply) if (!RESERVED.has(name)) names.add(name);
    if (names.size > CUSTOM_MAX) err('attributes', `a profile holds at most ${CUSTOM_MAX} custom attributes; this update would make ${names.size}`);
  }
  return errors.length ? { errors } : { apply, ignored };
}

/**
 * Creates a collector. `key` is the API key it accepts; `file`, if given, is a
 * JSON file profiles and types are loaded from and saved to.
 */
export function createCollector({ key = 'demo-key', file, keepAlive = false } = {}) {
  const connection = keepAlive ? {} : { Connection: 'close' };
  const profiles = new Map();
  const requests = [];
  const types = {};
  const ignored = [];
  // What the demo's relay answered (demo/relay.mjs): its refusals never reach
  // this collector, and the dashboard shows them next to what did.
  const relayed = [];
  let faults = {};
  let preflights = 0;
  let seq = 0;
  const listeners = new Set();
  const pending = new Set(); // { res, timer } of requests not yet answered (hanging or delayed)
  const sse = new Set();
  let saveTimer = null;

  if (file) load();

  function load() {
    let data;
    try {
      data = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      if (e.code !== 'ENOENT') console.warn(`collector: ignoring unreadable ${file}: ${e.message}`);
      return;
    }
    for (const [id, p] of Object.entries(data.profiles ?? {})) {
      const attributes = {};
      for (const [k, v] of Object.entries(p.attributes ?? {})) setOwn(attributes, k, v);
      profiles.set(id, { attributes, updates: p.updates ?? 0 });
    }
    for (const [k, v] of Object.entries(data.types ?? {})) setOwn(types, k, v);
  }

  function persisted() {
    return JSON.stringify({ profiles: Object.fromEntries(profiles), types }, null, 2);
  }

  // Debounced: a burst of requests costs one write. Written to a temp file and
  // renamed, so a crash mid-write never leaves half a JSON file.
  function scheduleSave() {
    if (!file || saveTimer) return;
    saveTimer = setTimeout(async () => {
      saveTimer = null;
      try {
        mkdirSync(dirname(file), { recursive: true });
        await writeFile(`${file}.tmp`, persisted());
        await rename(`${file}.tmp`, file);
      } catch (e) {
        console.warn(`collector: could not save ${file}: ${e.message}`);
      }
    }, SAVE_DEBOUNCE_MS);
  }

  /** Writes any pending save now (used on close, so nothing is lost on Ctrl-C). */
  function saveNow() {
    if (!file || !saveTimer) return;
    clearTimeout(saveTimer);
    saveTimer = null;
    try {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(`${file}.tmp`, persisted());
      renameSync(`${file}.tmp`, file);
    } catch (e) {
      console.warn(`collector: could not save ${file}: ${e.message}`);
    }
  }

  function changed() {
    for (const cb of listeners) {
      try { cb(collector); } catch (e) { console.error('collector: onChange listener threw', e); }
    }
    pushEvents();
  }

  // SSE: coalesce bursts into one snapshot per tick-ish, so a benchmark with a
  // dashboard open does not serialise the whole state once per request.
  let sseTimer = null;
  function pushEvents() {
    if (!sse.size || sseTimer) return;
    sseTimer = setTimeout(() => {
      sseTimer = null;
      for (const client of sse) client.res.write(`data: ${JSON.stringify(state({ recent: client.recent }))}\n\n`);
    }, 50);
  }

  /** A JSON-able copy of everything; `recent` keeps only the last N requests. */
  function state({ recent } = {}) {
    const reqs = recent === undefined ? requests : recent === 0 ? [] : requests.slice(-recent);
    return JSON.parse(JSON.stringify({
      profiles: Object.fromEntries(profiles),
      requests: reqs,
      requestCount: requests.length,
      preflights,
      types,
      ignored,
      faults,
      relay: recent === undefined ? relayed : relayed.slice(-recent),
    }));
  }

  function setFaults(f) {
    faults = normalizeFaults(f);
    changed();
  }

  function reset() {
    profiles.clear();
    // Cleared in place, so references a test already holds stay live.
    requests.length = 0;
    for (const k of Object.keys(types)) delete types[k];
    ignored.length = 0;
    relayed.length = 0;
    faults = {};
    preflights = 0;
    seq = 0;
    releasePending();
    scheduleSave();
    changed();
  }

  /** Ends every unanswered request by destroying its socket (the browser sees a network error). */
  function releasePending() {
    for (const p of pending) {
      clearTimeout(p.timer);
      p.res.socket?.destroy();
    }
    pending.clear();
  }

  /**
   * Records one request the demo relay answered (demo/relay.mjs), with the
   * number of the request it posted here, if any (`relay=<n>` in its path).
   */
  function noteRelay(entry) {
    const posted = requests.find((r) => new URLSearchParams(r.path.split('?')[1] ?? '').get('relay') === String(entry.n));
    relayed.push({ ...entry, collected: posted ? posted.n : null });
    changed();
  }

  function onChange(cb) {
    listeners.add(cb);
    return () => listeners.delete(cb);
  }

  /** Resolves with state() once predicate(collector) is true; rejects after timeoutMs. */
  function waitFor(predicate, timeoutMs = 10000) {
    return new Promise((resolve, reject) => {
      let lastError = null;
      const check = () => {
        try {
          if (predicate(collector)) { done(); resolve(state()); }
        } catch (e) {
          lastError = e; // e.g. reading a profile that does not exist yet: keep waiting
        }
      };
      const timer = setTimeout(() => {
        done();
        const summary = requests.slice(-10).map((r) => `#${r.n} ${r.id ?? '?'} -> ${r.status ?? 'pending'}${r.faulted ? ' (fault)' : ''}`).join(', ');
        reject(new Error(`collector.waitFor timed out after ${timeoutMs} ms: ${predicate.toString().slice(0, 200)}\n` +
          `  ${requests.length} request(s) [${summary}], profiles: [${[...profiles.keys()].join(', ')}]` +
          (lastError ? `\n  last predicate error: ${lastError.message}` : '')));
      }, timeoutMs);
      const unsubscribe = onChange(check);
      function done() { clearTimeout(timer); unsubscribe(); }
      check();
    });
  }

  // --- HTTP ----------------------------------------------------------------

  function cors(req, res) {
    res.setHeader('Access-Control-Allow-Origin', req.headers.origin || '*');
    res.setHeader('Vary', 'Origin');
    res.setHeader('Access-Control-Expose-Headers', 'Retry-After');
  }

  function send(res, status, body, headers = {}) {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...connection, ...headers });
    res.end(text);
  }

  /** Reads the body up to BODY_LIMIT; resolves null if it was too large (the socket is answered 413). */
  function readBody(req) {
    return new Promise((resolve, reject) => {
      const chunks = [];
      let size = 0;
      req.on('data', (c) => {
        size += c.length;
        if (size <= BODY_LIMIT) chunks.push(c);
      });
      req.on('end', () => resolve(size > BODY_LIMIT ? null : Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });
  }

  async function handle(req, res) {
    cors(req, res);
    const url = new URL(req.url, 'http://collector');
    try {
      if (req.method === 'OPTIONS') {
        preflights++;
        if (faults.preflightDelayMs) await new Promise((r) => setTimeout(r, faults.preflightDelayMs));
        res.writeHead(204, {
          'Access-Control-Allow-Methods': 'POST, OPTIONS',
          'Access-Control-Allow-Headers': 'content-type, x-growlytics-key',
          'Access-Control-Max-Age': '7200',
          ...connection,
        });
        res.end();
        changed();
        return;
      }
      if (url.pathname === '/track/user') {
        if (req.method !== 'POST') return send(res, 405, { success: false, error: 'use POST' }, { Allow: 'POST, OPTIONS' });
        return await track(req, res);
      }
      const recent = url.searchParams.has('recent') ? Math.max(0, parseInt(url.searchParams.get('recent'), 10) || 0) : undefined;
      if (req.method === 'GET' && url.pathname === '/') {
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
        return res.end(dashboardHtml());
      }
      if (req.method === 'GET' && url.pathname === '/__/state') return send(res, 200, state({ recent }));
      if (req.method === 'GET' && url.pathname === '/__/events') return events(req, res, recent);
      if (req.method === 'POST' && url.pathname === '/__/faults') {
        const text = await readBody(req);
        try {
          setFaults(text ? JSON.parse(text) : {});
        } catch (e) {
          return send(res, 400, { success: false, error: e.message });
        }
        return send(res, 200, { success: true, faults });
      }
      if (req.method === 'POST' && url.pathname === '/__/reset') {
        await readBody(req);
        reset();
        return send(res, 200, { success: true });
      }
      return send(res, 404, { success: false, error: `no route ${req.method} ${url.pathname}` });
    } catch (e) {
      console.error('collector: handler failed', e);
      if (!res.headersSent) send(res, 500, { success: false, error: 'collector bug: ' + e.message });
      else res.destroy();
    }
  }

  function events(req, res, recent) {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' });
    const client = { res, recent };
    sse.add(client);
    res.write(`data: ${JSON.stringify(state({ recent }))}\n\n`);
    req.on('close', () => sse.delete(client));
  }

  /** Takes the fault that applies to this request, counting `times` down. */
  function takeFault() {
    const kind = faults.drop ? 'drop' : faults.hang ? 'hang' : faults.status ? 'status' : null;
    if (!kind) return null;
    if (faults.times !== undefined) {
      if (faults.times <= 0) return null;
      faults = { ...faults, times: faults.times - 1 };
    }
    return { kind, status: faults.status, retryAfter: faults.retryAfter };
  }

  async function track(req, res) {
    const at = Date.now();
    const body = await readBody(req);
    let json = null;
    try { json = JSON.parse(body ?? ''); } catch { /* recorded as null, answered 422 below */ }
    const id = isPlainObject(json) && typeof json.id === 'string' ? json.id : null;
    const record = { n: ++seq, at, path: req.url, headers: { ...req.headers }, body: body ?? '', json, id, status: null, faulted: false };
    requests.push(record);
    const fault = takeFault();
    const reject = id !== null && faults.rejectIds?.includes(id);
    const delayMs = faults.delayMs ?? 0;
    changed();

    if (fault?.kind === 'drop') {
      // No answer at all: the browser's fetch rejects with a network error.
      record.faulted = true;
      record.status = 0;
      req.socket.destroy();
      changed();
      return;
    }
    if (fault?.kind === 'hang') {
      // Read and recorded, never answered, until reset() or close().
      record.faulted = true;
      const p = { res, timer: null };
      pending.add(p);
      res.on('close', () => pending.delete(p));
      changed();
      return;
    }

    const answer = () => {
      let status, out, headers = {};
      if (fault?.kind === 'status') {
        record.faulted = true;
        status = fault.status;
        if (fault.retryAfter !== undefined) headers['Retry-After'] = String(fault.retryAfter);
        out = status === 401 || status === 403 ? { success: false, error: 'invalid API key' }
          : status === 422 ? { success: false, errors: [{ field: 'id', message: 'simulated rejection' }] }
          : { success: false, error: `simulated ${status}` };
      } else if (reject) {
        record.faulted = true;
        status = 422;
        out = { success: false, errors: [{ field: 'id', message: `customer "${id}" rejected (simulated)` }] };
      } else {
        [status, out] = upsert(req, body, json);
      }
      record.status = status;
      send(res, status, out, headers);
      changed();
    };
    if (delayMs > 0) {
      const p = { res, timer: null };
      p.timer = setTimeout(() => { pending.delete(p); answer(); }, delayMs);
      pending.add(p);
    } else {
      answer();
    }
  }

  /** The real server's work: key, body rules, type lock, upsert. Returns [status, body]. */
  function upsert(req, body, json) {
    if (req.headers['x-growlytics-key'] !== key) return [401, { success: false, error: 'invalid API key' }];
    if (body === null) return [413, { success: false, error: `body larger than ${BODY_LIMIT} bytes` }];
    const type = String(req.headers['content-type'] || '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') return [422, { success: false, errors: [{ field: 'content-type', message: `must be application/json, got "${type}"` }] }];
    if (json === null && body.trim() !== 'null') return [422, { success: false, errors: [{ field: 'body', message: 'is not valid JSON' }] }];
    const result = validate(json, profiles, types);
    if (result.errors) return [422, { success: false, errors: result.errors }];

    let profile = profiles.get(json.id);
    if (!profile) profiles.set(json.id, (profile = { attributes: {}, updates: 0 }));
    for (const [name, value, t] of result.apply) {
      if (!Object.hasOwn(types, name)) setOwn(types, name, t);
      setOwn(profile.attributes, name, value);
    }
    for (const x of result.ignored) ignored.push({ id: json.id, ...x });
    profile.updates++;
    scheduleSave();
    return [200, { success: true }];
  }

  /** Ends everything that keeps a socket open (SSE streams, unanswered requests) and saves. */
  function shutdown() {
    releasePending();
    clearTimeout(sseTimer);
    sseTimer = null;
    for (const client of sse) client.res.destroy();
    sse.clear();
    saveNow();
  }

  const collector = {
    handle,
    profiles,
    requests,
    get preflights() { return preflights; },
    types,
    ignored,
    get faults() { return faults; },
    relayed,
    noteRelay,
    setFaults,
    reset,
    state,
    onChange,
    waitFor,
    _shutdown: shutdown,
  };
  return collector;
}

/**
 * Starts a collector on host:port (port 0: any free port).
 * Resolves with { origin, endpoint, collector, close() }; close() ends every
 * open socket, so a test process can exit.
 */
export async function startCollector({ host = '127.0.0.1', port = 0, key, file, keepAlive } = {}) {
  const collector = createCollector({ key, file, keepAlive });
  const { origin, close } = await listen((req, res) => collector.handle(req, res), { host, port }, collector._shutdown);
  return { origin, endpoint: `${origin}/track/user`, collector, close };
}
