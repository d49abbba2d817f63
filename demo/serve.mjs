// `npm run demo`: the collector, the relay and the demo storefront on three
// local origins. The storefront sends through its App Proxy stand-in
// (/apps/growlytics/*, signed) to the relay, which adds the key and posts to
// the collector; the checkout pixels post to the relay's URL with ?shop=.
// Env: COLLECTOR_PORT (default 8787), RELAY_PORT (default 8788), PORT
// (storefront, default 8080).

import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDemo } from './start.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..');
const BUNDLE = join(REPO, 'dist', 'growlytics.min.js');
const RELAY = join(REPO, 'dist', 'relay', 'worker.js');
const DATA = join(HERE, 'data', 'profiles.json');
const HOST = '127.0.0.1';

function port(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    console.error(`${name}=${raw} is not a port number`);
    process.exit(2);
  }
  return n;
}

for (const file of [BUNDLE, RELAY]) {
  if (!existsSync(file)) {
    console.error(`Missing ${relative(process.cwd(), file) || file}: build the library first with \`npm run build\` (\`npm run demo\` does it for you).`);
    process.exit(1);
  }
}

let collector, relay, storefront, close;
try {
  ({ collector, relay, storefront, close } = await startDemo({
    host: HOST,
    ports: { collector: port('COLLECTOR_PORT', 8787), relay: port('RELAY_PORT', 8788), storefront: port('PORT', 8080) },
    file: DATA,
  }));
} catch (e) {
  console.error(`Could not start the demo: ${e.message}${e.code === 'EADDRINUSE' ? ' (set PORT / RELAY_PORT / COLLECTOR_PORT to free ports)' : ''}`);
  process.exit(1);
}

console.log(`
Growlytics demo

  Storefront  ${storefront.origin}/
  Relay       ${relay.origin}/track/user  (behind the storefront's App Proxy stand-in at /apps/growlytics)
  Dashboard   ${collector.origin}/      (the collector: ${collector.endpoint})

  1. Open the storefront, log in as a demo customer (or fill in the form) and identify.
     The page holds no key: it posts to /apps/growlytics/track/user on its own origin,
     the App Proxy stand-in signs it for the logged-in customer, the relay adds the key.
     "Forge customer #…" sends another customer's id: the relay refuses it, the
     page reports it, and the dashboard lists the refusal.
  2. Watch the profile arrive on the dashboard; switch it to 503 / 429 / drop / hang
     to see the snippet queue, retry and deliver once it is back.
  3. Check out as a guest (Check out on the product page): the checkout pixels
     identify you by email. Set the dashboard to "network drop" before paying:
     the order's profile stays in the browser; Continue shopping, set the
     dashboard back to normal, and the theme snippet delivers it.
  Profiles are saved to ${relative(process.cwd(), DATA)}. Ctrl-C stops.
`);

let stopping = false;
async function stop(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping…`);
  // Bounded: if a socket refuses to close, leave anyway (profiles are saved first by close()).
  setTimeout(() => process.exit(0), 2000).unref();
  await close();
  process.exit(0);
}
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
