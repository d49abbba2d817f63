// The request timer of transport.ts (issue 10): 6 s per request, cleared when
// the request ends, so no timer task fires later for a request that was
// answered. `fetch` is a stand-in here, on purpose: these tests are about the
// timer, not delivery (the browser tests deliver to a real collector).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { post } from '../../src/transport';

/** A `fetch` that answers 200 "ok", or never answers and rejects when its signal aborts. */
const answering = async () => ({ status: 200, headers: new Headers({ 'retry-after': '3' }), text: async () => 'ok' });
const hanging = (_: string, init: RequestInit) =>
  new Promise((_resolve, reject) => init.signal!.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));

describe('post: one timer per request, cleared when it ends', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it('an answered request leaves no timer behind', async () => {
    vi.stubGlobal('fetch', vi.fn(answering));
    expect(await post('https://collector.test/track/user', 'k', '{}', false)).toEqual([200, '3', 'ok']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a request that fails at once leaves no timer behind', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))));
    expect(await post('https://collector.test/track/user', 'k', '{}', true)).toEqual([0]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a request with no answer is given up after 6 s, not before', async () => {
    vi.stubGlobal('fetch', vi.fn(hanging));
    let answer: unknown;
    void post('https://collector.test/track/user', 'k', '{}', false).then((a) => (answer = a));
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(5_999);
    expect(answer).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(answer).toEqual([0]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
