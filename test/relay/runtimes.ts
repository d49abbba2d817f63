// Starts the built relay (dist/relay/) in each runtime it ships for: the
// Node entry, and the Worker module in workerd (Cloudflare's open-source
// Workers runtime). Both bind 127.0.0.1 on a free port, print their log
// lines to stdout (kept in `logs`), and are stopped by `close()`.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export type Relay = { origin: string; logs: string[]; close: () => Promise<void> };
export type Vars = Record<string, string>;

const root = resolve(import.meta.dirname, '../..');
const READY_MS = 15_000;

/** Calls `onLine` with each line a child prints on stdout and stderr, and keeps the relay's log lines (stdout) in `logs`. */
const readLines = (child: ChildProcess, logs: string[], onLine: (line: string) => void) => {
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        if (stream == child.stdout && line.includes('growlytics-relay shop=')) logs.push(line);
        onLine(line);
      }
    });
  }
};

/** Resolves once `ready()` is true, checked on each event `subscribe` reports; rejects after READY_MS or if the child exits first. */
const until = (child: ChildProcess, what: string, output: string[], ready: () => boolean, subscribe: (check: () => void) => void) =>
  new Promise<void>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`${what} not ready after ${READY_MS} ms:\n${output.join('\n')}`)), READY_MS);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      fail(new Error(`${what} exited (${code}) before it was ready:\n${output.join('\n')}`));
    };
    child.once('exit', onExit);
    subscribe(() => {
      if (!ready()) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      done();
    });
  });

const stopper = (child: ChildProcess, cleanup = () => {}) => () =>
  new Promise<void>((done) => {
    if (child.exitCode != null || child.signalCode != null) return done(cleanup());
    child.once('exit', () => done(cleanup()));
    child.kill('SIGTERM');
  });

/** `node dist/relay/node.mjs` with exactly `vars` (and PORT 0) as its environment. */
export const startNode = async (vars: Vars): Promise<Relay> => {
  const logs: string[] = [];
  const child = spawn(process.execPath, [join(root, 'dist/relay/node.mjs')], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', ...vars },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  let origin = '';
  await until(child, 'node relay', output, () => !!origin, (check) =>
    readLines(child, logs, (line) => {
      output.push(line);
      origin ||= line.match(/listening on (http:\/\/[\d.:]+)/)?.[1] ?? '';
      check();
    }),
  );
  return { origin, logs, close: stopper(child) };
};

/** A capnp string literal. */
const text = (value: string) => JSON.stringify(value);

/**
 * `workerd serve` of dist/relay/worker.js, one socket per entry of
 * `workers` (each its own bindings), reaching the loopback collector
 * through a network service that allows local addresses. Resolves the
 * origins in the order given.
 */
export const startWorkerd = async (workers: Vars[]): Promise<{ origins: string[]; logs: string[]; close: () => Promise<void> }> => {
  const dir = mkdtempSync(join(tmpdir(), 'relay-workerd-'));
  copyFileSync(join(root, 'dist/relay/worker.js'), join(dir, 'worker.js'));
  const config = `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    ${workers.map((_, i) => `(name = "relay${i}", worker = .relay${i}),`).join('\n    ')}
    (name = "net", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [
    ${workers.map((_, i) => `(name = "http${i}", address = "127.0.0.1:0", http = (), service = "relay${i}")`).join(',\n    ')}
  ],
);
${workers
  .map(
    (vars, i) => `const relay${i} :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js")],
  compatibilityDate = "2026-11-01",
  globalOutbound = "net",
  bindings = [${Object.entries(vars).map(([name, value]) => `(name = ${text(name)}, text = ${text(value)})`).join(', ')}],
);`,
  )
  .join('\n')}
`;
  writeFileSync(join(dir, 'config.capnp'), config);
  const logs: string[] = [];
  // --control-fd: workerd writes each socket's name and port there as JSON
  // lines ({"event":"listen","socket":"http0","port":...}).
  const child = spawn(join(root, 'node_modules/.bin/workerd'), ['serve', join(dir, 'config.capnp'), '--control-fd=3'], {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  const origins: string[] = [];
  const output: string[] = [];
  readLines(child, logs, (line) => output.push(line));
  await until(child, 'workerd', output, () => origins.filter(Boolean).length == workers.length, (check) =>
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        const event = line.trim() ? JSON.parse(line) : null;
        if (event?.event == 'listen') origins[Number(event.socket.slice(4))] = `http://127.0.0.1:${event.port}`;
      }
      check();
    }),
  );
  return { origins, logs, close: stopper(child, () => rmSync(dir, { recursive: true, force: true })) };
};
