// Firefox (Debian's firefox-esr) through puppeteer-core over WebDriver BiDi.
// A context is a BiDi user context: its own cookies, storage and cache.
import { existsSync } from 'node:fs';
import puppeteer from 'puppeteer-core';
import { prewarmed } from './pool.mjs';
import { sleep, watchGroup, within } from './processes.mjs';

const NAV_TIMEOUT = 30_000;

/** @returns {Promise<import('./index.mjs').EngineBrowser>} */
export async function launch() {
  const executablePath = process.env.FIREFOX_PATH || '/usr/bin/firefox-esr';
  if (!existsSync(executablePath)) {
    throw new Error(`Firefox not found at ${executablePath}: apt-get install firefox-esr, or set FIREFOX_PATH`);
  }
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath,
    protocol: 'webDriverBiDi',
    headless: true,
    timeout: 60_000,
    // The machines' network is closed: background traffic would only fail.
    extraPrefsFirefox: {
      'network.captive-portal-service.enabled': false,
      'network.connectivity-service.enabled': false,
      'browser.safebrowsing.update.enabled': false,
    },
  });
  const unwatch = watchGroup(browser.process()?.pid);
  const pool = prewarmed(() => startContext(browser), (ctx) => ctx.close());
  return {
    engine: 'firefox',
    version: await browser.version(),
    native: browser,
    alive: () => browser.connected,
    newContext: () => pool.take(),
    async close() {
      await pool.close();
      await browser.close();
      unwatch();
    },
  };
}

// A window, not a tab: a background tab is `hidden` (and a new tab hides the
// one in front), and the snippet sends on visibilitychange; every test page
// is in the foreground. A window takes a second or two to open, so a context
// comes with its first one already open (made ahead, ./pool.mjs).
const openWindow = (ctx) => ctx.newPage({ type: 'window' });

async function startContext(browser) {
  const ctx = await browser.createBrowserContext();
  let spare = openWindow(ctx);
  spare.catch(() => {});
  return {
    native: ctx,
    async newPage() {
      const ready = spare;
      spare = null;
      return wrapPage(await (ready ?? openWindow(ctx)));
    },
    addCookies: (url, cookies) =>
      ctx.setCookie(...cookies.map((c) => ({ name: c.name, value: c.value, domain: new URL(url).hostname, path: '/' }))),
    async clearCookies() {
      const all = await ctx.cookies();
      if (all.length) await ctx.deleteCookie(...all);
    },
    close: () => ctx.close(),
  };
}

function wrapPage(page) {
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
      // runBeforeUnload: BiDi browsingContext.close with promptUnload, so the
      // page sees pagehide as when a shopper closes it.
      await within(page.close({ runBeforeUnload: true }), 10_000, 'the tab to close');
      const deadline = Date.now() + 5_000;
      while (!page.isClosed() && Date.now() < deadline) await sleep(20);
    },
  };
}
