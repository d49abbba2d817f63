import { config } from './config';
import { allowed } from './consent';
import { queued, remove, take } from './queue';
import { LEASE, PREFIX, hash } from './record';
import { report } from './report';
import { AUTH, RETRY, backoff, retryAfter, verdict } from './retry';
import { del, get, set } from './store';
import { post } from './transport';
import { forgetPrint } from './shopify';

/**
 * The drain (SPEC §3): one tab at a time sends each queued id's merged
 * records, with a lease per id so that one request per id is in flight
 * across tabs, and applies the retry policy. The pause (backoff,
 * Retry-After) and a refused key live in storage: every open tab obeys them.
 */

/** The shared pause, `[until, hold, failures]`: no tab sends before `until`; `hold` is Retry-After alone (flush skips the backoff, never this); `failures` counts failed rounds. */
const PAUSE = PREFIX + 'p';
/** Hash of a key the server refused (401/403): no tab sends with it until init brings a key or a page loads. */
export const REFUSED = PREFIX + 'k';
// Longer than the request timeout (10 s): another tab re-sends an id only
// once a live tab's request must be over.
const LEASE_MS = 15_000;
// A page that is going away cannot delete its leases when its requests end:
// it shortens them to this, long enough for a keepalive request on a working
// server, so the next page need not wait out the full lease.
const GONE_MS = 3_000;
const PARALLEL = 6;
// The Fetch spec refuses keepalive bodies past 64 KiB in flight, shared with
// the theme's other scripts; Chromium also refuses a 10th keepalive request
// (whatwg/fetch#679). Stay well inside both.
const KEEPALIVE_BYTES = 48 * 1024;
const KEEPALIVE_COUNT = 8;

// This page's state: ids it has in flight, the keepalive bytes and requests in flight,
// the failed rounds counted when this round began, the one timer, the drain.
const inflight = new Set<string>();
let keepaliveBytes = 0;
let keptAlive = 0;
let round = 0;
let timer: ReturnType<typeof setTimeout> | undefined;
let wakeAt = 0;
let running: Promise<void> | 0 = 0;
let again = false;

export const hidden = (): boolean => document.visibilityState == 'hidden';

/** The shared pause, stored as "until,hold,failures"; garbage reads as none, and a pause further ahead than one can be (the clock went back) as over. */
const pause = (): number[] => {
  const stored = (get(PAUSE) || '').split(',');
  return [0, 1, 2].map((i) => (+stored[i] < Date.now() + 3700e3 || i > 1 ? +stored[i] || 0 : 0));
};
const setPause = (...pause: number[]): void => set(PAUSE, pause + '');

const ready = (): boolean => !!config.key && get(REFUSED) != hash(config.key) && allowed();

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
 * Leases an id no tab is sending: a lease is its expiry time. A tab holds a
 * lease only while it sends (it deletes it after), so any live lease means
 * "busy": a request in flight in another tab, or from a page that went away.
 * A lease further ahead than one can be (the clock went back) is void.
 */
const lease = (id: string, now = Date.now()): unknown => {
  const key = LEASE + hash(id);
  const until = +get(key)!;
  return until > now && until <= now + LEASE_MS ? wakeUpAt(until) : (set(key, now + LEASE_MS + ''), true);
};

/** Sends one id's records and applies the verdict (SPEC §3). */
const send = async (id: string): Promise<void> => {
  const [keys, attributes] = take(id);
  if (!keys.length) return del(LEASE + hash(id));
  const body = JSON.stringify({ id, attributes });
  const key = config.key;
  // Keepalive lets a request outlive the page: everything sent as the page
  // hides, and, while it is visible, two requests at a time to a server that
  // is not failing (an identify right before a navigation is the common
  // case). Never for retries: a keepalive request a timeout aborted keeps
  // its connection (Chromium ~40 s, WebKitGTK minutes), and six of them
  // would fill the host's connection pool. A body past the keepalive share
  // goes without it (SPEC §3), which completes if the page lives on.
  const size = hidden() || (!pause()[2] && keptAlive < 2) ? new Blob([body]).size : 0;
  const keepalive = size && keepaliveBytes + size <= KEEPALIVE_BYTES && keptAlive < KEEPALIVE_COUNT ? size : 0;
  inflight.add(id);
  keepaliveBytes += keepalive;
  keptAlive += +!!keepalive;
  const { _status: status, _retryAfter, _body } = await post(config.endpoint, key, body, !!keepalive);
  keepaliveBytes -= keepalive;
  keptAlive -= +!!keepalive;
  inflight.delete(id);
  const now = Date.now();
  const next = verdict(status);
  const [until, hold, failures] = pause();
  if (next == AUTH) {
    // Sending pauses, in every tab, until init brings a key or a page loads; nothing is lost.
    set(REFUSED, hash(key));
    report('unauthorized', id, `key refused (${status})`);
  } else if (next == RETRY) {
    // Backoff grows per failed round, not per request: six requests failing
    // together are one failure of the server.
    const held = Math.max(hold, now + retryAfter(_retryAfter, now));
    setPause(Math.max(until, held, now + backoff(round + 1, Math.random())), held, round + 1);
    wakeUpAt(pause()[0]);
  } else {
    keys.forEach(remove);
    if (failures) setPause(until, hold, 0);
    if (next) forgetPrint(id), report('rejected', id, `${id} rejected (${status}) ${_body}`);
  }
  // Last: a tab that sees the lease gone sees the records gone too (one
  // storage area's changes reach other tabs in order).
  del(LEASE + hash(id));
};

/** Sends `id` when no request for it is in flight here or in another tab. */
const sendFree = (id: string, now?: number): unknown => !inflight.has(id) && lease(id, now) && send(id);

/**
 * One round: every queued id once, in queue order, up to 6 at a time (a
 * sliding window: one slow answer does not hold the others), until the
 * queue is done or a pause (backoff, Retry-After, a refused key, consent)
 * stops it. The workers share one live iterator of the queue, which also
 * meets ids queued meanwhile.
 */
const work = (): Promise<unknown> => {
  const ids = queued.keys();
  round = pause()[2];
  const worker = async (): Promise<void> => {
    for (let next; ready() && Date.now() >= pause()[0] && !(next = ids.next()).done; ) await sendFree(next.value);
  };
  // A timer may fire a hair before Date.now() reaches the pause (its clock
  // is monotonic): if the pause stopped the workers, wake again at its end.
  return Promise.all([...Array(PARALLEL)].map(worker)).then(() => {
    const until = pause()[0];
    until > Date.now() && wakeUpAt(until);
  });
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

/** Ends the backoff wait, for every tab (never Retry-After): the failures so far say nothing about now. */
export const skipBackoff = (): void => {
  const [until, hold] = pause();
  if (until > hold) setPause(hold, hold, 0);
};

/** Attempts everything now, skipping backoff waits (not Retry-After, not a key pause): flush(), and back online. */
export const flushNow = (): Promise<void> => (skipBackoff(), kick());

/**
 * The page is hiding and may never run another task: lease without waiting
 * for the lock (a tab draining now holds leases on what it sends), and start
 * with keepalive what fits the budget, even during a backoff wait, never
 * against Retry-After or a refused key. `gone` (pagehide): this page will
 * not hear its answers, so its leases are shortened for the next page.
 */
export const unload = (gone?: boolean): void => {
  const now = Date.now();
  // Offline, a request could only fail after this page is gone: leave the queue to the next page.
  if (ready() && now >= pause()[1] && navigator.onLine) {
    [...queued.keys()].slice(0, 2 * KEEPALIVE_COUNT).forEach((id) => sendFree(id, now));
  }
  if (gone) inflight.forEach((id) => set(LEASE + hash(id), now + GONE_MS + ''));
};
