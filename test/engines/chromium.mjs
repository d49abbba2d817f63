// Chromium through playwright-core (Debian's binary, see ../chromium.mjs).
// The only engine with network emulation (CDP): `setOffline` on contexts and
// pages is Chromium-only, and the harness says so when another engine is asked.
import { launchChromium } from '../chromium.mjs';
import { within } from './processes.mjs';

const NAV_TIMEOUT = 30_000;

/** @returns {Promise<import('./index.mjs').EngineBrowser>} */
export async function launch() {
  const browser = await launchChromium();
  return {
    engine: 'chromium',
    version: browser.version(),
    native: browser,
    alive: () => browser.isConnected(),
    async newContext() {
      const ctx = await browser.newContext();
      return {
        native: ctx,
        async newPage() {
          return wrapPage(await ctx.newPage(), ctx);
        },
        // Path '/': a cookie given by `url` alone gets that URL's directory as its path.
        addCookies: (url, cookies) =>
          ctx.addCookies(cookies.map((c) => ({ name: c.name, value: c.value, domain: new URL(url).hostname, path: '/' }))),
        clearCookies: () => ctx.clearCookies(),
        /** Chromium-only: the whole context offline (navigator.onLine, every request fails). */
        setOffline: (offline) => ctx.setOffline(offline),
        close: () => ctx.close(),
      };
    },
    close: () => browser.close(),
  };
}

function wrapPage(page, ctx) {
  let cdp = null;
  return {
    native: page,
    async goto(url) {
      await page.goto(url, { waitUntil: 'load', timeout: NAV_TIMEOUT });
    },
    async reload() {
      await page.reload({ waitUntil: 'load', timeout: NAV_TIMEOUT });
    },
    evaluate: (expression) => page.evaluate(expression),
    async close() {
      if (page.isClosed()) return;
      const closed = new Promise((resolve) => page.once('close', resolve));
      // runBeforeUnload: close as a shopper does, with pagehide and unload
      // (playwright's default skips them). It then returns before the page is gone.
      await page.close({ runBeforeUnload: true });
      await within(closed, 10_000, 'the tab to close');
    },
    /**
     * Chromium-only: this page alone offline (CDP Network.overrideNetworkState),
     * which survives reloads of the page, so it can be reloaded "offline".
     */
    async setOffline(offline) {
      if (!cdp) {
        cdp = await ctx.newCDPSession(page);
        await cdp.send('Network.enable');
      }
      await cdp.send('Network.overrideNetworkState', { offline, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
      if (!offline) {
        await cdp.detach().catch(() => {});
        cdp = null;
      }
    },
  };
}
