// The harness's eyes inside every storefront page, the same in every engine.
//
// The storefront puts PROBE at the very start of each page's <head> (before
// any page script, as an init script would run). It reports console output,
// uncaught errors, unhandled rejections and `growlytics:error` events to the
// storefront's /__gtl/report, where the Node side (ReportSink) files them
// under the tab that sent them. It reports over HTTP, not by being polled,
// so what a page reported just before it navigated away or closed is still
// seen: batches go by plain fetch (no keepalive, so the probe never takes
// from the keepalive quota the snippet budgets), and whatever is not yet
// acknowledged when the page is hidden for good goes by sendBeacon.
//
// Tabs are told apart by window.name (`gtl:<context>:<tab>`), which the
// harness sets on a blank page of the storefront before the tab's first real
// navigation and which survives same-origin navigations and reloads
// (WebKit clears it when the tab leaves about:blank, hence the blank page).
//
// Init scripts of a context (env.context.addInitScript) run right after the
// probe in that context's pages only, chosen by the same window.name.

export const REPORT_PATH = '/__gtl/report';
export const BLANK_PATH = '/__gtl/blank';
export const BLANK_PAGE = '<!doctype html><html><head><meta charset="utf-8"><title>harness</title><link rel="icon" href="data:,"></head><body></body></html>';

/** A beacon larger than this is cut (the snippet budgets 48 of the 64 KiB keepalive quota). */
const BEACON_MAX = 8 * 1024;

// ES5 and self-contained: it runs before anything else in the page and must never throw.
export const PROBE = `(function () {
  if (window.__gtlProbe) return;
  var m = /^gtl:([^:]+):[^:]+$/.exec(String(window.name || ''));
  var tab = m ? window.name : null, ctx = m ? m[1] : null;
  var page = Math.random().toString(36).slice(2) + Date.now().toString(36);
  var REPORT = ${JSON.stringify(REPORT_PATH)}, BEACON_MAX = ${BEACON_MAX};
  // Captured before page code runs: a test may sabotage built-ins.
  var fetch_ = window.fetch, stringify = JSON.stringify, beacon = navigator.sendBeacon;
  var seq = 0, buffer = [], inflight = null, scheduled = false, leaving = false;
  function text(v) {
    try {
      if (typeof v === 'string') return v;
      if (v instanceof Error) return String(v);
      if (v !== null && typeof v === 'object') return stringify(v);
      return String(v);
    } catch (e) { return Object.prototype.toString.call(v); }
  }
  function post() {
    scheduled = false;
    if (inflight || !buffer.length) return;
    inflight = buffer;
    buffer = [];
    var sent = inflight;
    fetch_.call(window, REPORT, { method: 'POST', body: stringify({ tab: tab, page: page, messages: sent }) }).then(
      function () { if (inflight === sent) inflight = null; schedule(); },
      function () { if (inflight === sent) { buffer = sent.concat(buffer); inflight = null; } }
    );
  }
  function schedule() {
    if (scheduled || !buffer.length) return;
    scheduled = true;
    Promise.resolve().then(post);
  }
  function sendBeacon(messages) {
    if (!messages.length || typeof beacon !== 'function') return;
    var body = stringify({ tab: tab, page: page, messages: messages });
    while (body.length > BEACON_MAX && messages.length > 1) {
      messages = messages.slice(0, -1);
      body = stringify({ tab: tab, page: page, messages: messages });
    }
    try { beacon.call(navigator, REPORT, body); } catch (e) {}
  }
  function report(kind, data) {
    try {
      var m = { seq: ++seq, kind: kind, data: data, url: String(location.href) };
      // While the page is being left, a fetch would be cancelled: each report goes by beacon.
      if (leaving) return sendBeacon([m]);
      buffer.push(m);
      schedule();
    } catch (e) {}
  }
  ['log', 'info', 'warn', 'error', 'debug'].forEach(function (method) {
    var original = console[method];
    if (typeof original !== 'function') return;
    console[method] = function () {
      var parts = [];
      for (var i = 0; i < arguments.length; i++) parts.push(text(arguments[i]));
      report('console', { type: method === 'warn' ? 'warning' : method, text: parts.join(' ').slice(0, 4000) });
      return original.apply(this, arguments);
    };
  });
  function errorData(err, fallback) {
    var e = err || {};
    return {
      name: String((e && e.name) || 'Error'),
      message: String(e && e.message !== undefined ? e.message : err !== undefined && err !== null ? text(err) : fallback).slice(0, 4000),
      stack: String((e && e.stack) || '').slice(0, 4000)
    };
  }
  addEventListener('error', function (e) {
    // Only script errors: a failed <img> or <script> load is an Event, not an ErrorEvent.
    if (typeof ErrorEvent === 'function' && !(e instanceof ErrorEvent)) return;
    report('pageerror', errorData(e.error, e.message));
  });
  addEventListener('unhandledrejection', function (e) {
    report('pageerror', errorData(e.reason, 'unhandled rejection'));
  });
  addEventListener('growlytics:error', function (e) {
    var d = (e && e.detail) || {};
    report('event', { type: String(d.type), id: d.id === undefined || d.id === null ? null : String(d.id), message: String(d.message) });
  });
  // Leaving: what is not acknowledged goes by beacon (the Node side drops
  // duplicates), and so does what the page's own pagehide and unload
  // listeners report after this one (registered first, it runs first).
  addEventListener('pagehide', function () {
    leaving = true;
    var all = (inflight || []).concat(buffer);
    buffer = [];
    sendBeacon(all);
  });
  addEventListener('pageshow', function () { leaving = false; });
  Object.defineProperty(window, '__gtlProbe', {
    value: { tab: tab, ctx: ctx, page: page, count: function () { return seq; } }
  });
})();`;

const inline = (js: string) => js.replace(/<\/script/gi, '<\\/script').replace(/<!--/g, '<\\!--');

/** What the storefront puts at the start of <head>: the probe, then each context's init scripts. */
export function headStart(initScripts: { ctx: string; source: string }[]): string {
  const parts = [`<script>${inline(PROBE)}</script>`];
  for (const s of initScripts) {
    // Indirect eval runs the source as a top-level script (global scope), as
    // an init script does; an exception in it is an uncaught page error.
    parts.push(
      `<script>if (window.__gtlProbe && window.__gtlProbe.ctx === ${JSON.stringify(s.ctx)}) (0, eval)(${inline(JSON.stringify(s.source))});</script>`,
    );
  }
  return parts.join('');
}

export interface ProbeMessage {
  seq: number;
  kind: 'console' | 'pageerror' | 'event';
  data: any;
  url: string;
}

export interface ReportSink {
  /** the storefront page for REPORT_PATH: files a batch, answers ''. */
  endpoint(req: any): Promise<string>;
  /** resolves once the first `n` messages of `page` arrived, or after `timeoutMs` (then false). */
  caughtUp(page: string, n: number, timeoutMs: number): Promise<boolean>;
}

/** The Node side: `deliver(tab, message)` is called once per message, in order of arrival. */
export function createReportSink(deliver: (tab: string | null, m: ProbeMessage) => void): ReportSink {
  const seen = new Map<string, Set<number>>();
  const waiters = new Set<() => void>();

  function file(batch: { tab?: unknown; page?: unknown; messages?: unknown }) {
    if (typeof batch.page !== 'string' || !Array.isArray(batch.messages)) return;
    let got = seen.get(batch.page);
    if (!got) seen.set(batch.page, (got = new Set()));
    for (const m of batch.messages as ProbeMessage[]) {
      if (!m || typeof m.seq !== 'number' || got.has(m.seq)) continue;
      got.add(m.seq);
      deliver(typeof batch.tab === 'string' ? batch.tab : null, m);
    }
    for (const w of [...waiters]) w();
  }

  return {
    async endpoint(req) {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      try {
        file(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        // a cut or garbled batch: the next one carries on
      }
      return '';
    },
    caughtUp(page, n, timeoutMs) {
      const done = () => (seen.get(page)?.size ?? 0) >= n;
      if (done()) return Promise.resolve(true);
      return new Promise((resolve) => {
        const check = () => {
          if (!done()) return;
          finish(true);
        };
        const timer = setTimeout(() => finish(false), timeoutMs);
        function finish(ok: boolean) {
          clearTimeout(timer);
          waiters.delete(check);
          resolve(ok);
        }
        waiters.add(check);
      });
    },
  };
}
