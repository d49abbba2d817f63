// WebKit (Safari's engine) as WebKitGTK's MiniBrowser, driven by classic
// WebDriver: Debian's webkit2gtk-driver (WebKitWebDriver) and
// selenium-webdriver. MiniBrowser has no headless mode, so the browser owns
// an Xvfb display.
//
// Facts this adapter is built on (checked on WebKitGTK 2.50):
// - A WebKitWebDriver process serves ONE session ("Maximum number of active
//   sessions"), and each session starts its own MiniBrowser with an ephemeral
//   profile: a context is a driver process + a session, isolated from the
//   others (storage, cookies, cache). Starting one takes 2-3 s, so one is
//   made ahead (./pool.mjs).
// - A window from newWindow('tab') is a background tab (visibilityState
//   'hidden', and the first tab turns hidden): pages are windows, each
//   visible, as Chromium's and Firefox's test pages are. A new window takes
//   1-2 s, so the session's first window is the context's first page.
// - Closing the session's last window ends the session. So when a test
//   closes its last page, the page is first sent to about:blank (pagehide
//   and unload run at once: the page is gone, as a closed tab is), then a
//   spare window is opened (a second or two), then the blank one closes.
//   Opening the spare before leaving the page would let the closing page
//   run on meanwhile, and hear answers a closed tab never hears.
// - Cookie commands act on the current document's site: they run in a
//   window already on the site, or in the spare window sent there.
// - Commands act on the "current window": a per-session lock makes each
//   page operation switch-then-act atomically, so concurrent calls from a
//   test (Promise.all over two tabs) run one after the other.
import { existsSync } from 'node:fs';
import { Builder, Capabilities } from 'selenium-webdriver';
import { prewarmed } from './pool.mjs';
import { freePort, spawnTracked, startXvfb, stopTracked, waitForHttp, within } from './processes.mjs';

const DRIVER = process.env.WEBKIT_DRIVER_PATH || '/usr/bin/WebKitWebDriver';
const MINIBROWSER = process.env.MINIBROWSER_PATH || '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
const NAV_TIMEOUT = 30_000;
// Longer than any evaluate the harness bounds itself (flush, waits in pages).
const SCRIPT_TIMEOUT = 120_000;

/** @returns {Promise<import('./index.mjs').EngineBrowser>} */
export async function launch() {
  for (const [what, path, pkg] of [
    ['WebKitWebDriver', DRIVER, 'webkit2gtk-driver'],
    ['MiniBrowser', MINIBROWSER, 'webkit2gtk-driver'],
  ]) {
    if (!existsSync(path)) throw new Error(`${what} not found at ${path}: apt-get install ${pkg} xvfb`);
  }
  const xvfb = await startXvfb();
  const contexts = new Set();
  const pool = prewarmed(() => startContext(xvfb.display), (ctx) => ctx.close());
  let version = 'WebKitGTK';
  return {
    engine: 'webkit',
    get version() {
      return version;
    },
    native: { display: xvfb.display },
    alive: () => xvfb.child.exitCode === null && xvfb.child.signalCode === null,
    async newContext() {
      const ctx = await pool.take();
      version = ctx.version;
      contexts.add(ctx);
      const close = ctx.close;
      ctx.close = async () => {
        contexts.delete(ctx);
        await close();
      };
      return ctx;
    },
    async close() {
      await pool.close();
      for (const ctx of [...contexts]) await ctx.close().catch(() => {});
      await stopTracked(xvfb.child);
    },
  };
}

async function startContext(display) {
  const port = await freePort();
  const driverProc = spawnTracked(DRIVER, [`--port=${port}`, '--host=127.0.0.1'], { env: { ...process.env, DISPLAY: display } });
  const server = `http://127.0.0.1:${port}`;
  let driver;
  try {
    await waitForHttp(`${server}/status`, 15_000, driverProc);
    const caps = new Capabilities({
      browserName: 'MiniBrowser',
      'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] },
    });
    driver = await within(new Builder().usingServer(server).withCapabilities(caps).build(), 30_000, 'a WebKit session');
    await driver.manage().setTimeouts({ script: SCRIPT_TIMEOUT, pageLoad: NAV_TIMEOUT, implicit: 0 });
  } catch (e) {
    await stopTracked(driverProc);
    throw new Error(`could not start a WebKit session: ${e.message}\n${driverProc.output()}`);
  }
  const browserVersion = (await driver.getCapabilities()).get('browserVersion');
  let current = await driver.getWindowHandle();
  // Windows no page uses: the session's first one to begin with.
  const spares = [current];
  /** handle -> the URL it was last sent to, for the windows pages use. */
  const live = new Map();
  let chain = Promise.resolve();
  /** Runs `fn` with `handle` as the current window, one command sequence at a time. */
  const locked = (fn) => {
    const run = chain.then(fn);
    chain = run.catch(() => {});
    return run;
  };
  const switchTo = async (handle) => {
    if (current !== handle) {
      await driver.switchTo().window(handle);
      current = handle;
    }
  };
  const openWindow = async () => {
    await driver.switchTo().newWindow('window');
    current = await driver.getWindowHandle();
    return current;
  };
  /** Cookie commands: in a page's window already on `url`'s site, else in the spare window sent there. */
  const onSite = (url, fn) =>
    locked(async () => {
      const origin = new URL(url).origin + '/';
      const onIt = [...live].find(([, at]) => at.startsWith(origin));
      if (onIt) {
        await switchTo(onIt[0]);
      } else {
        if (!spares.length) spares.push(await openWindow());
        await switchTo(spares[0]);
        await driver.get(url);
      }
      return fn();
    });
  let closed = false;

  const context = {
    version: `MiniBrowser (WebKitGTK ${browserVersion})`,
    native: driver,
    newPage: () =>
      locked(async () => {
        const handle = spares.shift() ?? (await openWindow());
        live.set(handle, 'about:blank');
        return wrapPage(driver, handle, {
          on: (fn) =>
            locked(async () => {
              await switchTo(handle);
              return fn();
            }),
          went: (url) => live.has(handle) && live.set(handle, url),
          close: () =>
            locked(async () => {
              await switchTo(handle);
              if (live.size === 1 && !spares.length) {
                // The last window (see above): leave the page now, keep the window a moment.
                await driver.get('about:blank');
                live.delete(handle);
                spares.push(await openWindow());
                await switchTo(handle);
              }
              // WebDriver's Close Window runs unload handlers (pagehide), as a shopper's close does.
              await driver.close();
              live.delete(handle);
              current = null;
            }),
        });
      }),
    addCookies: (url, cookies) =>
      onSite(url, async () => {
        for (const c of cookies) await driver.manage().addCookie({ name: c.name, value: c.value, path: '/' });
      }),
    clearCookies: (url) => onSite(url, () => driver.manage().deleteAllCookies()),
    async close() {
      if (closed) return;
      closed = true;
      await within(driver.quit(), 15_000, 'the WebKit session to quit').catch(() => {});
      await stopTracked(driverProc);
    },
  };
  return context;
}

function wrapPage(driver, handle, win) {
  let closed = false;
  return {
    native: { driver, handle },
    goto: (url) =>
      win.on(async () => {
        win.went(url);
        await driver.get(url);
      }),
    reload: () => win.on(() => driver.navigate().refresh()),
    evaluate: (expression) =>
      win.on(async () => {
        const out = await driver.executeAsyncScript(
          `var done = arguments[arguments.length - 1];
           Promise.resolve().then(function () { return (${expression}); }).then(done, function (e) {
             done({ __engineError: String((e && e.stack) || e) });
           });`,
        );
        if (out && typeof out === 'object' && '__engineError' in out) throw new Error(out.__engineError);
        return out;
      }),
    async close() {
      if (closed) return;
      closed = true;
      await win.close();
    },
  };
}
