import type { Attributes } from './validate';

/**
 * The storage format every runtime shares (the theme bundle and both checkout
 * pixels write the same keys into the shop origin's localStorage, so the
 * theme snippet delivers what a pixel could not). Plain data, no storage
 * access here.
 */

/** Every key the snippet writes starts with this, so it is easy to find. */
export const PREFIX = 'growlytics:';
/** One queued profile update: `growlytics:r:<time><seq><tab>` → `{"i": id, "a": attributes}` (its time is in its key; a `t` field older versions wrote is ignored). */
export const RECORD = PREFIX + 'r:';
/**
 * `growlytics:q` → the time (ms) of the latest record write. Every writer
 * (the theme's `enqueue`, a checkout pixel) sets it right before its record,
 * never reads or merges it, and nobody deletes it: a page load compares it
 * with the theme's scan stamp (`theme/scan.ts`) to skip the storage scan
 * when no record can be there. (A plain write, not a list: two writers
 * racing both leave a recent time, which is all a reader needs.)
 */
export const WRITTEN = PREFIX + 'q';
/** The type an attribute name is locked to (SPEC §1 rule 5): `growlytics:t:<name>` → a Kind. */
export const TYPE = PREFIX + 't:';
/** Custom names counted for one id (rule 4): `growlytics:n:<hash of id>` → JSON array of names. */
export const NAMES = PREFIX + 'n:';

/** A lease: `growlytics:l:<hash of id>` → the time (ms) until which one sender has that id's request in flight. */
export const LEASE = PREFIX + 'l:';

/** The checkout pixels' "no repeat" memory (SPEC §5): `growlytics:o` → JSON array of `<hash of checkout token>.<hash of profile>`, the last profile queued per checkout. */
export const CHECKOUTS = PREFIX + 'o';

/** One accepted call for one id; immutable once stored. */
export type StoredRecord = { i: string; a: Attributes };

/**
 * A record's key. Keys sort as strings in the order the calls were made:
 * base-36 milliseconds keep 8 digits until 2059, and the sequence number
 * is offset by 36^4 so it keeps 5 digits (a fixed width) for 58 million
 * calls a page: "…a" + 10 would otherwise sort before "…a" + 9. `tab` (a
 * random name per page) keeps two pages from writing the same key.
 */
export const recordKey = (time: number, seq: number, tab: string): string =>
  RECORD + time.toString(36) + (36 ** 4 + seq).toString(36) + tab;

/** A short, stable hash (FNV-1a, 32 bits, base 36): names an id or a profile in storage without keeping it. */
export const hash = (s: string): string => {
  let h = 2166136261;
  for (const c of s) h = Math.imul(h ^ c.codePointAt(0)!, 16777619);
  return (h >>> 0).toString(36);
};
