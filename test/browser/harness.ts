// Real-browser test harness: Debian's Chromium (playwright-core) loads the
// built dist/growlytics.min.js into a page served by the demo storefront and
// delivers to the demo collector on another origin, so CORS is real and every
// assertion is about what the real collector received. No fetch is mocked.
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
import { afterAll, afterEach, beforeAll } from 'vitest';
import {
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type Page,
} from 'playwright-core';
import { startCollector } from '../../demo/collector.mjs';
import { launchChromium } from '../chromium.mjs';
import { startStorefront } from '../../demo/storefront.mjs';

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

export interface Collector {
  profiles: Map<string, { attributes: Record<string, unknown>; updates: number }>;
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

export type PageSource = string | ((req: unknown, url: URL) => string);

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

export interface Tab {
  page: Page;
  /** `pageerror`s: exceptions that escaped into the page. */
  errors: Error[];
  console: { type: string; text: string }[];
  /** every growlytics:* key in localStorage, raw. */
  storage(): Promise<Record<string, string>>;
  /** `growlytics.identify(...)` in the page, returning its result. */
  identify(id: unknown, attributes?: unknown): Promise<any>;
  /** `growlytics.flush()` in the page; resolves when it settles (bounded). */
  flush(timeoutMs?: number): Promise<'resolved' | 'rejected' | 'timeout'>;
}

export interface Env {
  browser: Browser;
  context: BrowserContext;
  collector: Collector;
  collectorOrigin: string;
  endpoint: string;
  key: string;
  /** the storefront's origin; set by serve(). */
  origin: string;
  /** growlytics:error events dispatched on any page of this context, in order. */
  events: GrowlyticsErrorEvent[];
  /** every tab opened in this env (closed ones included). */
  tabs: Tab[];
  /** start the storefront with these raw pages (path -> HTML or (req, url) => HTML). */
  serve(pages: Record<string, PageSource>): Promise<string>;
  /** an HTML page with the bundle's script tag, configured for this env. */
  page(o?: PageOptions): string;
  /** open a new page (tab) of this context at `path` on the storefront. */
  open(path: string, context?: BrowserContext): Promise<Tab>;
  /** track an existing page (listeners for pageerror/console). */
  track(page: Page): Tab;
  /**
   * Takes the context off the network (or back on). Chromium's offline
   * emulation does not cover keepalive requests a page starts as it unloads
   * (seen here: a reload while offline delivered them), so while offline the
   * collector also drops every request (a network error for the browser);
   * such attempts show in `requests` with status 0, never as a 2xx.
   * Going offline replaces any collector fault; going online clears faults.
   */
  setOffline(offline: boolean): Promise<void>;
  /**
   * Offline as one page sees it — navigator.onLine false, the `offline` and
   * `online` events, and the collector unreachable (it drops every request:
   * a network error for the browser) — while the storefront still loads, so
   * the page can be reloaded "offline" as if from cache. Uses CDP
   * Network.overrideNetworkState, which survives reloads of that page.
   * (Serving a reload through page routes instead makes Chromium treat the
   * document as public, and Local Network Access then blocks its requests
   * to the loopback collector for good.) Returns the function that goes
   * back online (clearing collector faults).
   */
  pageOffline(tab: Tab): Promise<() => Promise<void>>;
  /** wait, bounded, until pred(collector) is truthy; throws with `what` and a summary. */
  waitFor(pred: (c: Collector) => unknown, timeoutMs: number, what: string): Promise<void>;
  /** a second, isolated browser context (its own storage) tracked for cleanup. */
  newContext(options?: BrowserContextOptions): Promise<BrowserContext>;
}

// ---------------------------------------------------------------- browser


export const BUNDLE_PATH = '/dist/growlytics.min.js';
const DIST_FILE = fileURLToPath(new URL('../../dist/growlytics.min.js', import.meta.url));


// Reports growlytics:error events to Node through a binding, so events from
// pages that have since navigated or closed are still seen by the test.
const EVENT_PROBE = `(() => {
  addEventListener('growlytics:error', function (e) {
    try {
      var d = e && e.detail || {};
      window.__gtlTestEvent({ type: String(d.type), id: d.id === undefined ? null : String(d.id), message: String(d.message) });
    } catch (_) {}
  });
})();`;

// ---------------------------------------------------------------- harness

export function useHarness(): { setup(o?: { key?: string; context?: BrowserContextOptions }): Promise<Env> } {
  let browser: Browser | undefined;
  let cleanups: (() => unknown)[] = [];

  beforeAll(async () => {
    if (!existsSync(DIST_FILE)) {
      throw new Error(`${DIST_FILE} is missing: run \`npm run build\` first`);
    }
    browser = await launchChromium();
  });

  afterEach(async () => {
    const list = cleanups.reverse();
    cleanups = [];
    for (const fn of list) {
      try {
        await withTimeout(Promise.resolve(fn()), 10_000);
      } catch {
        // cleanup is best effort; a failed close must not hide the test's result
      }
    }
  });

  afterAll(async () => {
    await browser?.close();
  });

  async function setup(o: { key?: string; context?: BrowserContextOptions } = {}): Promise<Env> {
    if (!browser) throw new Error('browser not launched (useHarness() must be called at file level)');
    const b = browser;
    const key = o.key ?? 'demo-key';
    const started = await startCollector({ host: '127.0.0.1', port: 0, key });
    cleanups.push(() => started.close());
    const collector: Collector = started.collector;
    const events: GrowlyticsErrorEvent[] = [];
    const tabs: Tab[] = [];

    async function newContext(options?: BrowserContextOptions): Promise<BrowserContext> {
      const ctx = await b.newContext(options);
      cleanups.push(() => ctx.close());
      await ctx.exposeBinding('__gtlTestEvent', (source, d: any) => {
        events.push({ type: d?.type, id: d?.id, message: d?.message, url: source.page?.url?.() ?? '' });
      });
      await ctx.addInitScript(EVENT_PROBE);
      return ctx;
    }

    const context = await newContext(o.context);

    const env: Env = {
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

      async serve(pages) {
        const sf = await startStorefront({
          host: '127.0.0.1',
          port: 0,
          endpoint: started.endpoint,
          key,
          pages,
        });
        cleanups.push(() => sf.close());
        env.origin = sf.origin;
        return sf.origin;
      },

      page(p = {}) {
        return buildPage({ key, endpoint: started.endpoint, ...p });
      },

      track(page) {
        return trackPage(page);
      },

      async open(path, ctx = context) {
        if (!env.origin) throw new Error('env.serve(pages) must be called before env.open()');
        const page = await ctx.newPage();
        const tab = trackPage(page);
        await page.goto(env.origin + path, { waitUntil: 'load' });
        return tab;
      },

      async setOffline(offline) {
        if (offline) {
          collector.setFaults({ drop: true });
          await context.setOffline(true);
        } else {
          collector.setFaults({});
          await context.setOffline(false);
        }
      },

      async pageOffline(tab) {
        collector.setFaults({ drop: true });
        const session = await context.newCDPSession(tab.page);
        const state = (offline: boolean) =>
          session.send('Network.overrideNetworkState' as any, { offline, latency: 0, downloadThroughput: -1, uploadThroughput: -1 } as any);
        await session.send('Network.enable');
        await state(true);
        let back = false;
        const online = async () => {
          if (back) return;
          back = true;
          collector.setFaults({});
          await state(false).catch(() => {});
          await session.detach().catch(() => {});
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
          throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}\ncollector saw: ${summarize(collector)}\n${tabsSummary(tabs, events)}`);
        }
      },
    };

    function trackPage(page: Page): Tab {
      const tab: Tab = {
        page,
        errors: [],
        console: [],
        storage: () => readGrowlyticsStorage(page),
        identify: (id, attributes) =>
          page.evaluate(([i, a]) => (window as any).growlytics.identify(i, a), [id, attributes] as const),
        flush: (timeoutMs = 20_000) =>
          page.evaluate(
            (t) =>
              new Promise<'resolved' | 'rejected' | 'timeout'>((resolve) => {
                setTimeout(() => resolve('timeout'), t);
                Promise.resolve((window as any).growlytics.flush()).then(
                  () => resolve('resolved'),
                  () => resolve('rejected'),
                );
              }),
            timeoutMs,
          ),
      };
      page.on('pageerror', (e) => tab.errors.push(e));
      page.on('console', (m) => tab.console.push({ type: m.type(), text: m.text() }));
      tabs.push(tab);
      return tab;
    }

    return env;
  }

  return { setup };
}

// ---------------------------------------------------------------- pages

const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
/** Make text safe inside an inline <script>. */
export const inlineScript = (js: string) => js.replace(/<\/script/gi, '<\\/script').replace(/<!--/g, '<\\!--');

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

export async function readGrowlyticsStorage(page: Page): Promise<Record<string, string>> {
  return page.evaluate(() => {
    const out: Record<string, string> = {};
    // Storage.prototype may be sabotaged by a test's init script: read through
    // the instance's own methods captured before any override is impossible,
    // so just report what can be read.
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
  });
}

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

function tabsSummary(tabs: Tab[], events: GrowlyticsErrorEvent[]): string {
  const lines: string[] = [];
  tabs.forEach((t, i) => {
    if (t.errors.length) lines.push(`tab ${i} page errors: ${t.errors.map((e) => e.message).join(' | ')}`);
    const cons = t.console.filter((m) => m.type === 'error' || m.type === 'warning');
    if (cons.length) lines.push(`tab ${i} console: ${cons.slice(-10).map((m) => `${m.type}: ${m.text}`).join(' | ')}`);
  });
  if (events.length) lines.push(`growlytics:error events: ${JSON.stringify(events.slice(-10))}`);
  return lines.join('\n');
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
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
