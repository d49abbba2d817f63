import { NAMES, TYPE, hash } from '../core/record';
import { del, get, parse, set } from './store';
import type { Kind } from '../core/validate';

// Rule 4 is remembered for this many ids; past it, the lists known longest
// go first: those earlier pages left, then those this page or other tabs
// wrote, in the order this page heard of them (keys alone say nothing of
// age, and a timestamp per list would cost a write per call).
const MAX_IDS = 200;

/**
 * What validation remembers across page loads, as one state for the whole
 * browser profile (SPEC §1): each name's locked type under its own key, and
 * the custom names counted per id under a hash of the id (no customer id in
 * storage). Both are read fresh on every call, so a tab follows what other
 * tabs added at once, and written read-merge-write in one task, so a tab
 * never writes an older copy over a newer one. (The drain checks again
 * before sending: two tabs racing within the same instant cannot both win.)
 */

/** The type `name` is locked to store-wide; a stored value that is no type is no lock (a regex: its words are in the bundle already, an array of them costs more). */
export const lockOf = (name: string): Kind | false => {
  const kind = get(TYPE + name) as Kind;
  return /^(string|number|boolean|date)$/.test(kind) && kind;
};

/** The custom names counted for an id (rule 4). */
export const countedFor = (id: string): string[] => {
  const saved = parse(get(NAMES + hash(id)));
  return Array.isArray(saved) ? saved : [];
};

/**
 * Name-list keys, in the order this page heard of them: those earlier pages
 * left (start-up) and other tabs write (queue.ts `syncQueue` adds them). One
 * another tab deleted stays until trimmed: it only makes the bound stricter.
 */
export const lists = new Set<string>();

/** Records what a kept call locked and counted: locks never change once set, lists only grow. */
export const commit = (id: string, locks: Record<string, Kind>, added: string[]): void => {
  // Only names that had no lock when checked, in this same task: no tab wrote one since.
  for (const name in locks) set(TYPE + name, locks[name]);
  if (added.length) {
    const key = NAMES + hash(id);
    // The list the call was checked against (this same task: no tab wrote since), plus its new names.
    set(key, JSON.stringify(countedFor(id).concat(added)));
    lists.add(key); // a list known already keeps its place
    // Oldest first; deleting from a Set while walking it is safe.
    for (const old of lists) lists.size > MAX_IDS && (lists.delete(old), del(old));
  }
};

/** Forgets what was counted for an id (reset(): the customer logged out). */
export const forgetId = (id: string): void => del(NAMES + hash(id));
