import { NAMES, TYPE, hash } from './record';
import { del, get, parse, set } from './store';
import type { Kind } from './validate';

// Rule 4 is remembered for this many ids; past it, the lists this page
// touched least recently go first (keys alone say nothing of age, and a
// timestamp per list would cost a write per call).
const MAX_IDS = 200;
const KINDS = ['string', 'number', 'boolean', 'date'];

/**
 * What validation remembers across page loads, as one state for the whole
 * browser profile (SPEC §1): each name's locked type under its own key, and
 * the custom names counted per id under a hash of the id (no customer id in
 * storage). Both are read fresh on every call, so a tab follows what other
 * tabs added at once, and written read-merge-write in one task, so a tab
 * never writes an older copy over a newer one. (The drain checks again
 * before sending: two tabs racing within the same instant cannot both win.)
 */

/** The type `name` is locked to store-wide; a stored value that is no type is no lock. */
export const lockOf = (name: string): Kind | undefined => {
  const kind = get(TYPE + name) as Kind;
  return KINDS.indexOf(kind) < 0 ? undefined : kind;
};

const namesKey = (id: string): string => NAMES + hash(id);

/** The custom names counted for an id (rule 4). */
export const countedFor = (id: string): string[] => {
  const saved = parse(get(namesKey(id)));
  return Array.isArray(saved) ? saved : [];
};

/** Name-list keys, least recently written by this page first. */
const lists = new Set<string>();

/** Follows the name lists earlier pages left (start-up) and other tabs write or delete. */
export const knowList = (key: string | null, present: unknown = 1): unknown =>
  key && !key.indexOf(NAMES) && (present ? lists.add(key) : lists.delete(key));

/** Records what a kept call locked and counted: locks never change once set, lists only grow. */
export const commit = (id: string, locks: Record<string, Kind>, added: string[]): void => {
  for (const name in locks) lockOf(name) || set(TYPE + name, locks[name]);
  if (!added.length) return;
  const key = namesKey(id);
  const counted = countedFor(id);
  set(key, JSON.stringify(counted.concat(added.filter((name) => counted.indexOf(name) < 0))));
  lists.delete(key);
  lists.add(key);
  for (const old of lists) {
    if (lists.size <= MAX_IDS) break;
    forgetList(old);
  }
};

const forgetList = (key: string): void => {
  lists.delete(key);
  del(key);
};

/** Forgets what was counted for an id (reset(): the customer logged out). */
export const forgetId = (id: string): void => forgetList(namesKey(id));
