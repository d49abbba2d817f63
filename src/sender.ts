import { config } from './config';
import { allowed } from './consent';
import { queued, remove, take } from './queue';
import { report } from './report';
import { AUTH, RETRY, backoff, retryAfter, verdict } from './retry';
import { PREFIX, del, get, set } from './store';
import { post } from './transport';

/**
 * The drain (SPEC §3): one tab at a time sends each queued id's merged
 * records, with a lease per id so that one request per id is in flight
 * across tabs, and applies the retry policy.
 */

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

// The drain's state, per tab: ids this tab has in flight, the pause, the
// keepalive bytes it has in flight, the one timer, the running drain.
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
 * Leases an id no tab is sending: a lease is its expiry time. This tab holds
 * a lease only while it sends (it deletes it after), and it never sends an
 * id twice at once, so any live lease means "busy": a request still in
 * flight from a tab that closed (keepalive outlives it), or from a tab
 * without Web Locks. A lease further ahead than one can be (the clock went
 * back) is void.
 */
const lease = (id: string, now = Date.now()): unknown => {
  const until = +get(LEASE + id)!;
  return until > now && until <= now + LEASE_MS ? wakeUpAt(until) : (set(LEASE + id, now + LEASE_MS + ''), true);
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
const work = (): Promise<unknown> => {
  const ids = queued.keys();
  const worker = async (): Promise<void> => {
    for (let next; ready() && Date.now() >= pausedUntil && !(next = ids.next()).done; ) {
      if (lease(next.value)) await send(next.value);
    }
  };
  // A timer may fire a hair before Date.now() reaches the pause (its clock
  // is monotonic): if the pause stopped the workers, wake again at its end.
  return Promise.all([...Array(PARALLEL)].map(worker)).then(() => pausedUntil > Date.now() && wakeUpAt(pausedUntil));
};

/**
 * One tab drains at a time: the one holding the Web Lock, which makes each
 * lease's read-then-write atomic across tabs without a lock request per id.
 * A tab that finds the lock taken looks again in a second (the holder may
 * have finished before this tab's records reached it). Without Web Locks
 * (Safari < 15.4, insecure origins, sandboxed frames) the leases alone
 * guard: two tabs leasing in the same instant may both send, which an
 * upsert absorbs (SPEC §3: at least once).
 */
const drain = async (): Promise<unknown> => {
  try {
    return await navigator.locks.request(PREFIX, { ifAvailable: true }, (lock) => (lock ? work() : wakeUpAt(Date.now() + 1000)));
  } catch {
    return work();
  }
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
 * for the lock (a tab draining now holds leases on what it sends), and start
 * with keepalive what fits the budget.
 */
export const unload = (): void => {
  const now = Date.now();
  // Ids in flight hold a lease, so lease() passes them over. Offline, a
  // request could only fail after this page is gone, leaving its lease to
  // delay the next page: leave the queue to that page instead.
  if (ready() && now >= holdUntil && navigator.onLine) {
    for (const id of [...queued.keys()].slice(0, 2 * KEEPALIVE_COUNT)) lease(id, now) && send(id);
  }
};
