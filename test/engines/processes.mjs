// Child processes the WebKit adapter starts itself (Xvfb, WebKitWebDriver,
// and through it MiniBrowser), and the bounded waits around them.
//
// Each one is spawned `detached`, so it leads its own process group and one
// kill(-pid) also ends what it started (MiniBrowser, WebKit's web and network
// processes). Every group still alive when this Node process exits is killed
// from an 'exit' hook, so a failed or interrupted test run leaves no X
// server or browser behind. A process killed outright (SIGKILL: a test
// runner's teardown timeout) runs no hook: for that, a watchdog shell waits
// for this process to die and kills the groups listed in a file.
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const live = new Set();
/** Process groups started by others (a driver library) that we also kill on exit. */
const watched = new Set();
let hooked = false;
const GROUPS_FILE = join(tmpdir(), `gtl-engine-groups-${process.pid}`);

function listGroups() {
  try {
    writeFileSync(GROUPS_FILE, [...[...live].map((c) => c.pid), ...watched].join('\n'));
  } catch {
    // no watchdog list: the exit hook still works
  }
}

function startWatchdog() {
  const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done
for g in $(cat '${GROUPS_FILE}' 2>/dev/null); do kill -9 -$g 2>/dev/null; done
rm -f '${GROUPS_FILE}'`;
  spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' }).unref();
}

function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

function hookExit() {
  if (hooked) return;
  hooked = true;
  startWatchdog();
  // 'exit' handlers must be synchronous: a kill is.
  process.on('exit', () => {
    for (const child of live) killGroup(child, 'SIGKILL');
    for (const pid of watched) killGroup({ pid }, 'SIGKILL');
    rmSync(GROUPS_FILE, { force: true });
  });
  // A signal's default action skips 'exit': clean up, then die of the same signal.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(signal, () => {
      for (const child of live) killGroup(child, 'SIGKILL');
      process.kill(process.pid, signal);
    });
  }
}

/**
 * Spawns a tracked child in its own process group. stderr/stdout are kept
 * (last 4 KB) for error messages; `extraFds` adds pipes after stdio (Xvfb's
 * -displayfd).
 */
export function spawnTracked(cmd, args, { env = process.env, extraFds = 0 } = {}) {
  hookExit();
  const stdio = ['ignore', 'pipe', 'pipe', ...Array.from({ length: extraFds }, () => 'pipe')];
  const child = spawn(cmd, args, { env, stdio, detached: true });
  let output = '';
  const keep = (d) => {
    output = (output + d).slice(-4096);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.output = () => output;
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  child.once('error', (e) => keep(`\nspawn error: ${e.message}`));
  live.add(child);
  listGroups();
  child.exited.then(() => {
    live.delete(child);
    listGroups();
  });
  // The test process must not wait on these to exit.
  child.unref();
  for (const s of child.stdio) s?.unref?.();
  return child;
}

/**
 * Kills the process group `pid` leads if this process dies first, even by
 * SIGKILL (the watchdog). For browsers a driver library spawned detached
 * (puppeteer does), which it kills itself only from hooks that may not run.
 * Returns the function that stops watching.
 */
export function watchGroup(pid) {
  if (!pid) return () => {};
  hookExit();
  watched.add(pid);
  listGroups();
  return () => {
    watched.delete(pid);
    listGroups();
  };
}

/** SIGTERM to the child's whole group, SIGKILL if it is still there after `graceMs`. */
export async function stopTracked(child, graceMs = 3_000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  killGroup(child, 'SIGTERM');
  const done = await within(child.exited, graceMs).then(() => true, () => false);
  if (!done) {
    killGroup(child, 'SIGKILL');
    await within(child.exited, graceMs).catch(() => {});
  }
  // The group may outlive its leader (a browser that ignored SIGTERM).
  killGroup(child, 'SIGKILL');
}

/** A port free on 127.0.0.1 right now (the caller binds it next; a lost race fails loudly). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Rejects after `ms` with a message naming `what`. */
export function within(promise, ms, what = 'operation') {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts an X server for a browser without a headless mode. Xvfb picks a
 * free display itself and writes its number to fd 3 (-displayfd), so two
 * runs never race for one display. Resolves with { display: ':N', child }.
 */
export async function startXvfb(bin = process.env.XVFB_PATH || '/usr/bin/Xvfb') {
  const child = spawnTracked(bin, ['-displayfd', '3', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp', '-noreset'], { extraFds: 1 });
  let text = '';
  const number = new Promise((resolve, reject) => {
    child.stdio[3].on('data', (d) => {
      text += d;
      if (text.includes('\n')) resolve(text.trim());
    });
    child.exited.then(({ code, signal }) => reject(new Error(`Xvfb exited (${code ?? signal}) before it was ready: ${child.output()}`)));
    child.once('error', reject);
  });
  try {
    const n = await within(number, 15_000, 'Xvfb to report its display number');
    return { display: `:${n}`, child };
  } catch (e) {
    await stopTracked(child);
    throw e;
  }
}

/** Polls `url` until it answers (any HTTP status), bounded. */
export async function waitForHttp(url, timeoutMs, child) {
  const deadline = Date.now() + timeoutMs;
  let last = null;
  while (Date.now() < deadline) {
    if (child && (child.exitCode !== null || child.signalCode !== null)) {
      throw new Error(`${url}: the server exited: ${child.output()}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      return;
    } catch (e) {
      last = e;
    }
    await sleep(50);
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms: ${last?.message ?? ''}`);
}
