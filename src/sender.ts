import { config } from './config';
import { allowed } from './consent';
import { queued, remove, take } from './queue';
import { report } from './report';
import { AUTH, OK, RETRY, backoff, retryAfter, verdict } from './retry';
import { confirmAuto } from './shopify';
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
let backoffUntil = 0; // skipped by flush()
let holdUntil = 0; // Retry-After: never skipped
let blocked = false; // 401/403: until init() brings a key
let keepaliveBytes = 0;
let timer: ReturnType<typeof setTimeout> | undefined;
let running: Promise<void> | 0 = 0;
let again = false;

const hidden = () => document.visibilityState == 'hidden';
const ready = () => !blocked && !!config._key && allowed();

/** One timer for the next wake-up (a drain re-arms what it still needs); none while the queue is empty. */
const wakeUpAt = (at: number): void => {
  clearTimeout(timer);
  if (queued.size) timer = setTimeout(kick, at - Date.now());
};

/**
 * Leases the ids no tab is sending: a lease is its expiry time. This tab
 * holds a lease only while it sends (it deletes it after), and it never
 * sends an id twice at once, so any live lease means "busy".
 */
const lease = (ids: string[], now: number): string[] =>
  ids.filter((id) => {
    const until = +get(LEASE + id)!;
    return until > now ? wakeUpAt(until) : (set(LEASE + id, now + LEASE_MS + ''), true);
  });

const claim = async (ids: string[]): Promise<string[]> => {
  const now = Date.now();
  try {
    // The lock makes read-then-write of leases atomic across tabs.
    return await navigator.locks.request(PREFIX, { ifAvailable: true }, (lock) =>
      lock ? lease(ids, now) : (wakeUpAt(now + 500), []),
    );
  } catch {
    // No Web Locks (Safari < 15.4, insecure origins, sandboxed frames): the
    // lease alone. Two tabs claiming in the same instant may both send; a
    // repeat is harmless to an upsert (SPEC §3: at least once).
    return lease(ids, now);
  }
};

/** Sends one id's records. False stops the drain: a pause, a backoff, or no room as the page hides. */
const send = async (id: string): Promise<boolean> => {
  if (inflight.has(id)) return true;
  const [keys, attributes] = take(id);
  const body = JSON.stringify({ id, attributes });
  const size = new Blob([body]).size;
  const keepalive = keepaliveBytes + size <= KEEPALIVE_BYTES && inflight.size < KEEPALIVE_COUNT;
  // A profile too large for keepalive still goes while the page lives; as
  // the page hides it waits for the next page instead of failing.
  if (!keys.length || (!keepalive && hidden())) return del(LEASE + id), !keys.length;
  inflight.add(id);
  if (keepalive) keepaliveBytes += size;
  const { _status: status, _retryAfter, _body } = await post(config._endpoint, config._key, body, keepalive);
  if (keepalive) keepaliveBytes -= size;
  inflight.delete(id);
  del(LEASE + id);
  const now = Date.now();
  const next = verdict(status);
  if (next == AUTH) {
    blocked = true;
    report('unauthorized', id, `key refused (${status}), paused`);
    return false;
  }
  if (next == RETRY) {
    backoffUntil = now + backoff(++failures, Math.random());
    holdUntil = Math.max(holdUntil, now + retryAfter(_retryAfter, now));
    wakeUpAt(Math.max(backoffUntil, holdUntil));
    return false;
  }
  keys.forEach(remove);
  failures = 0;
  next == OK ? confirmAuto(id) : report('rejected', id, `${id} rejected (${status}) ${_body}`);
  return true;
};

const drain = async (): Promise<void> => {
  const skipped = new Set<string>();
  while (ready()) {
    const until = Math.max(backoffUntil, holdUntil);
    if (Date.now() < until) return wakeUpAt(until);
    const batch: string[] = [];
    for (const id of queued.keys()) {
      if (!inflight.has(id) && !skipped.has(id) && batch.push(id) == PARALLEL) break;
    }
    if (!batch.length) return;
    const mine = await claim(batch);
    batch.forEach((id) => mine.indexOf(id) < 0 && skipped.add(id));
    if ((await Promise.all(mine.map(send))).indexOf(false) >= 0) return;
  }
};

/** Starts the drain, or asks the running one to look again. Never rejects. */
export const kick = (): Promise<void> => {
  again = true;
  return (running ||= (async () => {
    try {
      // drain() always awaits, so `running` is set before this loop can end,
      // and no kick can slip in between its last check and the reset.
      while (again) {
        again = false;
        await drain();
      }
    } catch {}
    running = 0;
  })());
};

/** Attempts everything now, skipping backoff waits (not Retry-After, not a key pause). */
export const flushNow = (): Promise<void> => {
  backoffUntil = 0;
  return kick();
};

/** Back online: the last failures say nothing about now. */
export const online = (): void => {
  failures = backoffUntil = 0;
  kick();
};

/**
 * The page is hiding and may never run another task: lease without waiting
 * for a lock, and start with keepalive what fits the budget.
 */
export const unload = (): void => {
  const now = Date.now();
  if (ready() && now >= holdUntil) lease([...queued.keys()].filter((id) => !inflight.has(id)).slice(0, KEEPALIVE_COUNT), now).forEach(send);
};

/** init() brought a key: try again. */
export const unblock = (): void => {
  blocked = false;
};
