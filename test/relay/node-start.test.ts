// The Node entry refuses to start on a missing or malformed variable and
// says which (SPEC §6); with a good configuration it serves (the HTTP
// suite, relay.test.ts, runs against it).
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { expect, it } from 'vitest';

const entry = resolve(import.meta.dirname, '../../dist/relay/node.mjs');
const good = {
  SHOPIFY_API_SECRET: 'secret-1',
  GROWLYTICS_KEYS: '{"shop-a.myshopify.com": "key-a"}',
  HOST: '127.0.0.1',
  PORT: '0',
};

/** Runs the entry with `env`; resolves its exit code and stderr, or 'running' once it says it listens (then stops it). */
const start = (env: Record<string, string | undefined>) =>
  new Promise<{ code: number | null | 'running'; stderr: string }>((done, fail) => {
    const child = spawn(process.execPath, [entry], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill();
      fail(new Error(`neither exited nor listened within 10 s: ${stderr}`));
    }, 10_000);
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.stdout.on('data', (chunk) => {
      if (!String(chunk).includes('listening on')) return;
      clearTimeout(timer);
      child.kill();
      done({ code: 'running', stderr });
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      done({ code, stderr });
    });
  });

it('starts with a good configuration', async () => {
  expect(await start(good)).toEqual({ code: 'running', stderr: '' });
});

it.each([
  ['SHOPIFY_API_SECRET missing', { SHOPIFY_API_SECRET: undefined }, /^growlytics-relay: SHOPIFY_API_SECRET: missing/],
  ['no key at all', { GROWLYTICS_KEYS: undefined }, /^growlytics-relay: GROWLYTICS_KEYS: missing/],
  ['GROWLYTICS_KEYS not JSON', { GROWLYTICS_KEYS: '{shop-a.myshopify.com: key}' }, /GROWLYTICS_KEYS: not valid JSON/],
  ['GROWLYTICS_KEYS an array', { GROWLYTICS_KEYS: '["key-a"]' }, /GROWLYTICS_KEYS: must be a JSON object/],
  ['GROWLYTICS_KEYS naming no shop', { GROWLYTICS_KEYS: '{}' }, /GROWLYTICS_KEYS: names no shop/],
  ['GROWLYTICS_KEYS with a shop that is not *.myshopify.com', { GROWLYTICS_KEYS: '{"shop.example.com": "k"}' }, /GROWLYTICS_KEYS: "shop.example.com" is not a \*\.myshopify\.com domain/],
  ['GROWLYTICS_KEYS with a key no header can carry', { GROWLYTICS_KEYS: '{"shop-a.myshopify.com": "key\u200b"}' }, /GROWLYTICS_KEYS: the key of shop-a.myshopify.com is not a usable key/],
  ['both GROWLYTICS_KEYS and GROWLYTICS_KEY', { GROWLYTICS_KEY: 'key-a' }, /GROWLYTICS_KEYS: set it or GROWLYTICS_KEY, not both/],
  ['GROWLYTICS_KEY with a space', { GROWLYTICS_KEYS: undefined, GROWLYTICS_KEY: 'key a' }, /GROWLYTICS_KEY: not a usable key/],
  ['GROWLYTICS_ENDPOINT not http(s)', { GROWLYTICS_ENDPOINT: 'ftp://dc.growlytics.in/track/user' }, /GROWLYTICS_ENDPOINT: not an http\(s\) URL/],
  ['PORT not a number', { PORT: 'eighty' }, /PORT: not a port number/],
  ['PORT out of range', { PORT: '70000' }, /PORT: not a port number/],
])('refuses to start: %s, naming the variable', async (_case, change, message) => {
  const { code, stderr } = await start({ ...good, ...change });
  expect(code).toBe(1);
  expect(stderr).toMatch(message);
});

it('a single-store relay (GROWLYTICS_KEY) starts', async () => {
  expect((await start({ ...good, GROWLYTICS_KEYS: undefined, GROWLYTICS_KEY: 'key-a' })).code).toBe('running');
});
