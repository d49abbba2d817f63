// An env whose storefront runs the demo's App Proxy stand-in
// (demo/app-proxy.mjs) at /apps/growlytics/* in front of the demo relay
// (demo/relay.mjs, the built Worker module), which posts to the env's
// collector: what a store with the Growlytics app looks like (SPEC §6).
import { onTestFinished } from 'vitest';
import { appProxy } from '../../demo/app-proxy.mjs';
import { DEMO_APP_SECRET, DEMO_SHOP, startRelay } from '../../demo/relay.mjs';
import type { CollectedRequest, Env, PageSource, useHarness } from './harness';

/** The route the demo relay tags on what it posts (`?via=`); a browser's own request has none. */
export const via = (r: CollectedRequest) => new URLSearchParams(r.path.split('?')[1] ?? '').get('via');

export type Relayed = {
  env: Env;
  /** the headers of each request the browser made under the proxy path, as the storefront received them. */
  seen: Record<string, string | string[] | undefined>[];
};

/**
 * Sets up an env (`h.setup()`), starts a relay for its collector (closed
 * when the test ends), and serves `pages` (given the relay's origin, for a
 * pixel's endpoint) on a storefront with the stand-in; the demo's own pages
 * then render the snippet with `proxy:`.
 */
export async function relayed(
  h: ReturnType<typeof useHarness>,
  pages: (env: Env, relayOrigin: string) => Record<string, PageSource> = () => ({}),
): Promise<Relayed> {
  const env = await h.setup();
  const relay = await startRelay({ upstream: env.endpoint, onAnswer: (entry: any) => env.collector.noteRelay(entry) });
  onTestFinished(() => relay.close());
  const proxy = appProxy({ relay: relay.origin, secret: DEMO_APP_SECRET, shop: DEMO_SHOP });
  const seen: Relayed['seen'] = [];
  const handle = (req: any, ...rest: unknown[]) => {
    seen.push({ ...req.headers });
    return (proxy.handle as any)(req, ...rest);
  };
  await env.serve(pages(env, relay.origin), { proxy: { prefix: proxy.prefix, handle } });
  return { env, seen };
}
