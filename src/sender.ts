import { config } from './config';
import { allowed } from './consent';
import { queued, remove, take } from './queue';
import { report } from './report';
import { AUTH, RETRY, backoff, retryAfter, verdict } from './retry';
import { PREFIX, del, get, set } from './store';
import { post } from './transport';

const LEASE = PREFIX + 'l:';
// Longer than the request timeout (10 s): another tab or the next page
// re-sends an id only once a closed tab's request must be over.
const LEASE_MS = 15_000;
const PARALLEL = 6;
// The Fetch spec refuses keepalive bodies past 64 KiB in flight, shared with
// the theme's other scripts; Chromium also refuses a 10th keepalive request
// (whatwg/fetch#679). Stay well inside both.
const KEEPALIVE_BYTES = 48 * 1024;
const KEEPALIVE_COUNT = 8;

/**
 * The drain: claims ids (a lease per id, taken under a Web Lock), sends each
 * id's merged records, and applies the retry policy of SPEC §3. One drain
 * loop runs per tab; one request per id is in flight across tabs.
 */
const inflight = new Set<string>();
let failures = 0;
let pausedUntil = 0; // backoff or Retry-After, whichever ends later
let holdUntil = 0; // Retry-After alone: flush() skips the backoff, never this
let keepaliveBytes = 0;
let timer: ReturnType<typeof setTimeout> | undefined;
let wakeAt = 0;
let running: Promise<void> | 0 = 0;
let again = false;

export const hidden = (): boolean => document.visibilityState == 'hidden';
const ready = () => !!config.key && allowed();

/** One timer, for the earliest wake-up asked for (a drain asks again for what it still needs); none while the queue is empty. */
const wakeUpAt = (at: number): void => {
  if (!queued.size || (timer && wakeAt <= at)) return;
  clearTimeout(timer);
  wakeAt = at;
  timer = setTimeout(() => {
    timer = undefined;
    kick();
  }, at - Date.now());
};

/**
 * Leases the ids no tab is sending: a lease is its expiry time. This tab
 * holds a lease only while it sends (it deletes it after), and it never
 * sends an id twice at once, so any live lease means "busy". A lease further
 * ahead than one can be (the clock went back) is void.
 */
const lease = (ids: string[], now: number): string[] =>
  ids.filter((id) => {
    const until = +get(LEASE + id)!;
    return until > now && until <= now + LEASE_MS ? wakeUpAt(until) : (set(LEASE + id, now + LEASE_MS + ''), true);
  });

const claim = async (ids: string[]): Promise<string[]> => {
  try {
    // The lock makes read-then-write of leases atomic across tabs. It is
    // held only for that synchronous step, so waiting for it costs
    // microseconds: no need for ifAvailable and a retry timer.
    return await navigator.locks.request(PREFIX, () => lease(ids, Date.now()));
  } catch {
    // No Web Locks (Safari < 15.4, insecure origins, sandboxed frames): the
    // lease alone. Two tabs claiming in the same instant may both send; a
    // repeat is harmless to an upsert (SPEC §3: at least once).
    return lease(ids, Date.now());
  }
};

/** Sends one id's records and applies the verdict (SPEC §3). */
const send = async (id: string): Promise<void> => {
  if (inflight.has(id)) return;
  const [keys, attributes] = take(id);
  const body = JSON.stringify({ id, attributes });
  const size = new Blob([body]).size;
  const budget = keepaliveBytes + size <= KEEPALIVE_BYTES && inflight.size < KEEPALIVE_COUNT ? size : 0;
  // A profile too large for keepalive still goes while the page lives; as
  // the page hides it waits for the next page instead of failing.
  if (!keys.length || (!budget && hidden())) return del(LEASE + id);
  inflight.add(id);
  keepaliveBytes += budget;
  const { _status: status, _retryAfter, _body } = await post(config.endpoint, config.key, body, !!budget);
  keepaliveBytes -= budget;
  inflight.delete(id);
  const now = Date.now();
  const next = verdict(status);
  if (next == AUTH) {
    // Forgetting the refused key pauses sending until init() brings one
    // (or the next page load reads the script tag again); nothing is lost.
    config.key = '';
    report('unauthorized', id, `key refused (${status})`);
  } else if (next == RETRY) {
    holdUntil = Math.max(holdUntil, now + retryAfter(_retryAfter, now));
    wakeUpAt((pausedUntil = Math.max(holdUntil, now + backoff(++failures, Math.random()))));
  } else {
    keys.forEach(remove);
    failures = 0;
    if (next) report('rejected', id, `${id} rejected (${status}) ${_body}`);
  }
  // Last: a tab that sees the lease gone sees the records gone too (one
  // storage area's changes reach other tabs in order).
  del(LEASE + id);
};

/**
 * Sends every queued id once, in queue order, up to 6 at a time (a sliding
 * window: one slow answer does not hold the others), until the queue is done
 * or a pause (backoff, Retry-After, a refused key, consent) stops it. The
 * workers share one live iterator of the queue, which also meets ids queued
 * meanwhile. Ids another tab holds are skipped until their lease expires.
 */
const drain = async (): Promise<void> => {
  const ids = queued.keys();
  const worker = async (): Promise<void> => {
    for (let next; ready() && Date.now() >= pausedUntil && !(next = ids.next()).done; ) {
      await Promise.all((await claim([next.value])).map(send));
    }
  };
  await Promise.all([...Array(PARALLEL)].map(worker));
};

/** Starts the drain, or asks the running one to look again. Never rejects. */
export const kick = (): Promise<void> => {
  again = true;
  return (running ||= (async () => {
    try {
      // `await` always yields, so `running` is set before this loop ends,
      // and no kick slips in between its last check and the reset.
      while (again) {
        again = false;
        await drain();
      }
    } catch {}
    running = 0;
  })());
};

/** Attempts everything now, skipping backoff waits (not Retry-After, not a key pause): flush(), and back online. */
export const flushNow = (): Promise<void> => {
  // The failures so far say nothing about now (back online: a fresh start).
  failures = 0;
  pausedUntil = holdUntil;
  return kick();
};

/**
 * The page is hiding and may never run another task: lease without waiting
 * for a lock, and start with keepalive what fits the budget.
 */
export const unload = (): void => {
  const now = Date.now();
  // Ids in flight hold a lease, so lease() passes them over. Offline, a
  // request could only fail after this page is gone, leaving its lease to
  // delay the next page: leave the queue to that page instead.
  if (ready() && now >= holdUntil && navigator.onLine) lease([...queued.keys()].slice(0, 2 * KEEPALIVE_COUNT), now).forEach(send);
};
