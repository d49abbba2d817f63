// The whole demo in one call: the collector, the relay and the storefront on
// three local origins, wired as `npm run demo` runs them (demo/serve.mjs) and
// as demo/screenshots.mjs photographs them. The storefront sends through its
// App Proxy stand-in (/apps/growlytics/*, signed) to the relay, which adds the
// key and posts to the collector; the checkout pixels post to the relay's URL
// with ?shop= and no key (SPEC §6).

import { startCollector } from './collector.mjs';
import { startStorefront } from './storefront.mjs';
import { checkoutPages } from './checkout.mjs';
import { appProxy } from './app-proxy.mjs';
import { DEMO_APP_SECRET, DEMO_SHOP, startRelay } from './relay.mjs';

/**
 * Starts the three servers (port 0: any free port). `file`: where the
 * collector keeps its profiles between runs (none: in memory).
 * @returns {Promise<{ collector, relay, storefront, close: () => Promise<void> }>}
 *   each server as its start function returns it; on a failure, those
 *   already started are closed and the error is thrown.
 */
export async function startDemo({ host = '127.0.0.1', ports = {}, file } = {}) {
  let collector, relay, storefront;
  try {
    collector = await startCollector({ host, port: ports.collector ?? 0, file });
    relay = await startRelay({
      host,
      port: ports.relay ?? 0,
      upstream: collector.endpoint,
      onAnswer: (entry) => collector.collector.noteRelay(entry),
    });
    const pixelEndpoint = `${relay.origin}/track/user?shop=${DEMO_SHOP}`;
    storefront = await startStorefront({
      host,
      port: ports.storefront ?? 0,
      endpoint: collector.endpoint,
      proxy: appProxy({ relay: relay.origin, secret: DEMO_APP_SECRET, shop: DEMO_SHOP }),
      pages: checkoutPages({ key: '', endpoint: pixelEndpoint, dashboard: `${collector.origin}/` }),
    });
  } catch (e) {
    await Promise.allSettled([relay?.close(), collector?.close()]);
    throw e;
  }
  const close = () => Promise.allSettled([storefront.close(), relay.close(), collector.close()]).then(() => {});
  return { collector, relay, storefront, close };
}
