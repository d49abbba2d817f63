import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const load = async () => {
  vi.resetModules();
  const store = await import('../../src/store');
  store.openStore(window, () => true);
  return import('../../src/queue');
};

beforeEach(() => localStorage.clear());
afterEach(() => vi.restoreAllMocks());

describe('the durable queue', () => {
  it("merges an id's records in order (later values win) and keeps the id in its oldest place", async () => {
    const q = await load();
    q.enqueue('a', { plan: 'free', n: 1 });
    q.enqueue('b', { x: 1 });
    q.enqueue('a', { plan: 'pro' });
    expect([...q.queued.keys()]).toEqual(['a', 'b']);
    const [keys, merged] = q.take('a');
    expect(keys).toHaveLength(2);
    expect({ ...merged }).toEqual({ plan: 'pro', n: 1 });
  });

  it('removes exactly the records a request carried: a record added meanwhile stays', async () => {
    const q = await load();
    q.enqueue('a', { v: 1 });
    const [keys] = q.take('a');
    q.enqueue('a', { v: 2 });
    keys.forEach(q.remove);
    expect({ ...q.take('a')[1] }).toEqual({ v: 2 });
  });

  it('caps a merged request at 50 custom attributes, reserved ones aside', async () => {
    const q = await load();
    q.enqueue('a', Object.fromEntries(Array.from({ length: 40 }, (_, i) => ['a' + i, i])));
    q.enqueue('a', { ...Object.fromEntries(Array.from({ length: 20 }, (_, i) => ['b' + i, i])), name: 'Ada' });
    const merged = q.take('a')[1];
    expect(Object.keys(merged)).toHaveLength(51);
    expect(merged.name).toBe('Ada');
  });

  it('loads what earlier pages left, oldest first, and evicts expired records with a report', async () => {
    const now = Date.now();
    // Record keys carry their time in base 36, so they sort oldest first.
    const key = (t: number) => 'growlytics:r:' + t.toString(36) + 'tab001' + 0;
    localStorage.setItem(key(now - 1000), JSON.stringify({ i: 'late', a: {}, t: now - 1000 }));
    localStorage.setItem(key(now - 5000), JSON.stringify({ i: 'early', a: {}, t: now - 5000 }));
    localStorage.setItem(key(now - 8 * 864e5), JSON.stringify({ i: 'stale', a: {}, t: now - 8 * 864e5 }));
    const events: any[] = [];
    window.addEventListener('growlytics:error', (e) => events.push((e as CustomEvent).detail));
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const q = await load();
    const { storedKeys } = await import('../../src/store');
    q.loadQueue(storedKeys());
    expect([...q.queued.keys()]).toEqual(['early', 'late']);
    expect(events).toEqual([{ type: 'evicted', id: 'stale', message: 'growlytics: stale evicted (expired)' }]);
    expect(localStorage.getItem(key(now - 8 * 864e5))).toBeNull();
  });

  it('is bounded: past 2,000 records the oldest go first, each reported', async () => {
    const q = await load();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    for (let i = 0; i < 2003; i++) q.enqueue('id' + i, { i });
    expect(q.queued.size).toBe(2000);
    expect(q.queued.has('id0')).toBe(false);
    expect(q.queued.has('id3')).toBe(true);
    expect(warn).toHaveBeenCalledTimes(3);
  });

  it('follows other tabs through storage events', async () => {
    const q = await load();
    const value = JSON.stringify({ i: 'other', a: { x: 1 }, t: Date.now() });
    q.syncQueue({ key: 'growlytics:r:zz.0', newValue: value } as StorageEvent);
    expect([...q.queued.keys()]).toEqual(['other']);
    q.syncQueue({ key: 'growlytics:r:zz.0', newValue: null } as StorageEvent);
    expect(q.queued.size).toBe(0);
  });
});
