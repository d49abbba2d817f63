// The harness itself, in each engine: what every other browser test takes
// for granted from env and tab (test/engines/, harness.ts, probe.ts). If one
// of these fails in one engine only, the engine layer is at fault, not the
// snippet.
import { describe, expect, test } from 'vitest';
import { ENGINE, sleep, useHarness } from './harness';

const h = useHarness();

const PAGE = '<!doctype html><html><head><meta charset="utf-8"><title>harness</title></head><body><p>harness test</p></body></html>';

describe(`the harness in ${ENGINE}`, () => {
  test('evaluate: arguments and results keep undefined, Date, NaN, ±Infinity and -0; a throw names the engine', async () => {
    const env = await h.setup();
    await env.serve({ '/': PAGE });
    const tab = await env.open('/');
    const arg = { u: undefined, d: new Date(1_700_000_000_123), n: NaN, i: -Infinity, z: -0, list: [1, undefined, 'x'] };
    const back = await tab.evaluate((a) => ({ ...a, types: [typeof a.u, a.d instanceof Date, Number.isNaN(a.n), Object.is(a.z, -0)] }), arg);
    expect(back).toEqual({ ...arg, types: ['undefined', true, true, true] });
    expect(Object.is(back.z, -0)).toBe(true);
    expect(await tab.evaluate(() => undefined)).toBeUndefined();
    expect(await tab.evaluate(async (x) => new Promise((r) => setTimeout(() => r(x * 2), 50)), 21)).toBe(42);
    await expect(tab.evaluate(() => (null as any).boom)).rejects.toThrow(`[${ENGINE}] evaluate threw in the page`);
  });

  test('console, page errors and growlytics:error events reach the test, also from a page that navigated away at once', async () => {
    const env = await h.setup();
    await env.serve({ '/': PAGE, '/next': PAGE });
    const tab = await env.open('/');
    await tab.evaluate(() => {
      console.warn('careful', { a: 1 });
      console.error('bad');
      setTimeout(() => {
        throw new TypeError('thrown late');
      });
      Promise.reject(new RangeError('not handled'));
    });
    // Reported over HTTP: already there once evaluate returns, for what ran in it.
    expect(tab.console).toEqual([
      { type: 'warning', text: 'careful {"a":1}' },
      { type: 'error', text: 'bad' },
    ]);
    await expect.poll(() => tab.errors.map((e) => `${e.name}: ${e.message}`).sort(), { timeout: 5_000 }).toEqual([
      'RangeError: not handled',
      'TypeError: thrown late',
    ]);
    await tab
      .evaluate(() => {
        dispatchEvent(new CustomEvent('growlytics:error', { detail: { type: 'evicted', id: 'x-1', message: 'gone' } }));
        console.log('leaving');
        location.href = '/next';
      })
      .catch(() => {}); // the navigation may end the evaluation
    await tab.waitForFunction(() => location.pathname === '/next', undefined, 10_000);
    await expect.poll(() => env.events, { timeout: 5_000 }).toEqual([
      { type: 'evicted', id: 'x-1', message: 'gone', url: `${env.origin}/` },
    ]);
    await expect.poll(() => tab.console.map((m) => m.text), { timeout: 5_000 }).toContain('leaving');
  });

  test('what a page reports while it loads is there when open, goto and reload return', async () => {
    const env = await h.setup();
    const LOUD = `<!doctype html><html><head><script>
      console.error('loading ' + location.pathname);
      dispatchEvent(new CustomEvent('growlytics:error', { detail: { type: 'unauthorized', id: null, message: location.pathname } }));
    </script></head><body></body></html>`;
    await env.serve({ '/a': LOUD, '/b': LOUD });
    const tab = await env.open('/a');
    expect(env.events.map((e) => e.message)).toEqual(['/a']);
    await tab.goto('/b');
    expect(env.events.map((e) => e.message)).toEqual(['/a', '/b']);
    await tab.reload();
    expect(env.events.map((e) => e.message)).toEqual(['/a', '/b', '/b']);
    expect(tab.console.map((m) => m.text)).toEqual(['loading /a', 'loading /b', 'loading /b']);
  });

  test('two tabs of a context share storage; another context does not; init scripts and cookies stay in their context', async () => {
    const env = await h.setup();
    await env.serve({ '/': PAGE });
    await env.context.addInitScript('window.__init = (window.__init || 0) + 1;');
    await env.context.addCookies([{ name: 'who', value: 'first', url: env.origin }]);
    const a = await env.open('/');
    const b = await env.open('/');
    await a.evaluate(() => localStorage.setItem('shared', 'yes'));
    expect(await b.evaluate(() => [localStorage.getItem('shared'), (window as any).__init, document.cookie])).toEqual(['yes', 1, 'who=first']);
    expect(await b.evaluate(() => document.visibilityState)).toBe('visible');
    expect(await a.evaluate(() => document.visibilityState), 'a second tab leaves the first one visible').toBe('visible');

    const other = await env.newContext();
    const c = await env.open('/', other);
    expect(await c.evaluate(() => [localStorage.getItem('shared'), (window as any).__init ?? null, document.cookie])).toEqual([null, null, '']);

    await env.context.clearCookies();
    await a.reload();
    expect(await a.evaluate(() => [document.cookie, (window as any).__init])).toEqual(['', 1]);
  });

  test('close runs pagehide at once (a closed tab hears no answer); waitForFunction waits, bounded', async () => {
    const env = await h.setup();
    let answered = 0;
    await env.serve({
      '/': PAGE,
      // Answers after 1.5 s: a closed tab must be gone by then.
      '/slow': async () => {
        await sleep(1_500);
        answered++;
        return 'late';
      },
    });
    const a = await env.open('/');
    await a.evaluate(() => {
      addEventListener('pagehide', () => console.log('pagehide'));
      fetch('/slow').then(() => localStorage.setItem('heard', '1'));
    });
    await sleep(200);
    await a.close();
    await expect.poll(() => answered, { timeout: 5_000 }).toBe(1);
    await sleep(300);
    const b = await env.open('/');
    expect(await b.evaluate(() => localStorage.getItem('heard')), 'the closed tab ran after close').toBe(null);
    expect(a.console.map((m) => m.text)).toContain('pagehide');

    const t1 = Date.now();
    await expect(b.waitForFunction(() => (window as any).never, undefined, 500)).rejects.toThrow(`[${ENGINE}] waitForFunction timed out`);
    expect(Date.now() - t1).toBeLessThan(5_000);
  });
});
