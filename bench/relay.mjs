// `npm run bench:relay`: what the relay costs (issue 16 item 7), on loopback.
//
// 1. Latency added per request: autocannon with one connection posts the
//    same profile to the demo collector directly, then through the relay
//    (its Node entry, a signed App Proxy request: the HMAC check included),
//    in the same run. autocannon's histogram keeps whole milliseconds, so
//    p50 and p99 are computed from the exact per-response times its
//    'response' events report. Added = relay - direct.
// 2. Throughput of one Node relay process: autocannon with many
//    connections for a while; requests/s by the wall clock, and requests
//    per second of the relay process's own CPU time (user + system, from
//    /proc), which is what one core would serve while other processes
//    share the machine.
// Aims (issue 16): < 1 ms added at p50, > 5,000 req/s on one core.
// Timing on a shared machine is an indication: the load average is printed
// with the figures. Knobs: BENCH_LATENCY_S (default 5), BENCH_THROUGHPUT_S
// (default 10), BENCH_CONNECTIONS (default 32).
import autocannon from 'autocannon';
import { spawn, execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

const LATENCY_S = Number(process.env.BENCH_LATENCY_S ?? 5);
const THROUGHPUT_S = Number(process.env.BENCH_THROUGHPUT_S ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const KEY = 'bench-key';
const SECRET = 'bench-secret';
const SHOP = 'bench.myshopify.com';
const BODY = JSON.stringify({ id: 'bench@example.com', attributes: { plan: 'pro', visits: 3, vip: true } });

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** Starts `node args...` and resolves the first http origin it prints with `pattern`, and the child. */
const startProcess = (args, env, pattern, what) =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    const timer = setTimeout(() => reject(new Error(`${what} did not start within 10 s`)), 10_000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text) => {
      const origin = text.match(pattern)?.[1];
      if (origin) {
        clearTimeout(timer);
        resolve({ origin, child });
      }
    });
    child.on('exit', (code) => reject(new Error(`${what} exited (${code})`)));
  });

// The collector runs in a process of its own, as the relay does: the load
// generator (this process) then slows neither path more than the other.
const COLLECTOR = `import { startCollector } from './demo/collector.mjs';
const { endpoint } = await startCollector({ key: ${JSON.stringify(KEY)}, keepAlive: true });
console.log('collector ' + endpoint);`;
const startCollectorProcess = () => startProcess(['--input-type=module', '-e', COLLECTOR], {}, /collector (http:\/\/\S+)/, 'collector');

/** The relay's Node entry; its log lines go to a pipe this process drains, as a process manager's would. */
const startRelay = (endpoint, args) =>
  startProcess(
    [...args, 'dist/relay/node.mjs'],
    { SHOPIFY_API_SECRET: SECRET, GROWLYTICS_KEYS: JSON.stringify({ [SHOP]: KEY }), GROWLYTICS_ENDPOINT: endpoint, HOST: '127.0.0.1', PORT: '0' },
    /listening on (http:\/\/[\d.:]+)/,
    'relay',
  );

/** The collector's control endpoints (demo/collector.mjs). */
const resetCollector = (endpoint) => fetch(new URL('/__/reset', endpoint), { method: 'POST' }).then((r) => r.text());
const delivered = async (endpoint) => {
  const state = await (await fetch(new URL('/__/state?recent=100000000', endpoint))).json();
  return state.requests.filter((r) => r.status === 200).length;
};

/** A signed App Proxy query, as Shopify forwards it (valid for 90 s: the whole run). */
const signedQuery = () => {
  const query = new URLSearchParams({ shop: SHOP, logged_in_customer_id: '', path_prefix: '/apps/growlytics', timestamp: String(Math.floor(Date.now() / 1000)) });
  const message = [...query].map(([name, value]) => `${name}=${value}`).sort().join('');
  query.set('signature', createHmac('sha256', SECRET).update(message).digest('hex'));
  return query;
};

/** One autocannon run; resolves its result and the exact response times (ms). */
const run = (url, headers, seconds, connections) =>
  new Promise((resolve, reject) => {
    const times = [];
    const instance = autocannon({ url, method: 'POST', headers, body: BODY, duration: seconds, connections }, (error, result) =>
      error ? reject(error) : resolve({ result, times }),
    );
    instance.on('response', (_client, _status, _bytes, ms) => times.push(ms));
  });

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const summary = ({ result, times }) => {
  const sorted = times.sort((a, b) => a - b);
  const mean = sorted.reduce((sum, ms) => sum + ms, 0) / (sorted.length || 1);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), mean, requests: result.requests.total, non2xx: result.non2xx, errors: result.errors + result.timeouts };
};

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat. */
const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
const cpuSeconds = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond; // utime, stime
};

const collector = await startCollectorProcess();
const endpoint = collector.origin; // the collector prints its /track/user URL
const relay = await startRelay(endpoint, process.env.BENCH_RELAY_ARGS?.split(' ').filter(Boolean) ?? []);
const stop = async ({ child }) => {
  child.removeAllListeners('exit');
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGTERM');
  await exited;
};
try {
  console.log(`load average before: ${loadavg()} (${cpus().length} cores)`);
  const direct = { 'content-type': 'application/json', 'x-growlytics-key': KEY };
  const through = `${relay.origin}/track/user?${signedQuery()}`;
  const proxied = { 'content-type': 'application/json' };

  // Warm both paths (JIT, connection pools), then measure.
  await run(endpoint, direct, 1, 1);
  await run(through, proxied, 1, 1);
  await resetCollector(endpoint);
  const a = summary(await run(endpoint, direct, LATENCY_S, 1));
  await resetCollector(endpoint);
  const b = summary(await run(through, proxied, LATENCY_S, 1));
  await resetCollector(endpoint);

  const cpuBefore = cpuSeconds(relay.child.pid);
  const t = summary(await run(through, proxied, THROUGHPUT_S, CONNECTIONS));
  const cpu = cpuSeconds(relay.child.pid) - cpuBefore;
  const arrived = await delivered(endpoint);

  // A figure over failed requests would measure the failure: stop instead.
  const failed = [a, b, t].find((x) => x.non2xx || x.errors);
  if (failed) throw new Error(`requests failed (${failed.non2xx} non-2xx, ${failed.errors} errors): no figures`);

  const f = (ms) => `${ms.toFixed(3)} ms`;
  console.log(`\nlatency, one connection, ${LATENCY_S} s each (p50 / p99):`);
  console.log(`  direct to the collector  ${f(a.p50)} / ${f(a.p99)}   (mean ${f(a.mean)}; ${a.requests} requests, ${a.non2xx} non-2xx, ${a.errors} errors)`);
  console.log(`  through the relay        ${f(b.p50)} / ${f(b.p99)}   (mean ${f(b.mean)}; ${b.requests} requests, ${b.non2xx} non-2xx, ${b.errors} errors)`);
  console.log(`  added by the relay       ${f(b.p50 - a.p50)} / ${f(b.p99 - a.p99)}   (aim: < 1 ms at p50)`);
  console.log(`\nthroughput, ${CONNECTIONS} connections, ${THROUGHPUT_S} s, one relay process:`);
  console.log(`  ${Math.round(t.requests / THROUGHPUT_S)} req/s by the wall clock (${t.requests} requests, ${t.non2xx} non-2xx, ${t.errors} errors; ${arrived} delivered 200 at the collector)`);
  console.log(`  ${Math.round(t.requests / cpu)} req per CPU-second of the relay process (${cpu.toFixed(2)} s CPU)   (aim: > 5,000 req/s on one core)`);
  console.log(`  latency under load p50 / p99: ${f(t.p50)} / ${f(t.p99)}`);
  console.log(`\nload average after: ${loadavg()}  (a busy machine: rerun quietly for figures to publish)`);
} finally {
  await stop(relay);
  await stop(collector);
}
