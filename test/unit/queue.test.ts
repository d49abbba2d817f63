import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// Enqueues as identify does, committing nothing (validation is tested elsewhere).
const enq = (q: any, id: string, attributes: object) => q.enqueue(id, attributes, () => {});

const load = async () => {
  vi.resetModules();
  return import('../../src/theme/queue'); // no Shopify here: consent allows storing
};

beforeEach(() => localStorage.clear());
afterEach(() => vi.restoreAllMocks());

describe('the durable queue', () => {
  it("merges an id's records in order (later values win) and keeps the id in its oldest place", async () => {
    const q = await load();
    enq(q, 'a', { plan: 'free', n: 1 });
    enq(q, 'b', { x: 1 });
    enq(q, 'a', { plan: 'pro' });
    expect([...q.queued.keys()]).toEqual(['a', 'b']);
    const [keys, merged] = q.take('a');
    expect(keys).toHaveLength(2);
    expect({ ...merged }).toEqual({ plan: 'pro', n: 1 });
  });

  it('removes exactly the records a request carried: a record added meanwhile stays', async () => {
    const q = await load();
    enq(q, 'a', { v: 1 });
    const [keys] = q.take('a');
    enq(q, 'a', { v: 2 });
    keys.forEach(q.remove);
    expect({ ...q.take('a')[1] }).toEqual({ v: 2 });
  });

  it('a record another tab delivered (no storage event yet) is skipped, and the later ones all go, in order', async () => {
    const q = await load();
    enq(q, 'a', { plan: 'old' });
    const [[first]] = q.take('a');
    enq(q, 'a', { plan: 'free' });
    enq(q, 'a', { plan: 'pro' });
    localStorage.removeItem(first); // as another tab does on a 2xx
    const [keys, merged] = q.take('a');
    expect(keys).toHaveLength(2);
    expect({ ...merged }).toEqual({ plan: 'pro' });
  });

  it('caps a merged request at 50 custom attributes, reserved ones aside, and reports what it drops', async () => {
    const q = await load();
    const events: any[] = [];
    const listener = (e: Event) => events.push((e as CustomEvent).detail);
    window.addEventListener('growlytics:error', listener);
    vi.spyOn(console, 'error').mockImplementation(() => {});
    // Records that bypassed identify's count (two tabs racing, an older version).
    enq(q, 'a', Object.fromEntries(Array.from({ length: 40 }, (_, i) => ['a' + i, i])));
    enq(q, 'a', { ...Object.fromEntries(Array.from({ length: 20 }, (_, i) => ['b' + i, i])), name: 'Ada' });
    const merged = q.take('a')[1];
    window.removeEventListener('growlytics:error', listener);
    expect(Object.keys(merged)).toHaveLength(51);
    expect(merged.name).toBe('Ada');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'rejected', id: 'a' });
    expect(events[0].message).toContain('"b19": over 50 custom attributes');
    expect(events[0].message).not.toContain('"b9"');
  });

  it('drops, at send time, a value whose type another tab locked meanwhile, and reports it', async () => {
    const q = await load();
    const events: any[] = [];
    const listener = (e: Event) => events.push((e as CustomEvent).detail);
    window.addEventListener('growlytics:error', listener);
    vi.spyOn(console, 'error').mockImplementation(() => {});
    enq(q, 'a', { score: 'high', plan: 'pro' });
    localStorage.setItem('growlytics:t:score', 'number'); // the other tab's lock won the race
    const merged = q.take('a')[1];
    window.removeEventListener('growlytics:error', listener);
    expect({ ...merged }).toEqual({ plan: 'pro' });
    expect(events.map((e) => e.message)).toEqual(['growlytics: a: not sent: "score": type locked to number']);
    expect(localStorage.getItem('growlytics:t:score')).toBe('number');
    expect(localStorage.getItem('growlytics:t:plan')).toBe('string');
  });

  it('merges in call order even past ten calls in one millisecond (fixed-width sequence in the key)', async () => {
    const q = await load();
    vi.spyOn(Date, 'now').mockReturnValue(1_700_000_000_000);
    for (let v = 0; v < 12; v++) enq(q, 'a', { v });
    const keys = Object.keys(localStorage).filter((k) => k.startsWith('growlytics:r:'));
    expect(keys.slice().sort().map((k) => JSON.parse(localStorage.getItem(k)!).a.v)).toEqual([...Array(12).keys()]);
    expect(q.take('a')[1].v).toBe(11);
  });

  it('refuses an update larger than the whole bound, and evicts nothing for it', async () => {
    const q = await load();
    enq(q, 'a', { x: 1 });
    const accept = vi.fn();
    expect(q.enqueue('b', { big: 'x'.repeat(500_000) }, accept)).toMatch(/over 500000 chars/);
    expect(accept).not.toHaveBeenCalled();
    expect([...q.queued.keys()]).toEqual(['a']);
  });

  it('makes room for a large update by evicting only as many of the oldest as it needs', async () => {
    const q = await load();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    for (let i = 0; i < 5; i++) enq(q, 'id' + i, { v: 'x'.repeat(100_000) });
    expect(q.queued.size).toBe(4); // 5 × 100 KB > 500,000 chars: the oldest went
    enq(q, 'big', { v: 'y'.repeat(150_000) });
    // 4 × 100 KB + 150 KB is over the bound by less than one record: one more goes, not all.
    expect([...q.queued.keys()]).toEqual(['id2', 'id3', 'id4', 'big']);
    expect(warn).toHaveBeenCalledTimes(2);
  });

  it('loads what earlier pages left, oldest first, whatever their age (no age limit, SPEC §3)', async () => {
    const now = Date.now();
    const { recordKey } = await import('../../src/core/record');
    const key = (t: number) => recordKey(t, 0, 'tab001');
    localStorage.setItem(key(now - 1000), JSON.stringify({ i: 'late', a: {}, t: now - 1000 }));
    localStorage.setItem(key(now - 5000), JSON.stringify({ i: 'early', a: {}, t: now - 5000 }));
    localStorage.setItem(key(now - 400 * 864e5), JSON.stringify({ i: 'old', a: {}, t: now - 400 * 864e5 }));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const q = await load();
    const { storedKeys } = await import('../../src/theme/store');
    storedKeys(q.syncQueue);
    expect([...q.queued.keys()]).toEqual(['old', 'early', 'late']);
    expect(warn).not.toHaveBeenCalled();
  });

  it('is bounded: past 2,000 records the oldest go first, each reported', async () => {
    const q = await load();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    for (let i = 0; i < 2003; i++) enq(q, 'id' + i, { i });
    expect(q.queued.size).toBe(2000);
    expect(q.queued.has('id0')).toBe(false);
    expect(q.queued.has('id3')).toBe(true);
    expect(warn).toHaveBeenCalledTimes(3);
  });

  it('indexes each key once: start-up read it, then its storage event came', async () => {
    const q = await load();
    const value = JSON.stringify({ i: 'twice', a: { x: 1 } });
    q.syncQueue('growlytics:r:zz.1', value);
    q.syncQueue('growlytics:r:zz.1', value);
    expect(q.queued.get('twice')).toEqual(['growlytics:r:zz.1']);
    expect(q.take('twice')[0]).toEqual([]); // not in storage: dropped, and the index is empty
    expect(q.queued.size).toBe(0);
  });

  it('start-up deletes leases past their purpose: expired, or of an id with no record; keeps a live one of a queued id', async () => {
    const { LEASE, hash } = await import('../../src/core/record');
    const now = Date.now();
    localStorage.setItem(LEASE + hash('queued'), String(now + 10_000)); // live, its record stored: kept
    localStorage.setItem(LEASE + hash('expired'), String(now - 1)); // expired: deleted
    localStorage.setItem(LEASE + hash('orphan'), String(now + 10_000)); // live, no record: its sender went between the two deletes
    const q = await load();
    enq(q, 'queued', { x: 1 });
    enq(q, 'expired', { x: 1 });
    q.sweepLeases([LEASE + hash('queued'), LEASE + hash('expired'), LEASE + hash('orphan')]);
    expect(Object.keys(localStorage).filter((k) => k.startsWith(LEASE))).toEqual([LEASE + hash('queued')]);
  });

  it('follows other tabs through storage events', async () => {
    const q = await load();
    const value = JSON.stringify({ i: 'other', a: { x: 1 }, t: Date.now() });
    q.syncQueue('growlytics:r:zz.0', value);
    expect([...q.queued.keys()]).toEqual(['other']);
    q.syncQueue('growlytics:r:zz.0', null);
    expect(q.queued.size).toBe(0);
  });
});

describe('storage deletes', () => {
  it('go through while consent is not given (removing data is never storing it), but never in the theme editor', async () => {
    vi.resetModules();
    const { del } = await import('../../src/theme/store');
    localStorage.setItem('growlytics:x', '1');
    (window as any).Shopify = { customerPrivacy: { analyticsProcessingAllowed: () => false } };
    try {
      del('growlytics:x');
      expect(localStorage.getItem('growlytics:x')).toBe(null);
      localStorage.setItem('growlytics:x', '1');
      (window as any).Shopify = { designMode: true };
      del('growlytics:x');
      expect(localStorage.getItem('growlytics:x')).toBe('1');
    } finally {
      delete (window as any).Shopify;
    }
  });
});
