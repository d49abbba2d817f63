// Self-check of demo/collector.mjs over real HTTP: every rule of SPEC §1 the
// collector enforces, its faults, its controls and its persistence.
// Run: node demo/collector.selftest.mjs   (exits non-zero on the first failure)

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCollector } from './collector.mjs';

const ORIGIN = 'http://storefront.test';
const checks = [];
const check = (name, fn) => checks.push({ name, fn });

let srv; // the collector under test, fresh state per check (reset)

function post(body, { key = 'demo-key', type = 'application/json', raw = false, signal } = {}) {
  const headers = { origin: ORIGIN, 'content-type': type };
  if (key !== null) headers['x-growlytics-key'] = key;
  return fetch(srv.endpoint, { method: 'POST', headers, body: raw ? body : JSON.stringify(body), signal });
}
async function expect422(body, fields, opts) {
  const res = await post(body, opts);
  assert.equal(res.status, 422, `expected 422 for ${JSON.stringify(body)}`);
  const json = await res.json();
  assert.equal(json.success, false);
  assert.deepEqual(json.errors.map((e) => e.field).sort(), [...fields].sort(), JSON.stringify(json.errors));
  for (const e of json.errors) assert.ok(e.message, 'every error has a message');
  return json;
}
const many = (n, prefix = 'a') => Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, i]));

check('preflight answers 204 with the CORS contract', async () => {
  const res = await fetch(srv.endpoint, { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-growlytics-key' } });
  assert.equal(res.status, 204);
  assert.equal(res.headers.get('access-control-allow-origin'), ORIGIN);
  assert.equal(res.headers.get('access-control-allow-methods'), 'POST, OPTIONS');
  assert.equal(res.headers.get('access-control-allow-headers'), 'content-type, x-growlytics-key');
  assert.equal(res.headers.get('access-control-max-age'), '7200');
  assert.equal(res.headers.get('access-control-expose-headers'), 'Retry-After');
  assert.equal(srv.collector.preflights, 1);
});

check('an opaque origin (a sandboxed iframe, the custom pixel): preflight and POST allowed for Origin: null', async () => {
  const headers = { origin: 'null', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-growlytics-key' };
  const pre = await fetch(srv.endpoint, { method: 'OPTIONS', headers });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get('access-control-allow-origin'), 'null');
  const res = await fetch(srv.endpoint, { method: 'POST', headers: { origin: 'null', 'content-type': 'application/json', 'x-growlytics-key': 'demo-key' }, body: JSON.stringify({ id: 'a@example.com' }) });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('access-control-allow-origin'), 'null');
});

check('wrong or missing key: 401 with CORS headers, nothing stored', async () => {
  for (const key of ['nope', null]) {
    const res = await post({ id: 'a', attributes: {} }, { key });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('access-control-allow-origin'), ORIGIN);
    assert.deepEqual(await res.json(), { success: false, error: 'invalid API key' });
  }
  assert.equal(srv.collector.profiles.size, 0);
  assert.equal(srv.collector.requests.length, 2);
  assert.deepEqual(srv.collector.requests.map((r) => r.status), [401, 401]);
});

check('upsert merges attributes and counts updates; attributes optional', async () => {
  let res = await post({ id: 'cust-1', attributes: { plan: 'pro', orders: 3 } });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { success: true });
  res = await post({ id: 'cust-1', attributes: { plan: 'max', vip: true, signup: '2024-05-01T10:00:00.000Z' } });
  assert.equal(res.status, 200);
  assert.equal((await post({ id: 'cust-2' })).status, 200);
  const c = srv.collector;
  assert.deepEqual(c.profiles.get('cust-1'), { attributes: { plan: 'max', orders: 3, vip: true, signup: '2024-05-01T10:00:00.000Z' }, updates: 2 });
  assert.deepEqual(c.profiles.get('cust-2'), { attributes: {}, updates: 1 });
  assert.deepEqual({ ...c.types }, { plan: 'string', orders: 'number', vip: 'boolean', signup: 'date' });
  const r = c.requests[0];
  assert.equal(r.n, 1);
  assert.equal(r.path, '/track/user');
  assert.equal(r.headers['x-growlytics-key'], 'demo-key');
  assert.equal(r.id, 'cust-1');
  assert.deepEqual(r.json, { id: 'cust-1', attributes: { plan: 'pro', orders: 3 } });
  assert.equal(r.status, 200);
  assert.equal(r.faulted, false);
  assert.ok(Math.abs(r.at - Date.now()) < 5000);
});

check('body shape: unknown fields, id rules, attributes must be an object', async () => {
  await expect422({ id: 'a', attributes: {}, extra: 1, more: 2 }, ['extra', 'more']);
  await expect422({ attributes: {} }, ['id']);
  await expect422({ id: '' }, ['id']);
  await expect422({ id: '   ' }, ['id']);
  await expect422({ id: 42 }, ['id']);
  await expect422({ id: 'x'.repeat(41) }, ['id']);
  assert.equal((await post({ id: 'x'.repeat(40) })).status, 200);
  await expect422({ id: 'a', attributes: null }, ['attributes']);
  await expect422({ id: 'a', attributes: [1] }, ['attributes']);
  await expect422({ id: 'a', attributes: 'plan' }, ['attributes']);
  await expect422([1, 2], ['body']);
  await expect422('{not json', ['body'], { raw: true });
  await expect422({ id: 'a' }, ['content-type'], { type: 'text/plain' });
  assert.equal((await post({ id: 'b' }, { type: 'application/json; charset=utf-8' })).status, 200);
  assert.deepEqual([...srv.collector.profiles.keys()], ['x'.repeat(40), 'b']);
});

check('attribute names: non-empty, at most 49 characters, case-sensitive', async () => {
  await expect422({ id: 'a', attributes: { '': 1 } }, ['attributes.']);
  const n50 = 'n'.repeat(50);
  await expect422({ id: 'a', attributes: { [n50]: 1, ok: 1 } }, [`attributes.${n50}`]);
  assert.equal(srv.collector.profiles.size, 0, 'a 422 stores nothing');
  assert.equal((await post({ id: 'a', attributes: { ['n'.repeat(49)]: 1, Plan: 'x', plan: 'y' } })).status, 200);
  assert.deepEqual(Object.keys(srv.collector.profiles.get('a').attributes), ['n'.repeat(49), 'Plan', 'plan']);
});

check('values: string, finite number, boolean, ISO date; nothing else; all problems listed', async () => {
  // Raw text: 1e999 (parsed as Infinity) cannot come out of JSON.stringify, but a broken client can send it.
  const raw = '{"id":"a","attributes":{"n":null,"o":{"x":1},"arr":[1],"big":1e999,"ok":"fine"}}';
  await expect422(raw, ['attributes.n', 'attributes.o', 'attributes.arr', 'attributes.big'], { raw: true });
  await expect422({ id: 'a', attributes: { email: null } }, ['attributes.email']);
  assert.equal(srv.collector.profiles.size, 0);
  assert.deepEqual({ ...srv.collector.types }, {}, 'a 422 locks no type');
});

check('at most 50 custom attributes per profile; reserved names do not count', async () => {
  assert.equal((await post({ id: 'p', attributes: { ...many(50), name: 'Ada', email: 'a@x.io', mobile: '+1' } })).status, 200);
  assert.equal((await post({ id: 'p', attributes: { a0: 7, name: 'Ada L' } })).status, 200, 'updating held names is fine');
  await expect422({ id: 'p', attributes: { a0: 8, extra: 1 } }, ['attributes']);
  assert.equal(srv.collector.profiles.get('p').attributes.a0, 7, 'a 422 stores nothing, not even the valid part');
  await expect422({ id: 'q', attributes: many(51) }, ['attributes']);
  assert.equal(srv.collector.profiles.has('q'), false);
});

check('type lock: first type wins store-wide; other types ignored, rest applied', async () => {
  assert.equal((await post({ id: 'a', attributes: { plan: 'pro', when: '2024-01-02T03:04:05Z' } })).status, 200);
  const res = await post({ id: 'b', attributes: { plan: 5, when: 'soon', ok: true } });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { success: true });
  assert.deepEqual(srv.collector.profiles.get('b').attributes, { ok: true });
  assert.deepEqual(srv.collector.ignored, [
    { id: 'b', name: 'plan', value: 5, locked: 'string', got: 'number' },
    { id: 'b', name: 'when', value: 'soon', locked: 'date', got: 'string' },
  ]);
  // Ignored names are not stored, so they do not count toward the 50.
  assert.equal((await post({ id: 'c', attributes: { ...many(50, 'z'), plan: 1 } })).status, 200);
});

check('prototype keys are data, not behaviour', async () => {
  const raw = '{"id":"__proto__","attributes":{"__proto__":"x","constructor":"y"}}';
  assert.equal((await post(raw, { raw: true })).status, 200);
  const p = srv.collector.profiles.get('__proto__');
  assert.equal(Object.getPrototypeOf(p.attributes), Object.prototype);
  assert.equal(Object.hasOwn(p.attributes, '__proto__'), true);
  assert.equal(({}).x, undefined);
  assert.equal(srv.collector.state().profiles.__proto__.attributes.constructor, 'y');
});

check('fault status + Retry-After for `times` requests, before the key check', async () => {
  srv.collector.setFaults({ status: 503, retryAfter: 2, times: 2 });
  let res = await post({ id: 'a' }, { key: 'wrong' });
  assert.equal(res.status, 503);
  assert.equal(res.headers.get('retry-after'), '2');
  assert.equal(res.headers.get('access-control-expose-headers'), 'Retry-After');
  res = await post({ id: 'a' });
  assert.equal(res.status, 503);
  res = await post({ id: 'a' });
  assert.equal(res.status, 200);
  assert.deepEqual(srv.collector.requests.map((r) => [r.status, r.faulted]), [[503, true], [503, true], [200, false]]);
  assert.equal(srv.collector.faults.times, 0);
  srv.collector.setFaults({ status: 429, retryAfter: 1 });
  for (let i = 0; i < 3; i++) assert.equal((await post({ id: 'a' })).status, 429, 'no times: until cleared');
  srv.collector.setFaults({});
  assert.equal((await post({ id: 'a' })).status, 200);
});

check('fault drop: the socket closes without an answer', async () => {
  srv.collector.setFaults({ drop: true, times: 1 });
  await assert.rejects(post({ id: 'a' }), TypeError);
  assert.equal((await post({ id: 'a' })).status, 200);
  assert.deepEqual(srv.collector.requests.map((r) => [r.status, r.faulted]), [[0, true], [200, false]]);
  assert.equal(srv.collector.profiles.get('a').updates, 1);
});

check('fault hang: recorded, unanswered until reset', async () => {
  srv.collector.setFaults({ hang: true });
  const pending = post({ id: 'h', attributes: { x: 1 } });
  await srv.collector.waitFor((c) => c.requests.length === 1, 2000);
  assert.equal(srv.collector.requests[0].status, null);
  assert.equal(srv.collector.requests[0].faulted, true);
  const outcome = await Promise.race([pending.then(() => 'answered', () => 'failed'), new Promise((r) => setTimeout(r, 200, 'hanging'))]);
  assert.equal(outcome, 'hanging');
  srv.collector.reset();
  await assert.rejects(pending, TypeError);
  assert.equal(srv.collector.requests.length, 0);
  assert.deepEqual(srv.collector.faults, {});
});

check('fault delayMs delays every answer; rejectIds keeps rejecting', async () => {
  srv.collector.setFaults({ delayMs: 150, rejectIds: ['bad'] });
  const t0 = Date.now();
  const res = await post({ id: 'bad', attributes: { a: 1 } });
  assert.ok(Date.now() - t0 >= 140, 'delayed');
  assert.equal(res.status, 422);
  const json = await res.json();
  assert.equal(json.errors[0].field, 'id');
  assert.equal((await post({ id: 'bad' })).status, 422, 'still rejected');
  assert.equal((await post({ id: 'good' })).status, 200);
  assert.deepEqual(srv.collector.requests.map((r) => [r.status, r.faulted]), [[422, true], [422, true], [200, false]]);
  assert.equal(srv.collector.profiles.has('bad'), false);
});

check('setFaults rejects unknown or contradictory faults', async () => {
  assert.throws(() => srv.collector.setFaults({ stauts: 503 }), /unknown fault/);
  assert.throws(() => srv.collector.setFaults({ drop: true, hang: true }), /exclude/);
  assert.throws(() => srv.collector.setFaults({ times: 2 }), /times/);
  const res = await fetch(`${srv.origin}/__/faults`, { method: 'POST', body: '{"bogus":1}' });
  assert.equal(res.status, 400);
});

check('HTTP controls: state, faults, reset, events, dashboard', async () => {
  const ac = new AbortController();
  const events = await fetch(`${srv.origin}/__/events`, { signal: ac.signal });
  assert.equal(events.headers.get('content-type'), 'text/event-stream');
  const reader = events.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const nextEvent = async () => {
    for (;;) {
      const i = text.indexOf('\n\n');
      if (i >= 0) { const ev = text.slice(0, i); text = text.slice(i + 2); return JSON.parse(ev.replace(/^data: /, '')); }
      const { value, done } = await reader.read();
      if (done) throw new Error('event stream ended');
      text += decoder.decode(value, { stream: true });
    }
  };
  assert.deepEqual((await nextEvent()).profiles, {}, 'first event is the snapshot');
  let res = await fetch(`${srv.origin}/__/faults`, { method: 'POST', headers: { origin: ORIGIN }, body: JSON.stringify({ status: 500, times: 1 }) });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('access-control-allow-origin'), ORIGIN);
  assert.deepEqual(srv.collector.faults, { status: 500, times: 1 });
  assert.equal((await post({ id: 'e' })).status, 500);
  assert.equal((await post({ id: 'e', attributes: { k: 'v' } })).status, 200);
  let ev;
  do ev = await nextEvent(); while (!ev.profiles.e);
  assert.deepEqual(ev.profiles.e, { attributes: { k: 'v' }, updates: 1 });
  const state = await (await fetch(`${srv.origin}/__/state`)).json();
  assert.equal(state.requests.length, 2);
  assert.equal((await (await fetch(`${srv.origin}/__/state?recent=1`)).json()).requests.length, 1);
  res = await fetch(`${srv.origin}/__/reset`, { method: 'POST' });
  assert.equal(res.status, 200);
  assert.equal(srv.collector.profiles.size, 0);
  ac.abort();
  const page = await fetch(`${srv.origin}/`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /EventSource\('\/__\/events/);
  assert.equal((await fetch(`${srv.origin}/nope`)).status, 404);
  assert.equal((await fetch(srv.endpoint)).status, 405);
});

check('waitFor resolves on change and times out with a clear message', async () => {
  const waiting = srv.collector.waitFor((c) => c.profiles.get('w').updates === 1, 2000);
  await post({ id: 'w' });
  const s = await waiting;
  assert.equal(s.profiles.w.updates, 1);
  const t0 = Date.now();
  await assert.rejects(srv.collector.waitFor((c) => c.profiles.has('never'), 100), /timed out after 100 ms/);
  assert.ok(Date.now() - t0 < 1000);
  let calls = 0;
  const off = srv.collector.onChange(() => calls++);
  await post({ id: 'w' });
  off();
  await post({ id: 'w' });
  assert.ok(calls >= 1);
  const before = calls;
  await post({ id: 'w' });
  assert.equal(calls, before, 'unsubscribed');
});

check('file: profiles and types survive a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'collector-'));
  const file = join(dir, 'data', 'profiles.json');
  try {
    let s = await startCollector({ file, key: 'k' });
    const res = await fetch(s.endpoint, { method: 'POST', headers: { 'content-type': 'application/json', 'x-growlytics-key': 'k' }, body: JSON.stringify({ id: 'f', attributes: { plan: 'pro' } }) });
    assert.equal(res.status, 200);
    await s.close(); // close flushes the debounced save
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).profiles.f.attributes.plan, 'pro');
    s = await startCollector({ file, key: 'k' });
    assert.deepEqual(s.collector.profiles.get('f'), { attributes: { plan: 'pro' }, updates: 1 });
    assert.equal(s.collector.types.plan, 'string');
    await s.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

check('close() ends open SSE streams and hanging requests promptly', async () => {
  const s = await startCollector();
  s.collector.setFaults({ hang: true });
  const events = await fetch(`${s.origin}/__/events`);
  const hanging = fetch(s.endpoint, { method: 'POST', headers: { 'content-type': 'application/json', 'x-growlytics-key': 'demo-key' }, body: '{"id":"x"}' }).catch(() => 'failed');
  await s.collector.waitFor((c) => c.requests.length === 1, 2000);
  const t0 = Date.now();
  await s.close();
  assert.ok(Date.now() - t0 < 1000, 'close is prompt');
  assert.equal(await hanging, 'failed');
  await events.body.cancel().catch(() => {});
});

// --- runner ---------------------------------------------------------------
srv = await startCollector();
let failed = 0;
for (const { name, fn } of checks) {
  srv.collector.reset();
  const t0 = Date.now();
  try {
    await Promise.race([fn(), new Promise((_, reject) => setTimeout(() => reject(new Error('check timed out after 10 s')), 10000).unref())]);
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}\n     ${e.stack.split('\n').slice(0, 6).join('\n     ')}`);
  }
}
await srv.close();
console.log(failed ? `\n${failed} of ${checks.length} checks failed` : `\nall ${checks.length} checks passed`);
process.exitCode = failed ? 1 : 0;
