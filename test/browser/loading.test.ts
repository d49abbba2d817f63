// How a theme loads the bundle: a pre-load command queue with `async` and
// `defer`, push after load, the bundle loaded twice, and a page with an AMD
// loader (RequireJS). SPEC §2 (Files, Loading from a theme); issue 2.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, test } from 'vitest';
import { BUNDLE_PATH, okRequests, pageErrorsOf, sleep, statusCount, useHarness } from './harness';

const h = useHarness();
const require = createRequire(import.meta.url);
const REQUIRE_JS = readFileSync(require.resolve('requirejs/require.js'), 'utf8');

const isApi = () => {
  const g = (window as any).growlytics;
  return !Array.isArray(g) && !!g && ['init', 'identify', 'flush', 'reset', 'push'].every((m) => typeof g[m] === 'function');
};

describe('pre-load command queue', () => {
  test('async: calls pushed before load are replayed in order, after the script-tag configuration', async () => {
    const env = await h.setup();
    // The tag carries a wrong key; the queue's init brings the right one. If the
    // tag's configuration were applied after the replay, every request would 401.
    const before = `
      window.growlytics = window.growlytics || [];
      growlytics.push(['init', { key: ${JSON.stringify(env.key)} }]);
      growlytics.push(['identify', 'pre-a', { score: 1, plan: 'a' }]);
      growlytics.push(['identify', 'pre-b', { score: 'high', note: 'b' }]); // score is a number since pre-a: dropped
      growlytics.push(['identify', 'pre-a', { plan: 'b' }]);                 // later value wins
      window.__wasArray = Array.isArray(window.growlytics);`;
    const after = `
      window.growlytics = window.growlytics || [];
      growlytics.push(['identify', 'pre-c', { plan: 'c' }]);`;
    await env.serve({ '/': env.page({ mode: 'async', key: 'wrong-key', before, after }) });
    const tab = await env.open('/');
    await tab.waitForFunction(isApi, undefined, 10_000);
    expect(await tab.evaluate(() => (window as any).__wasArray)).toBe(true);

    await env.waitFor(
      (c) => ['pre-a', 'pre-b', 'pre-c'].every((id) => okRequests(c, id).length > 0) && c.profiles.get('pre-a')?.attributes.plan === 'b',
      10_000,
      'the queued calls delivered',
    );
    const c = env.collector;
    expect(c.profiles.get('pre-a')?.attributes).toEqual({ score: 1, plan: 'b' });
    expect(c.profiles.get('pre-b')?.attributes).toEqual({ note: 'b' });
    expect(c.profiles.get('pre-c')?.attributes).toEqual({ plan: 'c' });
    expect(statusCount(c, 401)).toBe(0);
    expect(statusCount(c, 422)).toBe(0);
    expect(c.ignored).toEqual([]);

    // push after load still calls the method.
    await tab.evaluate(() => (window as any).growlytics.push(['identify', 'late-1', { plan: 'late' }]));
    await env.waitFor((c2) => okRequests(c2, 'late-1').length === 1, 10_000, 'late-1 delivered');
    expect(c.profiles.get('late-1')?.attributes).toEqual({ plan: 'late' });
    expect(await tab.evaluate(isApi)).toBe(true);
    expect(pageErrorsOf(env.tabs)).toEqual([]);
  });

  test('defer: a queue filled by scripts that run before the deferred bundle is replayed', async () => {
    const env = await h.setup();
    // Inline scripts at the end of <body> run before a deferred script.
    const after = `
      window.growlytics = window.growlytics || [];
      window.__wasArray = Array.isArray(window.growlytics);
      growlytics.push(['identify', 'def-1', { v: 1, plan: 'x' }]);
      growlytics.push(['identify', 'def-2', { v: 10 }]);
      growlytics.push(['identify', 'def-1', { v: 2 }]);`;
    await env.serve({ '/': env.page({ mode: 'defer', after }) });
    const tab = await env.open('/');
    await tab.waitForFunction(isApi, undefined, 10_000);
    expect(await tab.evaluate(() => (window as any).__wasArray)).toBe(true);
    await env.waitFor(
      (c) => c.profiles.get('def-1')?.attributes.v === 2 && okRequests(c, 'def-2').length === 1,
      10_000,
      'def-1 (v 2) and def-2 delivered',
    );
    expect(env.collector.profiles.get('def-1')?.attributes).toEqual({ v: 2, plan: 'x' });
    expect(env.collector.profiles.get('def-2')?.attributes).toEqual({ v: 10 });

    await tab.evaluate(() => (window as any).growlytics.push(['identify', 'def-3']));
    await env.waitFor((c) => okRequests(c, 'def-3').length === 1, 10_000, 'def-3 (pushed after load) delivered');
    expect(statusCount(env.collector, 422)).toBe(0);
    expect(pageErrorsOf(env.tabs)).toEqual([]);
  });

  test('the bundle loaded twice does no harm: one API object, one delivery', async () => {
    const env = await h.setup();
    const before = `
      window.__apis = [];
      window.growlytics = window.growlytics || [];
      growlytics.push(['identify', 'twice-1', { plan: 'once' }]);`;
    const onload = `onload="window.__apis.push(window.growlytics)"`;
    const tag = (extra = '') =>
      `<script src="${BUNDLE_PATH}" data-key="${env.key}" data-endpoint="${env.endpoint}" ${onload} ${extra}></script>`;
    await env.serve({
      '/': env.page({ mode: 'none', before, head: tag() + '\n' + tag('async') }),
    });
    const tab = await env.open('/');
    await tab.waitForFunction(() => (window as any).__apis.length === 2, undefined, 10_000);
    expect(await tab.evaluate(isApi)).toBe(true);
    expect(await tab.evaluate(() => {
      const a = (window as any).__apis;
      return a[0] === a[1] && a[1] === (window as any).growlytics;
    })).toBe(true);

    await tab.identify('twice-2', { plan: 'x' });
    // A theme app block injecting it a third time, after load.
    await tab.evaluate(
      ({ src, key, endpoint }) =>
        new Promise<void>((resolve) => {
          const s = document.createElement('script');
          s.src = src;
          s.dataset.key = key;
          s.dataset.endpoint = endpoint;
          s.onload = () => ((window as any).__apis.push((window as any).growlytics), resolve());
          s.onerror = () => resolve();
          document.head.appendChild(s);
        }),
      { src: BUNDLE_PATH, key: env.key, endpoint: env.endpoint },
    );
    expect(await tab.evaluate(() => (window as any).__apis.length === 3 && (window as any).__apis[2] === (window as any).__apis[0])).toBe(true);
    await tab.identify('twice-3');

    await env.waitFor((c) => ['twice-1', 'twice-2', 'twice-3'].every((id) => okRequests(c, id).length > 0), 10_000, 'twice-1..3 delivered');
    await tab.flush(5_000);
    await sleep(1_500);
    for (const id of ['twice-1', 'twice-2', 'twice-3']) {
      expect(env.collector.requests.filter((r) => r.id === id).length, `requests for ${id}`).toBe(1);
    }
    expect(env.collector.requests.length).toBe(3);
    expect(pageErrorsOf(env.tabs)).toEqual([]);
  });

  test('a page with RequireJS (AMD) loaded first: window.growlytics is the API, no page error, delivery works', async () => {
    const env = await h.setup();
    // A theme's own AMD code running after the bundle: RequireJS throws
    // "Mismatched anonymous define()" here if the bundle called define() anonymously.
    const after = `
      define('theme-module', [], function () { return 'theme'; });
      require(['theme-module'], function (m) { window.__amd = m; });`;
    await env.serve({
      '/': env.page({ mode: 'none', head: `<script>${REQUIRE_JS.replace(/<\/script/gi, '<\\/script')}</script>\n${
        `<script src="${BUNDLE_PATH}" data-key="${env.key}" data-endpoint="${env.endpoint}"></script>`}`, after }),
    });
    const tab = await env.open('/');
    expect(await tab.evaluate(() => typeof (window as any).define === 'function' && !!(window as any).define.amd)).toBe(true);
    expect(await tab.evaluate(isApi)).toBe(true);
    await tab.waitForFunction(() => (window as any).__amd === 'theme', undefined, 5_000);
    const r = await tab.identify('amd-1', { plan: 'amd' });
    expect(r).toEqual({ queued: true, errors: [] });
    await env.waitFor((c) => okRequests(c, 'amd-1').length === 1, 10_000, 'amd-1 delivered');
    await sleep(300);
    expect(pageErrorsOf(env.tabs)).toEqual([]);
  });
});
