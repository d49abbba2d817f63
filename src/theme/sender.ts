import { config } from './config';
import { allowed } from './consent';
import { queued, remove, take } from './queue';
import { LEASE, PREFIX, hash } from '../core/record';
import { report } from './report';
import { AUTH, RETRY, backoff, retryAfter, verdict } from '../core/retry';
import { del, get, set } from './store';
import { post } from '../core/transport';

/**
 * The drain (SPEC §3): one tab at a time sends each queued id's merged
 * records, with a lease per id so that one request per id is in flight
 * across tabs, and applies the retry policy. The pause (backoff,
 * Retry-After) and a refused key live in storage: every open tab obeys them.
 */

// Two keys, written in place (a module constant is one more name for the
// minifier, and past 54 names they take two letters):
// - `growlytics:p`, the shared pause, "until,hold,failures": no tab sends
//   before `until`; `hold` is Retry-After alone (flush skips the backoff,
//   never this); `failures` counts failed rounds.
// - `growlytics:k`, a key the server refused (401/403), as is (it is public:
//   the page's HTML carries it): no tab sends with it until init brings a
//   key or a page loads (init deletes it; a page's script tag comes through init).

// Longer than the request timeout (6 s): another tab re-sends an id only
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
const KEEPALIVE_BYTES = 5e4;
const KEEPALIVE_COUNT = 8;

// This page's state: the leases it holds, the keepalive bytes and requests in flight,
// when the earliest timer fires (0 or undefined: none), the drain. (Falsy
// state starts undefined, not 0 or false, and a flag is 1 or 0: shorter.)
const leases = new Set<string>();
let keepaliveBytes = 0;
let keptAlive = 0;
let wakeAt: number | undefined;
let running: Promise<void> | 0 | undefined;
let again: unknown;

/** The shared pause, stored as "until,hold,failures"; garbage reads as none, and a pause further ahead than one can be (the clock went back) as over. */
const pause = (): number[] => {
  // Two commas more: three fields at least, whatever is stored (null, garbage).
  // (`failures`, a small number, always passes the clock test.)
  return (get(PREFIX + 'p') + ',,').split(',').map((v) => (+v < Date.now() + 3700e3 && +v) || 0);
};

/**
 * Whether this tab may send now: a key the server has not refused, consent,
 * and pause()[i] over (the drain obeys the backoff, page hide only
 * Retry-After). A pause wakes the drain at its end: also when a timer fired
 * a hair before Date.now() reached it (timers run on a monotonic clock).
 */
const ready = (i: number): unknown => {
  const until = pause()[i];
  return config.key && get(PREFIX + 'k') != config.key && allowed() && (Date.now() >= until || wakeUpAt(until));
};

/**
 * A timer for the earliest wake-up asked for (a drain asks again for what it
 * still needs); none while the queue is empty. A later timer is not cleared
 * when an earlier one is set: it costs one spare kick, not a timer handle.
 */
const wakeUpAt = (at: number): void => {
  if (!queued.size || (wakeAt && wakeAt <= at)) return;
  wakeAt = at;
  setTimeout(() => kick((wakeAt = 0)), at - Date.now());
};

/**
 * Sends one id's records, unless a request for it is in flight (SPEC §3),
 * and applies the verdict. An id is leased while it is sent: the lease is
 * its expiry time, and a tab holds one only while it sends (it deletes it
 * after), so any live lease means "busy": a request in flight in this tab
 * or another, or from a page that went away. A lease further ahead than
 * one can be (the clock went back) is void.
 */
const send = async (id: string): Promise<void> => {
  const lease = LEASE + hash(id);
  const now = Date.now();
  const until = +get(lease)!;
  if (until > now && until <= now + LEASE_MS) return wakeUpAt(until);
  set(lease, now + LEASE_MS);
  leases.add(lease);
  const [keys, attributes] = take(id);
  // Last: a tab that sees the lease gone sees the records gone too (one
  // storage area's changes reach other tabs in order).
  const release = () => (del(lease), leases.delete(lease));
  if (keys.length) {
    const body = JSON.stringify({ id, attributes });
    const key = config.key;
    // Keepalive lets a request outlive the page: everything sent as the page
    // hides, and, while it is visible, two requests at a time to a server that
    // is not failing (an identify right before a navigation is the common
    // case). Never for retries: a keepalive request a timeout aborted keeps
    // its connection (Chromium ~40 s, WebKitGTK minutes), and six of them
    // would fill the host's connection pool. A body past the keepalive share
    // goes without it (SPEC §3), which completes if the page lives on.
    // Failed rounds when this request started: requests failing together
    // (the same round) count one more between them.
    const failed = pause()[2] + 1;
    // Bytes at most (a UTF-16 unit is at most 3 UTF-8 bytes): no Blob to size it.
    const size = 3 * body.length;
    const keepalive = keptAlive < (document.hidden ? KEEPALIVE_COUNT : failed > 1 ? 0 : 2) && keepaliveBytes + size <= KEEPALIVE_BYTES;
    if (keepalive) keepaliveBytes += size, keptAlive++;
    const [status, retryAfterHeader, details] = await post(config.endpoint, key, body, keepalive);
    if (keepalive) keepaliveBytes -= size, keptAlive--;
    const now = Date.now();
    const next = verdict(status);
    const [until, hold, failures] = pause();
    if (next == AUTH) {
      // Sending pauses, in every tab, until init brings a key or a page loads; nothing is lost.
      set(PREFIX + 'k', key);
      report('unauthorized', `key refused (${status})`, id);
    } else if (next == RETRY) {
      // Backoff grows per failed round, not per request: six requests failing
      // together are one failure of the server.
      const held = Math.max(hold, now + retryAfter(retryAfterHeader, now));
      set(PREFIX + 'p', [Math.max(until, held, now + backoff(failed, Math.random())), held, Math.max(failures, failed)]);
      // The drain's next look sets the wake-up at the pause's end (also after a send at page hide).
      kick();
      // Chromium rejects a keepalive request as the page navigates away, just
      // before pagehide, and still sends it: its id stays leased a second
      // more, so this page's pagehide does not send it again.
      if (keepalive && !status) return setTimeout(() => kick(release()), 1e3) as never; // (no `void`: 5 bytes)
    } else {
      keys.forEach((key) => remove(key, next)); // lost on a DROP (1), not on OK (0)
      if (failures) set(PREFIX + 'p', [until, hold, 0]);
      if (next) report('rejected', `${id} rejected (${status}) ${details}`, id);
    }
  }
  release();
};

/**
 * One round: every queued id once, in queue order, up to 6 at a time (a
 * sliding window: one slow answer does not hold the others), until the
 * queue is done or a pause (backoff, Retry-After, a refused key, consent)
 * stops it. The workers share one live iterator of the queue, which also
 * meets ids queued meanwhile.
 */
const work = (): Promise<unknown> => {
  const ids = queued.keys();
  // Every for-of over one Map iterator shares it (its @@iterator is itself);
  // an id taken when the round stops goes in the next round.
  const worker = async (): Promise<void> => {
    for (const id of ids) {
      if (!ready(0)) break;
      await send(id);
    }
  };
  return Promise.all([...Array(PARALLEL)].map(worker));
};

/**
 * Starts the drain, or asks the running one to look again. Never rejects.
 * Ignores its argument (an event, or a timer's reset of wakeAt, folded into
 * the call).
 *
 * One tab drains at a time: the one holding the Web Lock, which makes each
 * lease's read-then-write atomic across tabs without a lock request per id.
 * A tab that finds the lock taken looks again in a second (the holder may
 * have finished before this tab's records reached it). Without Web Locks
 * (Safari < 15.4, insecure origins, sandboxed frames) the leases alone
 * guard: two tabs leasing in the same instant may both send, which an
 * upsert absorbs (SPEC §3: at least once).
 */
export const kick = (_?: unknown): Promise<void> => {
  // Nothing queued and no drain running: nothing to send, so no Web Lock to
  // ask for (a page load's first lock request costs about 0.3 ms).
  if (!queued.size && !running) return Promise.resolve();
  again = 1;
  return (running ||= (async () => {
    // `await` always yields, so `running` is set before this loop ends, and
    // no kick slips in between its last check and the reset. Nothing here
    // rejects: storage, consent and fetch are guarded where they are
    // touched, and a lock that fails (no Web Locks) falls back to work().
    while (again) {
      again = 0;
      try {
        await navigator.locks.request(PREFIX, { ifAvailable: true }, (lock) => (lock ? work() : wakeUpAt(Date.now() + 1000)));
      } catch {
        await work();
      }
    }
    running = 0;
  })());
};

/**
 * Attempts everything now, skipping backoff waits (not Retry-After, not a
 * key pause): flush(), and back online. The backoff wait ends for every tab
 * (never Retry-After): the failures so far say nothing about now.
 */
export const flushNow = (): Promise<void> => {
  const [until, hold] = pause();
  if (until > hold) set(PREFIX + 'p', [hold, hold, 0]);
  return kick();
};

/**
 * The page is hiding and may never run another task: lease without waiting
 * for the lock (a tab draining now holds leases on what it sends), and start
 * with keepalive what fits the budget, even during a backoff wait, never
 * against Retry-After or a refused key. `gone` (pagehide): this page will
 * not hear its answers, so its leases are shortened for the next page.
 */
export const unload = (gone?: unknown): void => {
  // Offline, a request could only fail after this page is gone: leave the queue to the next page.
  if (ready(1) && navigator.onLine) [...queued.keys()].slice(0, 2 * KEEPALIVE_COUNT).forEach(send);
  if (gone) leases.forEach((lease) => set(lease, Date.now() + GONE_MS));
};
