import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// The theme's adapter of the delivery rules (src/theme/sender.ts) in
// happy-dom, with a stubbed fetch: the relay's keyless mode (SPEC §2, §6)
// and the debug lines another engineer's browser test matches (SPEC §2).
// The page is http://localhost:3000 (vitest's happy-dom default).

let requests: { url: string; init: RequestInit }[];

const load = async () => {
  vi.resetModules();
  const { config } = await import('../../src/theme/config');
  const queue = await import('../../src/theme/queue');
  const sender = await import('../../src/theme/sender');
  return { config, enqueue: (id: string) => queue.enqueue(id, { plan: 'pro' }, () => {}), ...sender };
};

beforeEach(() => {
  localStorage.clear();
  requests = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit) => {
      requests.push({ url, init });
      return new Response('{"success":true}', { status: 200 });
    }),
  );
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('a relay on the page\'s own origin needs no key', () => {
  it('sends to a same-origin endpoint without a key, and then no key header', async () => {
    const s = await load();
    s.config.key = '';
    s.config.endpoint = '/apps/growlytics/track/user';
    s.enqueue('ada');
    await s.kick();
    expect(requests.map((r) => [r.url, r.init.headers])).toEqual([['/apps/growlytics/track/user', { 'content-type': 'text/plain' }]]);
  });

  it('a cross-origin endpoint without a key sends nothing; with a key, the key header', async () => {
    const s = await load();
    s.config.key = '';
    s.enqueue('ada');
    await s.kick(); // the drain had its chance
    expect(requests).toEqual([]);
    s.config.key = 'key-1';
    await s.kick();
    expect(requests.map((r) => [r.url, (r.init.headers as any)['x-growlytics-key']])).toEqual([['https://dc.growlytics.in/track/user', 'key-1']]);
  });
});

describe('debug lines (SPEC §2)', () => {
  it('sent, answered, and what waits and why, once per change', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const s = await load();
    s.config.debug = true;
    s.enqueue('ada');
    await s.kick();
    await s.kick();
    s.config.key = 'key-1';
    await s.kick();
    expect(log.mock.calls).toEqual([
      ['growlytics:', 'waiting:', 'no key'],
      ['growlytics:', 'sent', 'ada'],
      ['growlytics:', 'answered', 'ada', 200],
    ]);
  });
});
