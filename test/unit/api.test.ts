import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanInstalls } from './clean-install';
import { recordKey } from '../../src/core/record';

cleanInstalls();

// The snippet keeps one instance per page in module state: each test loads
// fresh modules against a clean window.
const load = async () => {
  vi.resetModules();
  const { install } = await import('../../src/theme/client');
  const { config } = await import('../../src/theme/config');
  return { install, config };
};

const records = () =>
  Object.keys(localStorage)
    .filter((k) => k.startsWith('growlytics:r:'))
    .map((k) => JSON.parse(localStorage.getItem(k)!));

beforeEach(() => {
  localStorage.clear();
  delete (window as any).growlytics;
  delete (window as any).Shopify;
});
afterEach(() => vi.restoreAllMocks());

describe('configuration', () => {
  it('has the SPEC defaults', async () => {
    const { install, config } = await load();
    install(window);
    expect(config.key).toBe('');
    expect(config.endpoint).toBe('https://dc.growlytics.in/track/user');
    expect(config.debug).toBe(false);
    expect(config.autoIdentify).toBe(true);
    expect(config.respectConsent).toBe(true);
  });

  it('init sets each option, a later call overrides, wrong types and unknown options are ignored', async () => {
    const { install, config } = await load();
    const api = install(window);
    api.init({ key: 'k1', endpoint: 'http://127.0.0.1:1/track/user', debug: true, autoIdentify: false, respectConsent: false, extra: 1 } as any);
    expect([config.key, config.endpoint, config.debug, config.autoIdentify, config.respectConsent]).toEqual([
      'k1', 'http://127.0.0.1:1/track/user', true, false, false,
    ]);
    api.init({ key: 'k2', debug: 'yes', endpoint: 42, autoIdentify: 1 } as any);
    expect([config.key, config.endpoint, config.debug, config.autoIdentify]).toEqual(['k2', 'http://127.0.0.1:1/track/user', true, false]);
  });

  it("an app proxy path on the page's origin with no key is taken as it is, without a complaint (SPEC §6)", async () => {
    const { install, config } = await load();
    const api = install(window);
    const reports: unknown[] = [];
    const listener = (e: Event) => reports.push((e as CustomEvent).detail);
    window.addEventListener('growlytics:error', listener);
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      api.init({ endpoint: '/apps/growlytics/track/user', debug: true });
    } finally {
      window.removeEventListener('growlytics:error', listener);
    }
    expect([config.key, config.endpoint]).toEqual(['', '/apps/growlytics/track/user']);
    expect(reports).toEqual([]);
    expect(error).not.toHaveBeenCalled();
  });

  it('debug prints validation errors; without it the console stays quiet', async () => {
    const { install } = await load();
    const api = install(window);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    api.identify('a', { bad: null });
    expect(warn).not.toHaveBeenCalled();
    api.init({ debug: true });
    api.identify('a', { bad: null });
    expect(warn).toHaveBeenCalledWith('growlytics:', ['"bad": not string/number/boolean/Date']);
  });
});

describe('what init takes as a key or an endpoint (SPEC §2)', () => {
  // The rules are checked by hand, not by building a Request (issue 15):
  // test/browser/promises.test.ts holds them against each engine's own
  // Headers and Request.
  const refusedBy = async (name: 'key' | 'endpoint', values: string[]) => {
    const { install, config } = await load();
    const api = install(window);
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const taken: unknown[] = [];
    for (const value of values) {
      error.mockClear();
      api.init({ [name]: value });
      taken.push(error.mock.calls.length ? 'refused' : config[name]);
    }
    return taken;
  };

  it('a key: any header value fetch can send, trimmed; not one with a character past U+00FF, NUL, CR or LF inside', async () => {
    expect(
      await refusedBy('key', ['plain-key', ' padded\t', 'nbsp\u00a0', 'latin-\u00e9\u00ff', 'del\x7f tab\t', 'zero\u200bwidth', 'a\u0100', 'emoji\u{1F600}', 'nul\0x', 'cr\rx', 'lf\nx']),
    ).toEqual(['plain-key', 'padded', 'nbsp', 'latin-\u00e9\u00ff', 'del\x7f tab', 'refused', 'refused', 'refused', 'refused', 'refused', 'refused']);
  });

  it("an endpoint: an http(s) URL, or a path resolved against the page's own", async () => {
    expect(
      await refusedBy('endpoint', ['/apps/growlytics/track/user', 'HTTPS://Example.com/t', '//cdn.example.com/t', 'ftp://x', 'mailto:a@b.c', 'https://exa mple.com/t', 'http://[::1/t']),
    ).toEqual(['/apps/growlytics/track/user', 'HTTPS://Example.com/t', '//cdn.example.com/t', 'refused', 'refused', 'refused', 'refused']);
  });
});

describe('the debug switch reads the page URL\'s query (SPEC §2)', () => {
  it('=1 and =0 in the query, anywhere in it; not in the fragment or the path, nor another name ending the same', async () => {
    vi.resetModules();
    const { debugSwitch } = await import('../../src/theme/debug');
    const on = (url: string) => debugSwitch(url);
    expect(on('https://s.example/?growlytics_debug=1')).toBe(true);
    expect(on('https://s.example/p')).toBe(true); // remembered
    expect(on('https://s.example/?a=1&growlytics_debug=0#x')).toBe(false);
    expect(on('https://s.example/#?growlytics_debug=1')).toBe(false);
    expect(on('https://s.example/p&growlytics_debug=1')).toBe(false);
    expect(on('https://s.example/?my_growlytics_debug=1')).toBe(false);
    expect(on('https://s.example/?q=a?b&growlytics_debug=1')).toBe(true);
  });
});

describe('a page back from the back/forward cache (issue 15)', () => {
  it('looks again for what another tab left while it was away, and sends it', async () => {
    const sent: string[] = [];
    vi.stubGlobal('fetch', vi.fn(async (_url: string, init: RequestInit) => {
      sent.push(JSON.parse(init.body as string).id);
      return new Response('{}', { status: 200 });
    }));
    try {
      // A returning visitor whose last scan found nothing: the load does not scan.
      localStorage.setItem('growlytics:s', String(Date.now() - 60_000));
      const { install } = await load();
      const api = install(window);
      api.init({ key: 'k' });
      await api.flush();
      window.dispatchEvent(new Event('pageshow')); // the load's own: nothing new
      expect(sent).toEqual([]);
      window.dispatchEvent(new Event('pagehide'));
      // Another tab queues a profile while this page sits in the cache.
      localStorage.setItem('growlytics:q', String(Date.now()));
      localStorage.setItem(recordKey(Date.now(), 0, 'other'), JSON.stringify({ i: 'from-b', a: { n: 1 } }));
      window.dispatchEvent(new Event('pageshow'));
      await vi.waitFor(() => expect(sent).toEqual(['from-b']), { timeout: 2000 });
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe('messages that say what to fix (issue 17, item 3)', () => {
  it('identify({ email }): the id forgotten, an object in its place, is named as such', async () => {
    const { install } = await load();
    const api = install(window);
    expect(api.identify({ email: 'ada@example.com' } as any)).toEqual({ queued: false, errors: ['id: an object where the id belongs'] });
    expect(records()).toEqual([]);
  });

  it('Infinity and an invalid Date are named for what they are', async () => {
    const { install } = await load();
    const api = install(window);
    expect(api.identify('m-1', { score: Infinity, since: new Date('nope'), ok: 1 })).toEqual({
      queued: true,
      errors: ['"score": not a finite number', '"since": an invalid Date'],
    });
  });

  it('in the theme editor identify answers queued: false and says why; nothing is stored', async () => {
    const { install } = await load();
    (window as any).Shopify = { designMode: true };
    const api = install(window);
    expect(api.identify('editor-1', { plan: 'pro', bad: null })).toEqual({
      queued: false,
      errors: ['"bad": not string/number/boolean/Date', 'theme editor: preview stores and sends nothing'],
    });
    expect(Object.keys(localStorage)).toEqual([]);
  });

  it('a refused endpoint or key is printed readably, only invisible characters escaped', async () => {
    const { install } = await load();
    const api = install(window);
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    api.init({ endpoint: 'ftp://x' });
    // (A key with a zero-width space: happy-dom's Headers takes it; test/browser/promises.test.ts has it.)
    api.init({ endpoint: 'javascript:alert(1)\n' });
    expect(error.mock.calls).toEqual([
      ['growlytics: endpoint refused: ftp://x'],
      ['growlytics: endpoint refused: javascript:alert(1)%0A'],
    ]);
  });
});

describe('the pre-load command queue', () => {
  it('replays commands in order, then window.growlytics is the API and push still works', async () => {
    const { install, config } = await load();
    (window as any).growlytics = [
      ['identify', 'first', { n: 1 }],
      // A closed loopback port: unit tests never reach the network.
      ['init', { key: 'from-queue', endpoint: 'http://127.0.0.1:9/track/user' }],
      ['identify', 'second', { n: 2 }],
      ['nonsense', 1],
      'not an array',
    ];
    const api = install(window);
    expect((window as any).growlytics).toBe(api);
    expect(config.key).toBe('from-queue');
    expect(records().map((r) => [r.i, r.a])).toEqual([['first', { n: 1 }], ['second', { n: 2 }]]);
    (window as any).growlytics.push(['identify', 'third', { n: 3 }]);
    expect(records().map((r) => r.i)).toEqual(['first', 'second', 'third']);
  });

  it('a second copy of the bundle finds the live API and leaves it alone', async () => {
    const { install } = await load();
    const api = install(window);
    const again = await load();
    expect(again.install(window)).toBe(api);
  });
});

describe('identify', () => {
  it('answers {queued, errors}, persists before returning, and needs an id', async () => {
    const { install } = await load();
    const api = install(window);
    expect(api.identify('cust-42', { plan: 'pro' })).toEqual({ queued: true, errors: [] });
    expect(records()).toMatchObject([{ i: 'cust-42', a: { plan: 'pro' } }]);
    expect(api.identify()).toEqual({ queued: false, errors: ['id: none given, no logged-in customer to default to'] });
    expect(api.identify('x', [1] as any)).toEqual({ queued: false, errors: ['attributes: not a plain object'] });
    expect(api.identify('x', new Date() as any).queued).toBe(false);
    expect(api.identify('x', 'str' as any).queued).toBe(false);
    expect(api.identify('only-id')).toEqual({ queued: true, errors: [] });
    expect(records().at(-1)).toMatchObject({ i: 'only-id', a: {} });
  });

  it('remembers the type lock and the per-id names across page loads', async () => {
    let { install } = await load();
    install(window).identify('a', { plan: 'pro', ...Object.fromEntries(Array.from({ length: 49 }, (_, i) => ['c' + i, i])) });
    delete (window as any).growlytics;
    ({ install } = await load());
    const result = install(window).identify('a', { plan: 3, extra: 1, c0: 5 });
    expect(result.errors).toEqual(['"plan": type locked to string', '"extra": over 50 custom attributes']);
    expect(result.queued).toBe(true);
  });

  it('never throws, whatever it is given', async () => {
    const { install } = await load();
    const api = install(window);
    const hostile = [
      new Proxy({}, { ownKeys: () => { throw new Error('trap'); } }),
      Object.defineProperty({}, 'x', { enumerable: true, get: () => { throw new Error('getter'); } }),
      (() => { const o: any = {}; o.self = o; return o; })(),
      { [Symbol('s')]: 1 },
    ];
    for (const attributes of hostile) {
      const r = api.identify('h', attributes as any);
      expect(typeof r.queued).toBe('boolean');
      expect(Array.isArray(r.errors)).toBe(true);
    }
    for (const args of [[Symbol('s')], [{}], [() => 1], [null, null], [10n]]) expect(() => (api.identify as any)(...args)).not.toThrow();
    expect(() => (api.init as any)(null)).not.toThrow();
    expect(() => (api.init as any)(new Proxy({}, { get: () => { throw new Error('x'); } }))).not.toThrow();
    expect(() => (api.push as any)(null, 5, ['identify', Symbol('x')])).not.toThrow();
    await expect(api.flush()).resolves.toBeUndefined();
  });
});

describe('storage failures', () => {
  it('keeps working from memory when setItem throws, and never moves persisted records out', async () => {
    localStorage.setItem('growlytics:r:old.0', JSON.stringify({ i: 'old', a: { x: 1 }, t: Date.now() }));
    const { install } = await load();
    const api = install(window);
    vi.spyOn(Storage.prototype, 'setItem').mockImplementation(() => {
      throw new DOMException('full', 'QuotaExceededError');
    });
    expect(api.identify('new', { y: 2 })).toEqual({ queued: true, errors: [] });
    expect(localStorage.getItem('growlytics:r:old.0')).not.toBeNull();
    const { queued } = await import('../../src/theme/queue');
    expect([...queued.keys()]).toEqual(['old', 'new']);
  });

  it('garbage under our keys loses only itself', async () => {
    localStorage.setItem('growlytics:r:bad.0', '{not json');
    localStorage.setItem('growlytics:r:bad.1', '"a string"');
    localStorage.setItem('growlytics:r:good.0', JSON.stringify({ i: 'good', a: { x: 1 }, t: Date.now() }));
    localStorage.setItem('growlytics:t', '[1,2]');
    localStorage.setItem('theme:key', 'kept');
    const { install } = await load();
    expect(install(window).identify('later', { x: 2 }).queued).toBe(true);
    const { queued } = await import('../../src/theme/queue');
    expect([...queued.keys()]).toEqual(['good', 'later']);
    expect(localStorage.getItem('growlytics:r:bad.0')).toBeNull();
    expect(localStorage.getItem('theme:key')).toBe('kept');
  });
});
