import { commit, countedFor, lockOf } from './known';
import { RECORD, recordKey, type StoredRecord } from './record';
import { report } from './report';
import { forgetPrint } from './shopify';
import { del, get, memory, parse, set } from './store';
import { checkAttributes, isPlainObject, type Attributes } from './validate';

/** A stored record with `_size` (its JSON length), kept in memory only. */
type Record = StoredRecord & { _size: number };

// Generous bounds (SPEC §3: hundreds of profiles) that still leave the
// origin's 5 MB to the theme: a store offline for weeks cannot fill it.
const MAX_RECORDS = 2000;
const MAX_CHARS = 500_000;

// The durable queue: one localStorage key per record, never rewritten, so
// tabs cannot overwrite each other's work and garbage loses only itself. An
// in-memory index spares every call a scan of storage; other tabs' writes
// reach it through `storage` events.

/** id -> its record keys, oldest first. Insertion order is queue order. */
export const queued = new Map<string, string[]>();
/** key -> record, oldest first. */
const records = new Map<string, Record>();
let chars = 0;
let seq = 0;
let lastTime = 0;
/** This page's name, in its record keys: two pages never write the same key. */
const tab = Math.random().toString(36).slice(2, 8);

// A record as enqueue() writes it; anything else under our prefix is garbage.
const isRecord = (r: any): r is Record => typeof r?.i == 'string' && r.i && isPlainObject(r.a) && r.t > 0;

const index = (key: string, json: string | null): void => {
  const record = parse(json);
  // Each key arrives once: records are immutable, and a storage event never
  // reaches the tab that wrote the key.
  if (!isRecord(record)) return del(key); // garbage under our prefix
  // One record past the whole bound (left by an older version) goes alone, not with the queue.
  if (json!.length > MAX_CHARS) return evict(key, record.i);
  records.set(key, record);
  chars += record._size = json!.length;
  const keys = queued.get(record.i);
  keys ? keys.push(key) : queued.set(record.i, [key]);
  // Oldest out first, each reported: only past the bound is anything lost.
  for (const [old, { i }] of records) {
    if (records.size <= MAX_RECORDS && chars <= MAX_CHARS) break;
    evict(old, i);
  }
};

/** Deletes a record, delivered or dropped, from storage and the index. */
export const remove = (key: string): void => {
  const record = records.get(key);
  del(key);
  if (!record) return;
  records.delete(key);
  chars -= record._size;
  const keys = queued.get(record.i)!;
  keys.splice(keys.indexOf(key), 1);
  keys.length || queued.delete(record.i);
};

const evict = (key: string, id: string): void => {
  remove(key);
  forgetPrint(id);
  report('evicted', id, `${id} evicted (queue full)`);
};

/** Reads what earlier pages and other tabs left, oldest first (keys sort by time): once, at start-up. */
export const loadQueue = (keys: string[]): void =>
  keys
    .filter((key) => !key.indexOf(RECORD))
    .sort()
    .forEach((key) => index(key, get(key)));

/**
 * Queues a profile update: persisted now, or kept in memory when it cannot
 * be. `accept` runs first, once the update is known to fit (it commits the
 * type locks and names, so a tab that sees the record has seen them).
 * Answers an error for an update larger than the whole queue may hold.
 */
export const enqueue = (id: string, attributes: Attributes, accept: () => void): string => {
  // Never back in time within a page (the clock may be set back), so keys sort in call order.
  const now = (lastTime = Math.max(lastTime, Date.now()));
  const json = JSON.stringify({ i: id, a: attributes, t: now });
  if (json.length > MAX_CHARS) return `attributes: over ${MAX_CHARS} chars in all`;
  accept();
  const key = recordKey(now, seq++, tab);
  set(key, json);
  index(key, json);
  return '';
};

/**
 * What one request for `id` carries: its records merged in call order
 * (later values win), and the keys to delete once a 2xx confirms exactly
 * that. The merged profile passes the type lock and the name count again,
 * as they stand now: two tabs racing in one instant (or an older version's
 * records) cannot send a value the server would ignore, or a 51st name;
 * what is dropped is reported.
 */
export const take = (id: string): [string[], Attributes] => {
  // A record another tab delivered may still be in this index until its
  // storage event arrives: what storage no longer holds is not sent again.
  const keys = (queued.get(id) || []).filter((key) => get(key) || remove(key)).sort();
  const merged: Attributes = Object.create(null);
  for (const key of keys) Object.assign(merged, records.get(key)!.a);
  const errors: string[] = [];
  const [checked, locks, added] = checkAttributes([merged], lockOf, countedFor(id), errors);
  commit(id, locks, added);
  if (errors.length) report('rejected', id, `${id}: not sent: ${errors.join(', ')}`);
  return [keys, checked];
};

/** Follows other tabs' records (a `storage` event never fires in the writing tab). */
export const syncQueue = ({ key, newValue }: StorageEvent): void => {
  if (key && !key.indexOf(RECORD)) newValue ? index(key, newValue) : remove(key);
};

/** Drops what never reached storage: the visitor refused consent. */
export const discardUnpersisted = (): void =>
  memory.forEach((_, key) => key.indexOf(RECORD) || (forgetPrint(records.get(key)?.i || ''), remove(key)));
