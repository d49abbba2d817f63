// Real-browser test harness: a real browser loads the built
// dist/growlytics.min.js into a page served by the demo storefront and
// delivers to the demo collector on another origin, so CORS is real and every
// assertion is about what the real collector received. No fetch is mocked.
//
// The browser is Chromium, Firefox or WebKit (the vitest project sets
// GTL_ENGINE; see vitest.config.ts), driven through the engine layer in
// test/engines/. The same test body runs in each: use the Tab methods
// (evaluate, reload, goto, close, waitForFunction) and the Env ones, not the
// driver's own objects. A test that needs a Chromium-only facility (network
// emulation) is declared with `chromiumOnly(...)` and listed in README.md.
//
// Usage, once per test file:
//   const h = useHarness();
//   test('...', async () => {
//     const env = await h.setup();                  // collector + fresh context
//     await env.serve({ '/': env.page({ ... }) });  // storefront with raw pages
//     const tab = await env.open('/');
//     ...
//   });
// Everything a test starts is closed after it, whatever happened.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, expect, test } from 'vitest';
import { startCollector } from '../../demo/collector.mjs';
import { startStorefront } from '../../demo/storefront.mjs';
import { engineName, launchEngine, type EngineBrowser, type EngineContext, type EnginePage } from '../engines/index.mjs';
import { BLANK_PAGE, BLANK_PATH, REPORT_PATH, createReportSink, headStart, type ProbeMessage } from './probe';

/** The engine this run drives: 'chromium' | 'firefox' | 'webkit'. */
export const ENGINE = engineName() as 'chromium' | 'firefox' | 'webkit';

/**
 * For a test that needs a Chromium-only facility (CDP network emulation,
 * CDP metrics): it runs in Chromium and is reported as skipped elsewhere.
 * Every use is listed in README.md under "Browser tests".
 */
export const chromiumOnly = test.skipIf(ENGINE !== 'chromium');

// ---------------------------------------------------------------- types

/** One request the collector saw (demo/collector.mjs). */
export interface CollectedRequest {
  n: number;
  at: number;
  path: string;
  headers: Record<string, string>;
  body: string;
  json: any;
  id: string | undefined;
  /** null while the collector is still holding the request (`hang`, `delayMs`). */
  status: number | null;
  faulted: unknown;
}

/** One request the demo relay answered (demo/relay.mjs), as the collector notes it. */
export interface RelayAnswer {
  n: number;
  at: number;
  route: 'relay-signed' | 'relay-unsigned';
  status: number;
  id: string | null;
  /** the signed `logged_in_customer_id` ('' for a guest); null when unsigned. */
  customer: string | null;
  message: string | null;
  /** the number of the collector request it posted, or null: the relay answered without posting (a refusal). */
  collected: number | null;
}

export interface Collector {
  profiles: Map<string, { attributes: Record<string, unknown>; updates: number }>;
  /** what the demo relay answered, when the test runs one (noteRelay). */
  relayed: RelayAnswer[];
  noteRelay(entry: Omit<RelayAnswer, 'collected'>): void;
  requests: CollectedRequest[];
  /** how many CORS preflights (OPTIONS) it answered. */
  preflights: number;
  types: any;
  ignored: any[];
  setFaults(f: Record<string, unknown>): void;
  reset(): void;
  state(): any;
  waitFor(pred: (c: Collector) => unknown, timeoutMs: number): Promise<unknown>;
}

export type PageSource = string | ((req: unknown, url: URL) => string | Promise<string>);

export interface PageOptions {
  /** data-key; null leaves the attribute out. Default: the collector's key. */
  key?: string | null;
  /** data-endpoint; null leaves the attribute out. Default: the collector's endpoint. */
  endpoint?: string | null;
  debug?: boolean;
  /** how the bundle's <script> is loaded; 'none' leaves the bundle out. */
  mode?: 'sync' | 'async' | 'defer' | 'none';
  /** inline script run before the bundle's tag (e.g. a pre-load queue). */
  before?: string;
  /** inline script at the end of <body>. */
  after?: string;
  /** raw HTML appended to <head> after the bundle's tag. */
  head?: string;
  /** raw HTML at the start of <body>. */
  body?: string;
  /** extra attributes on the bundle's <script> tag. */
  tagAttrs?: string;
}

export interface GrowlyticsErrorEvent {
  type: string;
  id: unknown;
  message: string;
  url: string;
}

/** A browser context of the env: its own cookies and storage (a fresh profile). */
export interface Context {
  /** engine-specific id, also the tab names' prefix. */
  id: string;
  /** the driver's own context object (playwright/puppeteer BrowserContext, WebDriver session). */
  native: unknown;
  /**
   * Runs `script` at the start of every page of this context loaded from now
   * on, before any page script (the storefront injects it: every engine).
   */
  addInitScript(script: string | (() => unknown)): Promise<void>;
  /** Sets cookies on the storefront's site (`url` is accepted for playwright compatibility). */
  addCookies(cookies: { name: string; value: string; url?: string }[]): Promise<void>;
  /** Deletes every cookie of the storefront's site. */
  clearCookies(): Promise<void>;
}

export interface Tab {
  /**
   * The driver's own page (playwright Page, puppeteer Page, or the WebDriver
   * window): for Chromium-only tests. Engine-neutral tests use the methods below.
   */
  page: any;
  /** Uncaught exceptions and unhandled rejections of this tab's pages (reported by the probe). */
  errors: Error[];
  /** console output of this tab's pages (`warn` is type 'warning', as in Chromium). */
  console: { type: string; text: string }[];
  /** every growlytics:* key in localStorage, raw. */
  storage(): Promise<Record<string, string>>;
  /** `growlytics.identify(...)` in the page, returning its result. */
  identify(id: unknown, attributes?: unknown): Promise<any>;
  /** `growlytics.flush()` in the page; resolves when it settles (bounded). */
  flush(timeoutMs?: number): Promise<'resolved' | 'rejected' | 'timeout'>;
  // Engine-neutral page control: use these, not `page`, in tests that run in every engine.
  /**
   * Runs `fn(arg)` in the page (a promise is awaited) and returns its result.
   * `fn` is sent as source text; `arg` and the result travel as JSON extended
   * with undefined, Date, NaN, ±Infinity and -0. What the page printed or
   * threw before the call returned is already in `console`/`errors`.
   */
  evaluate<R, A = undefined>(fn: (arg: A) => R | Promise<R>, arg?: A): Promise<R>;
  /** reloads the page and waits for `load`. */
  reload(): Promise<void>;
  /** navigates to a path of the storefront (or a full URL) and waits for `load`. */
  goto(pathOrUrl: string): Promise<void>;
  /** closes the tab (pagehide runs, as when a shopper closes it) and waits until it is gone. */
  close(): Promise<void>;
  /** waits, bounded, until `fn(arg)` is truthy in the page (polled; navigations in between are waited out). */
  waitForFunction<A = undefined>(fn: (arg: A) => unknown, arg?: A, timeoutMs?: number): Promise<void>;
}

export interface Env {
  /** the engine of this run. */
  engine: typeof ENGINE;
  browser: EngineBrowser;
  context: Context;
  collector: Collector;
  collectorOrigin: string;
  endpoint: string;
  key: string;
  /** the storefront's origin; set by serve(). */
  origin: string;
  /** growlytics:error events dispatched on any page of this env, in order of arrival. */
  events: GrowlyticsErrorEvent[];
  /** every tab opened in this env (closed ones included). */
  tabs: Tab[];
  /**
   * start the storefront with these raw pages (path -> HTML or (req, url) => HTML);
   * `proxy`: an App Proxy stand-in (demo/app-proxy.mjs) on its origin, and the
   * demo pages then render the snippet through it.
   */
  serve(pages: Record<string, PageSource>, o?: { proxy?: { prefix: string; handle: Function } }): Promise<string>;
  /** an HTML page with the bundle's script tag, configured for this env. */
  page(o?: PageOptions): string;
  /** open a new page (tab) of this context at `path` on the storefront. */
  open(path: string, context?: Context): Promise<Tab>;
  /**
   * Chromium only (mark the test `chromiumOnly`): takes the context off the
   * network (or back on). Chromium's offline emulation does not cover
   * keepalive requests a page starts as it unloads (seen here: a reload
   * while offline delivered them), so while offline the collector also
   * drops every request (a network error for the browser); such attempts
   * show in `requests` with status 0, never as a 2xx. Going offline replaces
   * any collector fault; going online clears faults. For an outage in every
   * engine, use `collector.setFaults({ drop: true })`.
   */
  setOffline(offline: boolean): Promise<void>;
  /**
   * Chromium only (mark the test `chromiumOnly`): offline as one page sees
   * it — navigator.onLine false, the `offline` and `online` events, and the
   * collector unreachable (it drops every request: a network error for the
   * browser) — while the storefront still loads, so the page can be
   * reloaded "offline" as if from cache. Uses CDP
   * Network.overrideNetworkState, which survives reloads of that page.
   * Returns the function that goes back online (clearing collector faults).
   */
  pageOffline(tab: Tab): Promise<() => Promise<void>>;
  /** wait, bounded, until pred(collector) is truthy; throws with `what` and a summary. */
  waitFor(pred: (c: Collector) => unknown, timeoutMs: number, what: string): Promise<void>;
  /** a second, isolated browser context (its own storage) tracked for cleanup. */
  newContext(): Promise<Context>;
}

// ---------------------------------------------------------------- browser

export const BUNDLE_PATH = '/dist/growlytics.min.js';
const DIST_FILE = fileURLToPath(new URL('../../dist/growlytics.min.js', import.meta.url));

const EVALUATE_TIMEOUT = 60_000;
/** How long a call waits for the probe's reports of what the page did before it returned. */
const REPORT_LAG = 3_000;

function chromiumOnlyError(what: string): Error {
  return new Error(`${what} is Chromium-only (CDP network emulation), this run is ${ENGINE}: declare the test with chromiumOnly(...), or simulate the outage at the collector (collector.setFaults({ drop: true }))`);
}

// ---------------------------------------------------------------- evaluate codec

// JSON plus what JSON loses and tests use: undefined, Date, NaN, ±Infinity, -0.
// The same two functions run in Node and, as source text, in the page.
function encodeValue(this: any, key: string, value: unknown): unknown {
  const raw = this[key];
  if (raw === undefined) return { __gtl: 'undefined' };
  if (raw instanceof Date) return { __gtl: 'date', v: raw.getTime() };
  if (typeof raw === 'number' && (raw !== raw || raw === Infinity || raw === -Infinity || (raw === 0 && 1 / raw < 0))) {
    return { __gtl: 'number', v: String(Object.is(raw, -0) ? '-0' : raw) };
  }
  return value;
}
function decodeValue(_key: string, value: any): unknown {
  if (value === null || typeof value !== 'object' || typeof value.__gtl !== 'string') return value;
  if (value.__gtl === 'undefined') return undefined;
  if (value.__gtl === 'date') return new Date(value.v);
  if (value.__gtl === 'number') return value.v === '-0' ? -0 : Number(value.v);
  return value;
}
const encode = (v: unknown) => JSON.stringify(v, encodeValue);
const decode = (s: string) => JSON.parse(s, decodeValue);

/**
 * The page-side expression for `fn(arg)`: runs it, awaits it, and returns a
 * JSON string {ok, v | error, page, n}, where page/n say how many reports
 * the page's probe had made by then (the caller waits for them).
 */
function evaluation(fnSource: string, arg: unknown): string {
  return `(function () {
    var encodeValue = ${encodeValue.toString()};
    var decodeValue = ${decodeValue.toString()};
    var probe = window.__gtlProbe;
    var done = function (o) {
      o.page = probe ? probe.page : null;
      o.n = probe ? probe.count() : 0;
      return JSON.stringify(o, encodeValue);
    };
    var arg = JSON.parse(${JSON.stringify(encode(arg))}, decodeValue);
    return Promise.resolve().then(function () { return (${fnSource})(arg); }).then(
      function (v) { return done({ ok: true, v: v }); },
      function (e) { return done({ ok: false, error: String((e && e.stack) || e), message: String((e && e.message) || e) }); }
    );
  })()`;
}

// ---------------------------------------------------------------- harness

// One browser for every test file this worker runs: the browser projects
// run all their files in one worker (isolate: false in vitest.config.ts),
// and launching Firefox or WebKit costs seconds. Each test still gets a
// fresh context. The browser is killed when the worker exits (the engine
// adapters and the driver libraries hook process exit); a crashed one is
// launched again.
let shared: Promise<EngineBrowser> | null = null;

async function sharedBrowser(): Promise<EngineBrowser> {
  const running = shared && (await shared.catch(() => null));
  if (running?.alive()) return running;
  if (running) await withTimeout(running.close(), 30_000).catch(() => {});
  shared = withTimeout(launchEngine(ENGINE), 90_000, `[${ENGINE}] launching the browser`);
  return shared;
}

export function useHarness(): { setup(o?: { key?: string }): Promise<Env> } {
  let browser: EngineBrowser | undefined;
  let cleanups: (() => unknown)[] = [];

  beforeAll(async () => {
    if (!existsSync(DIST_FILE)) {
      throw new Error(`${DIST_FILE} is missing: run \`npm run build\` first`);
    }
    browser = await sharedBrowser();
  });

  afterEach(async () => {
    const list = cleanups.reverse();
    cleanups = [];
    for (const fn of list) {
      try {
        await withTimeout(Promise.resolve(fn()), 20_000);
      } catch {
        // cleanup is best effort; a failed close must not hide the test's result
      }
    }
  });

  let contextSeq = 0;

  async function setup(o: { key?: string } = {}): Promise<Env> {
    if (!browser) throw new Error('browser not launched (useHarness() must be called at file level)');
    const b = browser;
    const key = o.key ?? 'demo-key';
    const started = await startCollector({ host: '127.0.0.1', port: 0, key });
    cleanups.push(() => started.close());
    const collector: Collector = started.collector;
    const events: GrowlyticsErrorEvent[] = [];
    const tabs: Tab[] = [];
    const byName = new Map<string, Tab>();
    const enginePages = new Map<Tab, EnginePage>();
    const unattributed: string[] = [];
    const initScripts: { ctx: string; source: string }[] = [];
    let tabSeq = 0;

    const sink = createReportSink((name: string | null, m: ProbeMessage) => {
      if (m.kind === 'event') {
        events.push({ type: m.data?.type, id: m.data?.id, message: m.data?.message, url: m.url });
        return;
      }
      const tab = name === null ? undefined : byName.get(name);
      if (!tab) {
        unattributed.push(`${m.kind} on ${m.url}: ${JSON.stringify(m.data).slice(0, 300)}`);
        return;
      }
      if (m.kind === 'console') tab.console.push({ type: String(m.data?.type), text: String(m.data?.text) });
      if (m.kind === 'pageerror') {
        const e = new Error(String(m.data?.message));
        e.name = String(m.data?.name || 'Error');
        e.stack = String(m.data?.stack || '');
        tab.errors.push(e);
      }
    });

    /** A page of the storefront the service/cookie commands may load. */
    const sitePage = () => {
      if (!env.origin) throw new Error('env.serve(pages) must be called before cookies are set');
      return env.origin + BLANK_PATH;
    };

    async function newContext(): Promise<Context> {
      const ctx: EngineContext = await withTimeout(b.newContext(), 60_000, `[${ENGINE}] a new browser context`);
      cleanups.push(() => ctx.close());
      const id = `c${++contextSeq}`;
      const context: Context & { engine: EngineContext } = {
        id,
        native: ctx.native,
        engine: ctx,
        async addInitScript(script) {
          initScripts.push({ ctx: id, source: typeof script === 'function' ? `(${script.toString()})();` : script });
        },
        addCookies: (cookies) => ctx.addCookies(sitePage(), cookies),
        clearCookies: () => ctx.clearCookies(sitePage()),
      };
      return context;
    }

    const context = await newContext();

    const env: Env = {
      engine: ENGINE,
      browser: b,
      context,
      collector,
      collectorOrigin: started.origin,
      endpoint: started.endpoint,
      key,
      origin: '',
      events,
      tabs,
      newContext,

      async serve(pages, o = {}) {
        const sf = await startStorefront({
          host: '127.0.0.1',
          port: 0,
          endpoint: started.endpoint,
          key,
          proxy: o.proxy,
          pages: { ...pages, [REPORT_PATH]: (req: unknown) => sink.endpoint(req), [BLANK_PATH]: BLANK_PAGE },
          headStart: (_req: unknown, url: URL) => (url.pathname.startsWith('/__gtl/') ? '' : headStart(initScripts)),
        });
        cleanups.push(() => sf.close());
        env.origin = sf.origin;
        return sf.origin;
      },

      page(p = {}) {
        return buildPage({ key, endpoint: started.endpoint, ...p });
      },

      async open(path, ctx = context) {
        if (!env.origin) throw new Error('env.serve(pages) must be called before env.open()');
        const engineCtx = (ctx as Context & { engine: EngineContext }).engine;
        const page = await withTimeout(engineCtx.newPage(), 30_000, `[${ENGINE}] a new tab`);
        const name = `gtl:${ctx.id}:t${++tabSeq}`;
        // The tab's name is how the probe's reports find their Tab; it is
        // set on a same-origin blank page because WebKit clears a name set
        // on about:blank when the tab navigates away from it.
        await page.goto(env.origin + BLANK_PATH);
        await page.evaluate(`(window.name = ${JSON.stringify(name)}, true)`);
        const tab = makeTab(page, name);
        await tab.goto(path);
        return tab;
      },

      async setOffline(offline) {
        const ctx = (context as Context & { engine: EngineContext }).engine;
        if (!ctx.setOffline) throw chromiumOnlyError('env.setOffline');
        if (offline) {
          collector.setFaults({ drop: true });
          await ctx.setOffline(true);
        } else {
          collector.setFaults({});
          await ctx.setOffline(false);
        }
      },

      async pageOffline(tab) {
        const page = enginePages.get(tab);
        if (!page?.setOffline) throw chromiumOnlyError('env.pageOffline');
        const setOffline = page.setOffline;
        collector.setFaults({ drop: true });
        await setOffline(true);
        let back = false;
        const online = async () => {
          if (back) return;
          back = true;
          collector.setFaults({});
          await setOffline(false).catch(() => {});
        };
        cleanups.push(online);
        return online;
      },

      async waitFor(pred, timeoutMs, what) {
        const safe = (c: Collector) => {
          try {
            return pred(c);
          } catch {
            return false;
          }
        };
        try {
          await collector.waitFor(safe, timeoutMs);
        } catch {
          if (safe(collector)) return;
          throw new Error(
            `[${ENGINE}] timed out after ${timeoutMs} ms waiting for: ${what}\ncollector saw: ${summarize(collector)}\n${tabsSummary(tabs, events, unattributed)}`,
          );
        }
      },
    };

    function makeTab(page: EnginePage, name: string): Tab {
      /** Runs `fnSource(arg)` in the page; throws, naming the engine, when it throws there. */
      async function run(fnSource: string, arg: unknown, timeoutMs = EVALUATE_TIMEOUT): Promise<any> {
        const raw = await withTimeout(page.evaluate(evaluation(fnSource, arg)), timeoutMs, `[${ENGINE}] evaluate in the page`);
        if (typeof raw !== 'string') throw new Error(`[${ENGINE}] evaluate returned ${typeof raw}, not the harness's JSON`);
        const out = decode(raw);
        // What the page reported until now is filed before the caller looks.
        if (out.page && out.n > 0) await sink.caughtUp(out.page, out.n, REPORT_LAG);
        if (!out.ok) {
          const e = new Error(`[${ENGINE}] evaluate threw in the page: ${out.message}`);
          e.stack = `${e.message}\n(page stack)\n${out.error}`;
          throw e;
        }
        return out.v;
      }

      /** After a navigation: what the page reported while loading (events at load, errors) is filed. */
      const reported = () => run('function () {}', undefined, 10_000).catch(() => {});

      const tab: Tab = {
        page: page.native,
        errors: [],
        console: [],
        storage: () => run(READ_STORAGE.toString(), undefined),
        identify: (id, attributes) => run('function (a) { return window.growlytics.identify(a[0], a[1]); }', [id, attributes]),
        flush: (timeoutMs = 20_000) => run(FLUSH.toString(), timeoutMs, timeoutMs + 10_000),
        evaluate: (fn: any, arg?: any) => run(fn.toString(), arg),
        async reload() {
          await page.reload();
          await reported();
        },
        async goto(to) {
          await page.goto(/^https?:/.test(to) ? to : env.origin + to);
          await reported();
        },
        async close() {
          await page.close();
        },
        async waitForFunction(fn: any, arg?: any, timeoutMs = 20_000) {
          const deadline = Date.now() + timeoutMs;
          const check = `function (a) { return Promise.resolve((${fn.toString()})(a)).then(function (v) { return !!v; }); }`;
          let last: unknown = null;
          for (;;) {
            try {
              if (await run(check, arg, Math.max(1_000, Math.min(10_000, deadline - Date.now())))) return;
              last = null;
            } catch (e) {
              last = e; // e.g. the page was navigating: try again
            }
            if (Date.now() >= deadline) {
              throw new Error(`[${ENGINE}] waitForFunction timed out after ${timeoutMs} ms: ${fn.toString().slice(0, 200)}${last ? `\nlast error: ${(last as Error).message}` : ''}`);
            }
            await sleep(50);
          }
        },
      };
      byName.set(name, tab);
      enginePages.set(tab, page);
      tabs.push(tab);
      return tab;
    }

    return env;
  }

  return { setup };
}

// Page functions of the Tab methods (sent as source text).

function READ_STORAGE(): Record<string, string> {
  const out: Record<string, string> = {};
  // A test's init script may have sabotaged Storage: report what can be read.
  try {
    const ls = window.localStorage;
    for (let i = 0; i < ls.length; i++) {
      const k = ls.key(i);
      if (k && k.startsWith('growlytics:')) out[k] = ls.getItem(k) as string;
    }
  } catch (e) {
    out['<unreadable>'] = String(e);
  }
  return out;
}

function FLUSH(t: number): Promise<'resolved' | 'rejected' | 'timeout'> {
  return new Promise((resolve) => {
    setTimeout(() => resolve('timeout'), t);
    Promise.resolve((window as any).growlytics.flush()).then(
      () => resolve('resolved'),
      () => resolve('rejected'),
    );
  });
}

// ---------------------------------------------------------------- pages

const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
/** Make text safe inside an inline <script>. */
export const inlineScript = (js: string) => js.replace(/<\/script/gi, '<\\/script').replace(/<!--/g, '<\\!--');

/** A storefront page as Shopify serves it: `content_for_header`, the theme's inline script, its snippet or app embed; `body` ends the body. */
export function storefrontHtml(o: { title: string; header: string; script?: string; snippet: string; body?: string }): string {
  return [
    `<!doctype html><html><head><meta charset="utf-8"><title>${o.title}</title><link rel="icon" href="data:,">`,
    o.header,
    o.script ? `<script>${inlineScript(o.script)}</script>` : '',
    o.snippet,
    `</head><body><p>storefront</p>${o.body ?? ''}</body></html>`,
  ].join('\n');
}

/** The bundle's <script> tag with script-tag configuration. */
export function bundleTag(o: { key?: string | null; endpoint?: string | null; debug?: boolean; mode?: string; tagAttrs?: string } = {}): string {
  const parts = [`src="${BUNDLE_PATH}"`];
  if (o.mode === 'async') parts.push('async');
  if (o.mode === 'defer') parts.push('defer');
  if (o.key != null) parts.push(`data-key="${attr(o.key)}"`);
  if (o.endpoint != null) parts.push(`data-endpoint="${attr(o.endpoint)}"`);
  if (o.debug) parts.push('data-debug');
  if (o.tagAttrs) parts.push(o.tagAttrs);
  return `<script ${parts.join(' ')}></script>`;
}

export function buildPage(o: PageOptions & { key?: string | null; endpoint?: string | null }): string {
  const mode = o.mode ?? 'sync';
  return [
    '<!doctype html><html><head><meta charset="utf-8"><title>growlytics test</title>',
    '<link rel="icon" href="data:,">',
    o.before ? `<script>${inlineScript(o.before)}</script>` : '',
    mode === 'none' ? '' : bundleTag({ ...o, mode }),
    o.head ?? '',
    '</head><body>',
    o.body ?? '',
    o.after ? `<script>${inlineScript(o.after)}</script>` : '',
    '</body></html>',
  ].join('\n');
}

// ---------------------------------------------------------------- reading state

/** Requests the collector answered with a 2xx. */
export const okRequests = (c: Collector, id?: string) =>
  c.requests.filter((r) => r.status !== null && r.status >= 200 && r.status < 300 && (id === undefined || r.id === id));

/** Ids with at least one 2xx. */
export const deliveredIds = (c: Collector) => new Set(okRequests(c).map((r) => r.id));

/** 2xx requests beyond the first, per id, for ids that were each identified once. */
export function duplicateCount(c: Collector, ids: string[]): number {
  let dup = 0;
  for (const id of ids) dup += Math.max(0, okRequests(c, id).length - 1);
  return dup;
}

export const statusCount = (c: Collector, status: number) => c.requests.filter((r) => r.status === status).length;

export function summarize(c: Collector): string {
  const reqs = c.requests
    .slice(-40)
    .map((r) => `#${r.n} ${r.id ?? '?'}:${r.status ?? 'pending'}${r.faulted ? '(fault)' : ''}`)
    .join(', ');
  return `${c.requests.length} requests [${reqs}]; profiles: ${[...c.profiles.keys()].join(', ') || 'none'}; ignored: ${JSON.stringify(c.ignored)}`;
}

function tabsSummary(tabs: Tab[], events: GrowlyticsErrorEvent[], unattributed: string[]): string {
  const lines: string[] = [];
  if (unattributed.length) lines.push(`reports from pages of no known tab: ${unattributed.slice(-10).join(' | ')}`);
  tabs.forEach((t, i) => {
    if (t.errors.length) lines.push(`tab ${i} page errors: ${t.errors.map((e) => e.message).join(' | ')}`);
    const cons = t.console.filter((m) => m.type === 'error' || m.type === 'warning');
    if (cons.length) lines.push(`tab ${i} console: ${cons.slice(-10).map((m) => `${m.type}: ${m.text}`).join(' | ')}`);
  });
  if (events.length) lines.push(`growlytics:error events: ${JSON.stringify(events.slice(-10))}`);
  return lines.join('\n');
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits (bounded) until window.growlytics is the API, not the pre-load array. */
export async function apiReady(tab: Tab, timeoutMs = 10_000): Promise<void> {
  await tab.waitForFunction(
    () => {
      const g = (window as any).growlytics;
      return !!g && !Array.isArray(g) && typeof g.identify === 'function';
    },
    undefined,
    timeoutMs,
  );
}

/**
 * The bundle ran and a flush resolved: every request its drain made has been
 * answered (flush resolves after the round's answers), so what it would send
 * for the page as loaded has reached the collector.
 */
export async function flushed(tab: Tab, timeoutMs = 10_000): Promise<void> {
  await apiReady(tab, timeoutMs);
  expect(await tab.flush(timeoutMs), 'flush() resolves').toBe('resolved');
}

export function withTimeout<T>(p: Promise<T>, ms: number, what = ''): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms${what ? `: ${what}` : ''}`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e) => (clearTimeout(t), reject(e)),
    );
  });
}

/** Page-error assertion with the errors in the message. */
export function pageErrorsOf(tabs: Tab[]): string[] {
  return tabs.flatMap((t) => t.errors.map((e) => `${e.name}: ${e.message}`));
}
