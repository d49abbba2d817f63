import { config } from './config';
import { allowed } from './consent';
import { debug } from './debug';
import { queued, remove, take } from './queue';
import { GONE, HIDDEN, LIVE, delivery, type Mode } from '../core/delivery';
import { endBackoff } from '../core/pause';
import { PREFIX } from '../core/record';
import { report } from './report';
import { del, get, set } from './store';

/**
 * The theme's drain (SPEC §3): the delivery rules of `core/delivery.ts` over
 * the page's synchronous localStorage, run by one tab at a time, up to six
 * ids at once, with one timer for the earliest wake-up, and the page hide's
 * last chance.
 */

const PARALLEL = 6;

/** The endpoint is on the page's own origin (a relay, SPEC §6): no key needed. */
const sameOrigin = (): boolean => {
  try {
    return new URL(config.endpoint, document.baseURI).origin == location.origin;
  } catch {
    return false;
  }
};

// The page's localStorage answers at once; the rules await it all the same.
const store = { _get: get, _set: set, _del: del };

const core = delivery({
  _store: store,
  _endpoint: () => config.endpoint,
  _key: () => config.key,
  _relay: sameOrigin,
  _allowed: allowed,
  // While the page is visible: two keepalive requests at a time to a server
  // that is not failing (an identify right before a navigation is the common
  // case), none for retries: a keepalive request a timeout aborted keeps its
  // connection (Chromium ~40 s, WebKitGTK minutes), and six of them would
  // fill the host's connection pool. Hidden: the page may never run again.
  _keepalive: (failed) => (document.hidden ? 8 : failed > 1 ? 0 : 2),
  _take: take,
  _remove: (keys, lost) => keys.forEach((key) => remove(key, lost)),
  _report: report,
  _debug: debug,
});

// This page's state: when the earliest timer fires (0: none), the drain, a
// kick that came while it ran, and the last reason printed for waiting.
let wakeAt = 0;
let running: Promise<void> | undefined;
let again = false;
let waitingFor = '';

/**
 * A timer for the earliest wake-up asked for (a drain asks again for what it
 * still needs); none while the queue is empty. A later timer is not cleared
 * when an earlier one is set: it costs one spare kick, not a timer handle.
 */
const wakeUpAt = (at: number): void => {
  if (!queued.size || (wakeAt && wakeAt <= at)) return;
  wakeAt = at;
  setTimeout(() => {
    wakeAt = 0;
    kick();
  }, at - Date.now());
};

/** Debug (SPEC §2): what waits and why, once per change of reason. */
const waiting = (why: string, at: number): void => {
  if (why == waitingFor) return;
  waitingFor = why;
  if (why) debug('waiting:', why, ...(at ? [Math.ceil((at - Date.now()) / 1000) + ' s'] : []));
};

/** Sends one id (see core `_send`), asks for a wake-up when it must look again, and answers whether the round may go on. */
const send = async (id: string, mode: Mode): Promise<boolean> => {
  const [why, at] = await core._send(id, mode);
  if (at) wakeUpAt(at);
  if (why != 'busy') waiting(why, at);
  return !why || why == 'busy';
};

/**
 * One round: every queued id once, in queue order, up to 6 at a time (a
 * sliding window: one slow answer does not hold the others), until the
 * queue is done or a pause (backoff, Retry-After, a refused key, consent)
 * stops it; none while the browser is offline. The workers share one live iterator of the queue, which also
 * meets ids queued meanwhile.
 */
const work = (): Promise<unknown> => {
  // Offline, every request could only fail: wait for the `online` event
  // (install's listener flushes). onLine false is reliable; true may not be.
  if (navigator.onLine === false) return Promise.resolve(waiting('offline', 0));
  const ids = queued.keys();
  // Every for-of over one Map iterator shares it (its @@iterator is itself);
  // an id taken when the round stops goes in the next round.
  const worker = async (): Promise<void> => {
    for (const id of ids) {
      if (!(await send(id, LIVE))) break;
    }
  };
  return Promise.all([...Array(PARALLEL)].map(worker));
};

/**
 * Starts the drain, or asks the running one to look again. Never rejects.
 * Ignores its argument (an event).
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
  again = true;
  running ||= (async () => {
    // `await` always yields, so `running` is set before this loop ends, and
    // no kick slips in between its last check and the reset. Nothing here
    // rejects: storage, consent and fetch are guarded where they are
    // touched, and a lock that fails (no Web Locks) falls back to work().
    while (again) {
      again = false;
      try {
        await navigator.locks.request(PREFIX, { ifAvailable: true }, (lock) => (lock ? work() : wakeUpAt(Date.now() + 1000)));
      } catch {
        await work();
      }
    }
    running = undefined;
  })();
  return running;
};

/**
 * Attempts everything now, skipping backoff waits (not Retry-After, not a
 * key pause): flush(), and back online.
 */
export const flushNow = async (): Promise<void> => {
  await endBackoff(store);
  return kick();
};

/**
 * The page is hiding (`visibilitychange`) or going away (`pagehide`, `gone`:
 * an event) and may never run another task: without waiting for the lock (a
 * tab draining now holds leases on what it sends), what is queued starts
 * now with keepalive, up to its share, even during a backoff wait, never
 * against Retry-After or a refused key. Decided by the page going away, not
 * by `document.hidden`: on a navigation, pagehide comes while the page is
 * still visible (Chrome, Firefox; WebKit, w3c/page-visibility#67). As it
 * goes, its own requests that went without keepalive are sent again with
 * it (the navigation cancels them), and its leases are shortened for the
 * next page.
 */
export const unload = (gone?: unknown): void => {
  // Offline, a request could only fail after this page is gone: leave the queue to the next page.
  if (navigator.onLine === false) return waiting('offline', 0);
  const mode = gone ? GONE : HIDDEN;
  // Twice the keepalive share: what does not fit goes without keepalive and completes if the page lives on.
  for (const id of [...queued.keys()].slice(0, 16)) send(id, mode);
  if (gone) core._leave();
};
