// The engine layer: one small adapter per browser engine behind one shape,
// so the browser tests' harness (test/browser/harness.ts) runs the same test
// body in Chromium, Firefox and WebKit.
//
// What every adapter offers is what all three can do the same way: a
// browser, isolated contexts (own cookies and storage), a visible page
// (tab) in a context, goto / reload (waiting for `load`), evaluate of an
// expression (a promise is awaited), close (pagehide runs), cookies. What
// only Chromium can do (network emulation through CDP) is an extra
// `setOffline` that the others lack; the harness names the engine when a
// test asks for it elsewhere. Init scripts, console output and page errors
// are not engine features here: the storefront injects a probe into every
// page (see test/browser/probe.ts), which works the same in all three.

/**
 * @typedef {object} EnginePage
 * @property {unknown} native                the driver's own handle (playwright/puppeteer Page, WebDriver window)
 * @property {(url: string) => Promise<void>} goto
 * @property {() => Promise<void>} reload
 * @property {(expression: string) => Promise<unknown>} evaluate  evaluates an expression; a promise is awaited
 * @property {() => Promise<void>} close     closes the tab with pagehide/unload, waits until it is gone
 * @property {(offline: boolean) => Promise<void>} [setOffline]  Chromium only
 *
 * @typedef {object} EngineContext
 * @property {unknown} native
 * @property {() => Promise<EnginePage>} newPage
 * @property {(url: string, cookies: {name: string, value: string}[]) => Promise<void>} addCookies  `url`: a page of the site
 * @property {(url: string) => Promise<void>} clearCookies
 * @property {() => Promise<void>} close
 * @property {(offline: boolean) => Promise<void>} [setOffline]  Chromium only
 *
 * @typedef {object} EngineBrowser
 * @property {'chromium' | 'firefox' | 'webkit'} engine
 * @property {string} version
 * @property {unknown} native
 * @property {() => boolean} alive                 false once the browser crashed or was closed
 * @property {() => Promise<EngineContext>} newContext
 * @property {() => Promise<void>} close
 */

export const ENGINES = /** @type {const} */ (['chromium', 'firefox', 'webkit']);

/** The engine of this run: GTL_ENGINE (set per vitest project), Chromium by default. */
export function engineName() {
  const name = process.env.GTL_ENGINE || 'chromium';
  if (!ENGINES.includes(name)) throw new Error(`GTL_ENGINE=${name}: expected one of ${ENGINES.join(', ')}`);
  return name;
}

// Imported lazily: each run loads only its own driver.
const ADAPTERS = {
  chromium: () => import('./chromium.mjs'),
  firefox: () => import('./firefox.mjs'),
  webkit: () => import('./webkit.mjs'),
};

/** Launches `name`'s browser. */
export async function launchEngine(name = engineName()) {
  const adapter = await ADAPTERS[name]();
  return /** @type {EngineBrowser} */ (await adapter.launch());
}
