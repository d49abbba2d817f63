// `npm run demo`: the collector and the demo storefront on two local origins.
// Env: COLLECTOR_PORT (default 8787), PORT (storefront, default 8080).

import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCollector } from './collector.mjs';
import { startStorefront } from './storefront.mjs';
import { checkoutPages } from './checkout.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..');
const BUNDLE = join(REPO, 'dist', 'growlytics.min.js');
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

if (!existsSync(BUNDLE)) {
  console.error(`Missing ${relative(process.cwd(), BUNDLE) || BUNDLE}: build the library first with \`npm run build\` (\`npm run demo\` does it for you).`);
  process.exit(1);
}

let collector, storefront;
try {
  collector = await startCollector({ host: HOST, port: port('COLLECTOR_PORT', 8787), file: DATA });
  storefront = await startStorefront({ host: HOST, port: port('PORT', 8080), endpoint: collector.endpoint, pages: checkoutPages({ endpoint: collector.endpoint }) });
} catch (e) {
  console.error(`Could not start the demo: ${e.message}${e.code === 'EADDRINUSE' ? ' (set PORT / COLLECTOR_PORT to free ports)' : ''}`);
  await collector?.close();
  process.exit(1);
}

console.log(`
Growlytics demo

  Storefront  ${storefront.origin}/
  Dashboard   ${collector.origin}/      (the collector: ${collector.endpoint})

  1. Open the storefront, log in as a demo customer (or fill in the form) and identify.
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
  await Promise.allSettled([storefront.close(), collector.close()]);
  process.exit(0);
}
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
