import { commit, countedFor, lists, lockOf } from './known';
import { LEASE, NAMES, RECORD, WRITTEN, hash, recordKey, type StoredRecord } from '../core/record';
import { leaseOver } from '../core/lease';
import { report } from './report';
import { forgetPrint } from './shopify';
import { del, get, memory, parse, set } from './store';
import { checkAttributes, isPlainObject, type Attributes } from '../core/validate';

/** A stored record with `_size` (its JSON length), kept in memory only. */
type Record = StoredRecord & { _size: number };

// Generous bounds (SPEC §3: hundreds of profiles) that still leave the
// origin's 5 MB to the theme: a store offline for weeks cannot fill it:
// 2,000 records and 500,000 characters of JSON.
const MAX_RECORDS = 2000;
const MAX_CHARS = 500_000;

// The durable queue: one localStorage key per record, never rewritten, so
// tabs cannot overwrite each other's work and garbage loses only itself. An
// in-memory index spares every call a scan of storage; other tabs' writes
// reach it through `storage` events.

// The index's size in JSON characters, the page's record sequence and the
// last time it used.
let chars = 0;
let seq = 0;
let lastTime = 0;
let noted = 0; // when this page last wrote growlytics:q
/** id -> its record keys, oldest first. Insertion order is queue order. */
export const queued = new Map<string, string[]>();
/** key -> record, oldest first. */
const records = new Map<string, Record>();
/** This page's name, in its record keys: two pages never write the same key. */
const tab = hash(Math.random() + '');

const index = (key: string, json: string): void => {
  // Once per key: start-up may read a key and then also get its storage
  // event (records are immutable: the second copy is the same record).
  if (records.has(key)) return;
  const record: Record = parse(json);
  // Not a record as enqueue() writes it: garbage under our prefix.
  if (typeof record?.i != 'string' || !record.i || !isPlainObject(record.a)) return del(key);
  records.set(key, record);
  chars += record._size = json.length;
  const keys = queued.get(record.i);
  keys ? keys.push(key) : queued.set(record.i, [key]);
  // Oldest out first, each reported: only past the bound is anything lost.
  // (No one record is past the whole bound: enqueue() refuses those.)
  for (const [old, { i }] of records) {
    if (records.size <= MAX_RECORDS && chars <= MAX_CHARS) break;
    remove(old, 1);
    // Evicted only ever from a full queue: the word says it (SPEC §3).
    report('evicted', i + ' evicted', i);
  }
};

/**
 * Deletes a record, delivered or `lost` (dropped, evicted, discarded), from
 * storage and the index. A lost profile was not delivered: if it was the
 * auto-identified one, it must not count as such (`forgetPrint`).
 */
export const remove = (key: string, lost?: unknown): void => {
  const record = records.get(key);
  del(key);
  if (!record) return;
  if (lost) forgetPrint(record.i);
  records.delete(key);
  chars -= record._size;
  const keys = queued.get(record.i)!;
  keys.splice(keys.indexOf(key), 1);
  if (!keys.length) queued.delete(record.i);
};

/**
 * Follows a key an earlier page or another tab wrote (`value`) or deleted
 * (null): records join or leave the index, and validation hears of name
 * lists. A `storage` event never fires in the writing tab.
 */
export const syncQueue = (key: string | null, value: string | null | void): void => {
  // No key: another tab cleared storage; the records it removed leave the index when take() finds them gone.
  if (!key) return;
  if (key.startsWith(RECORD)) {
    if (value) index(key, value);
    else remove(key);
  } else if (key.startsWith(NAMES) && value) {
    lists.add(key);
  }
};

/**
 * Queues a profile update: persisted now, or kept in memory when it cannot
 * be. `accept` runs first, once the update is known to fit (it commits the
 * type locks and names, so a tab that sees the record has seen them).
 * Answers an error for an update larger than the whole queue may hold.
 */
export const enqueue = (id: string, attributes: Attributes, accept: () => void): string => {
  // Never back in time within a page (the clock may be set back), so keys sort in call order.
  const now = (lastTime = Math.max(lastTime, Date.now()));
  const json = JSON.stringify({ i: id, a: attributes });
  if (json.length > MAX_CHARS) return `attributes: over ${MAX_CHARS} chars`;
  accept();
  const key = recordKey(now, seq++, tab);
  // Before the record: a page load that sees no write newer than its last
  // scan skips the scan (scan.ts). Once a second is enough: a scan's stamp
  // lies 10 s before it began, so a write this page noted up to a second
  // earlier still counts as "since".
  if (now - noted > 1000) set(WRITTEN, (noted = now));
  set(key, json);
  index(key, json);
  return '';
};

/**
 * What one request for `id` carries: its records merged in call order
 * (later values win), and the keys to delete once a 2xx confirms exactly
 * that. Each value passes the type lock and the name count again, as they
 * stand now: two tabs racing in one instant (or an older version's records)
 * cannot send a value the server would ignore, or a 51st name; what is
 * dropped is reported, and an older valid value of that name goes instead.
 */
export const take = (id: string): [string[], Attributes] => {
  // A record another tab delivered may still be in this index until its
  // storage event arrives: what storage no longer holds is not sent again.
  // (A copy is filtered: remove() splices the index's own array, which
  // would make filter skip the next key.)
  const keys = [...(queued.get(id) || [])].filter((key) => get(key) || remove(key)).sort();
  const errors: string[] = [];
  const [checked, locks, added] = checkAttributes(
    keys.map((key) => records.get(key)!.a),
    lockOf,
    countedFor(id),
    errors,
  );
  commit(id, locks, added);
  if (errors.length) report('rejected', `${id}: not sent: ${errors}`, id);
  return [keys, checked];
};

/** Drops what never reached storage: the visitor refused consent. */
export const discardUnpersisted = (): void =>
  memory.forEach((_, key) => {
    if (key.startsWith(RECORD)) remove(key, 1);
  });

/**
 * Start-up: leases past their purpose are deleted (issue 15): expired ones,
 * and those of an id with no record left (a sender gone between deleting
 * its records and its lease). A live sender always has records stored
 * under its lease: at worst a lease deleted in a race costs a repeat, never
 * a profile.
 */
export const sweepLeases = (found: string[]): void => {
  const wanted = new Set([...queued.keys()].map((id) => LEASE + hash(id)));
  for (const lease of found) if (!wanted.has(lease) || leaseOver(get(lease), Date.now())) del(lease);
};
