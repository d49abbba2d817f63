import { LEASE, PREFIX, WRITTEN } from '../core/record';
import { queued, sweepLeases, syncQueue } from './queue';
import { get, set, storedKeys } from './store';

/**
 * Finding what earlier pages left (SPEC §3: sent on the next page load)
 * without listing the origin's keys on every page load. Listing them
 * (`storedKeys`) costs about 1 ms per 1,000 keys of other scripts; two reads
 * tell whether it can find anything:
 * - `growlytics:q` (core/record.ts `WRITTEN`): the time of the latest record
 *   write, set by every writer right before its record;
 * - `growlytics:s`: a time before which every record written was seen by a
 *   scan that then found none, written by such a scan.
 * A page lists storage when a record was written since (q >= s), when s
 * is missing (a browser this version never stamped: records of an older
 * version, which wrote no q, are found there; or an empty storage, which
 * is never stamped and costs nothing to list), or when s is ahead of the
 * clock (it went back). Two writers racing on q both leave a recent time; q is never
 * deleted and s only moves by a scan that found nothing, so no interleaving
 * hides a record for good (ARCHITECTURE.md, "Finding the queue").
 */

// A record another process wrote just before a scan may not have reached
// this page yet (Chromium hands writes to other renderers within tens of
// ms; a pixel writes q and then its record through an async bridge). The
// stamp is set this much before the scan began, so a record written that
// close to it makes the next page load scan again.
const MARGIN = 10_000;

/**
 * True once this page follows storage (it joined the shared queue).
 * Initialized, not left undefined: with it undefined, terser 5.51's third
 * pass dropped every call of catchUp() and scan() as dead code.
 */
let joined = false;
/** What starts following storage (install's `storage` listener). */
let follow: (() => void) | undefined;

/**
 * Lists storage: indexes every record and name list in it (each key once:
 * a second listing adds nothing twice), and deletes leases past their
 * purpose. Finding no record, it stamps `growlytics:s`, unless storage is
 * empty: listing an empty storage costs nothing, and an origin where
 * nothing is stored stays so (in Chromium a page's first storage access
 * took 1.8 ms instead of 0.7 ms, median wall time, once the origin held
 * one key: issue 15).
 */
const list = (): void => {
  const started = Date.now();
  // Oldest record first (record keys sort by time); leases are looked at
  // once the records are known: expired ones, and those of ids with no
  // record left (a sender killed between deleting both), go.
  const leases: string[] = [];
  const stored = storedKeys((key, value) => {
    if (key.startsWith(LEASE)) leases.push(key);
    else syncQueue(key, value);
  });
  sweepLeases(leases);
  if (!queued.size && stored) set(PREFIX + 's', started - MARGIN);
};

/** Follows other tabs' writes from now on (install's `storage` listener), once. */
const join = (): void => {
  joined = true;
  follow?.();
};

/**
 * Joins the shared queue, once a page: lists storage, then follows other
 * tabs' writes. Run by the first identify: the call merges with, and its
 * name list is bounded by, what earlier pages left. A page that never joins
 * has nothing queued and writes nothing that needs bounding, so it does
 * without the `storage` listener, whose first use costs Chromium about
 * 0.4 ms (it opens the page's sessionStorage too).
 */
export const scan = (): void => {
  if (joined) return;
  list();
  join();
};

/** Whether a record may be in storage that this page has not indexed: the scan's two reads. */
export const mayHoldRecords = (): boolean => {
  // 0 when missing (`+null`), NaN for garbage: both are "never stamped".
  const stamp = +get(PREFIX + 's')!;
  // A missing q (0) or garbage (NaN) is no write since the stamp.
  return !(stamp > 0 && stamp <= Date.now()) || +get(WRITTEN)! >= stamp;
};

/**
 * Lists storage if a record may have been written since this page last
 * looked (two reads; nothing once it follows storage): at load, and before
 * a flush, an `online` or a `pageshow`, so that a page that has not joined
 * still sends what another tab left. Records found, the page joins.
 */
export const catchUp = (): void => {
  if (joined || !mayHoldRecords()) return;
  list();
  if (queued.size) join();
};

/** Sets what joining starts (install: the `storage` listener). */
export const onJoin = (start: () => void): void => {
  follow = start;
};
