import { LEASE, PREFIX, hash } from './record';
import { AUTH, DROP, RETRY, backoff, retryAfter, verdict } from './retry';
import { post, type Answer } from './transport';
import type { Attributes } from './validate';

/**
 * The rules of delivery (SPEC §3, §5), once for every runtime: leases, the
 * still-in-storage check, the shared pause and refused key, consent before
 * every send, and what an answer does to records, pause and reports. Each
 * runtime hands in its storage and its queue; storage may answer at once
 * (the theme's localStorage) or later (a pixel's `browser.localStorage`):
 * every call is awaited, so one code path serves both.
 */

/** A value now or later: `await` takes both. */
export type Maybe<T> = T | Promise<T>;

/** Storage as the rules see it. Never throws or rejects (the runtime guards it). */
export type Store = {
  _get(key: string): Maybe<string | null | void>;
  _set(key: string, value: string): unknown;
  _del(key: string): unknown;
};

/** What a runtime gives the rules. */
export type Runtime = {
  _store: Store;
  _endpoint(): string;
  /** The API key; '' for none. */
  _key(): string;
  /** True when the endpoint needs no key (a relay, SPEC §6): then none is sent. */
  _relay(): unknown;
  /** Consent (SPEC §4, §5), asked before every send and retry. */
  _allowed(): unknown;
  /** Keepalive requests this runtime may have in flight when not leaving, after `failed` failed rounds. */
  _keepalive(failed: number): number;
  /** One id's records that storage still holds, and their attributes merged in call order. */
  _take(id: string): Maybe<[string[], Attributes]>;
  /** Deletes records: delivered, or `lost` (dropped by a 4xx). */
  _remove(keys: string[], lost: boolean): unknown;
  _report(type: 'rejected' | 'unauthorized', message: string, id: string): void;
  /** Debug output (SPEC §2): the theme's `debug`, none in a pixel. */
  _debug?(...parts: unknown[]): void;
};

/**
 * How a send is asked for: while the page lives (it obeys the backoff),
 * while it hides (keepalive, only Retry-After stops it), or as it goes away
 * (as hiding, and its own request that went without keepalive is sent
 * again with it: the navigation cancels the first).
 */
export const LIVE = 0;
export const HIDDEN = 1;
export const GONE = 2;
export type Mode = typeof LIVE | typeof HIDDEN | typeof GONE;

/**
 * Why a send did not go: '' it went (or there was nothing to send), 'busy'
 * another request for the id is in flight, else the reason nothing may go now
 * ('no key', 'key refused', 'consent', 'backoff', 'Retry-After'). With the
 * time (ms) to look again, 0 for none (a key or consent must change first).
 */
export type Outcome = [why: string, at: number];

// Longer than the request timeout (6 s): another sender re-sends an id only
// once a live request must be over.
const LEASE_MS = 15_000;
// A page that is going away cannot delete its leases when its requests end:
// it writes them this short, long enough for a keepalive request on a working
// server, so the next page need not wait out the full lease.
const GONE_MS = 3_000;
// The Fetch spec refuses keepalive bodies past 64 KiB in flight, shared with
// the theme's other scripts; Chromium also refuses a 10th keepalive request
// (whatwg/fetch#679). Stay well inside both.
const KEEPALIVE_BYTES = 5e4;
export const KEEPALIVE_COUNT = 8;
// Keys of the shared pause ("until,hold,failures": no sender sends before
// `until`, a page hide never before `hold`, which is Retry-After alone;
// `failures` counts failed rounds) and of a key the server refused (401/403).
const PAUSE = PREFIX + 'p';
const REFUSED = PREFIX + 'k';

/** A lease's stored time is no lease at all: past, missing, or further ahead than one can be (the clock went back). */
export const leaseOver = (value: string | null | void, now: number): boolean => {
  const until = Number(value);
  return !(until > now && until <= now + LEASE_MS);
};

/** The shared pause as [until, hold, failures]; garbage reads as none, a pause further ahead than one can be (the clock went back) as over. */
export const readPause = async (store: Store): Promise<number[]> => {
  const fields = ((await store._get(PAUSE)) || '').split(',');
  const limit = Date.now() + 3700e3;
  return [0, 1, 2].map((i) => {
    const n = Number(fields[i]);
    return n > 0 && n < limit ? n : 0;
  });
};

/** flush() and back online: the backoff wait ends for every sender (never Retry-After): the failures so far say nothing about now. */
export const endBackoff = async (store: Store): Promise<void> => {
  const [until, hold] = await readPause(store);
  if (until > hold) await store._set(PAUSE, [hold, hold, 0].join());
};

/** One runtime's sender over the shared rules. */
export const delivery = (rt: Runtime) => {
  const store = rt._store;
  // This runtime's leases: lease key -> its request, { _keepalive } once it
  // went (undefined before). A newer entry for one lease replaces an older
  // one (a re-send at page hide); only the newest releases the lease.
  const mine = new Map<string, { _keepalive?: boolean }>();
  let keepaliveBytes = 0;
  let keptAlive = 0;

  /** Why nothing may go now ('' when it may): the key, consent, the pause (`mode` LIVE obeys the backoff, a page hide only Retry-After). */
  const ready = async (mode: Mode): Promise<Outcome> => {
    const key = rt._key();
    if (!key && !rt._relay()) return ['no key', 0];
    if ((await store._get(REFUSED)) === key) return ['key refused', 0];
    if (!rt._allowed()) return ['consent', 0];
    const [until, hold] = await readPause(store);
    const end = mode == LIVE ? until : hold;
    if (Date.now() < end) return [end > hold ? 'backoff' : 'Retry-After', end];
    return ['', 0];
  };

  /** What one answer does (SPEC §3): records deleted or dropped, the pause and the refused key shared, the merchant told. */
  const apply = async (id: string, keys: string[], failed: number, [status, header, details]: Answer): Promise<number> => {
    const now = Date.now();
    const next = verdict(status);
    const [until, hold, failures] = await readPause(store);
    if (next == AUTH) {
      // Sending pauses, for every sender, until init brings a key or a page loads; nothing is lost.
      await store._set(REFUSED, rt._key());
      rt._report('unauthorized', `key refused (${status})`, id);
    } else if (next == RETRY) {
      // Backoff grows per failed round, not per request: six requests failing
      // together are one failure of the server.
      const held = Math.max(hold, now + retryAfter(header, now));
      // Whole milliseconds: a timer set for the pause's end then finds it over.
      const pause = [Math.max(until, held, now + Math.ceil(backoff(failed, Math.random()))), held, Math.max(failures, failed)];
      await store._set(PAUSE, pause.join());
      return pause[0];
    } else {
      await rt._remove(keys, next == DROP);
      if (failures) await store._set(PAUSE, [until, hold, 0].join());
      if (next == DROP) rt._report('rejected', `${id} rejected (${status}) ${details}`, id);
    }
    return 0;
  };

  /**
   * Sends one id's records, unless a request for it is in flight (SPEC §3),
   * and applies the answer. The lease is the time until which the id is
   * busy; a sender holds one only while it sends, and deletes it after, so
   * any live lease means a request in flight here, in another tab, or from
   * a page that went away. Resolves with why nothing went (see Outcome).
   */
  const send = async (id: string, mode: Mode): Promise<Outcome> => {
    const lease = LEASE + hash(id);
    const own = mine.get(lease);
    // Ours in flight: wait for it, unless the page goes away and it went
    // without keepalive (the navigation cancels it: send it again with it).
    if (own && !(mode == GONE && own._keepalive === false)) return ['busy', 0];
    const request: { _keepalive?: boolean } = {};
    // Claimed before the first await: this runtime never sends one id twice at once.
    mine.set(lease, request);
    const release = async () => {
      if (mine.get(lease) != request) return;
      mine.delete(lease);
      await store._del(lease);
    };
    const why = await ready(mode);
    if (why[0]) {
      if (mine.get(lease) == request) mine.delete(lease);
      return why;
    }
    const now = Date.now();
    const stored = await store._get(lease);
    if (!own && !leaseOver(stored, now)) {
      if (mine.get(lease) == request) mine.delete(lease);
      return ['busy', Number(stored)];
    }
    await store._set(lease, String(now + (mode == GONE ? GONE_MS : LEASE_MS)));
    const [keys, attributes] = await rt._take(id);
    let at = 0;
    if (keys.length) {
      const body = JSON.stringify({ id, attributes });
      // Failed rounds when this request started: requests failing together
      // (the same round) count one more between them.
      const failed = (await readPause(store))[2] + 1;
      // Keepalive lets a request outlive the page: everything sent as the
      // page hides or goes, else what the runtime allows (see its
      // _keepalive). A body past the share goes without it (SPEC §3).
      // Bytes at most: a UTF-16 unit is at most 3 UTF-8 bytes.
      const size = 3 * body.length;
      const allowed = mode == LIVE ? rt._keepalive(failed) : KEEPALIVE_COUNT;
      const keepalive = keptAlive < allowed && keepaliveBytes + size <= KEEPALIVE_BYTES;
      request._keepalive = keepalive;
      if (keepalive) {
        keepaliveBytes += size;
        keptAlive++;
      }
      rt._debug?.('sent', id);
      const answer = await post(rt._endpoint(), rt._key(), body, keepalive);
      rt._debug?.('answered', id, answer[0]);
      if (keepalive) {
        keepaliveBytes -= size;
        keptAlive--;
      }
      at = await apply(id, keys, failed, answer);
      // Chromium rejects a keepalive request as the page navigates away,
      // just before pagehide, and still sends it: its id stays leased a
      // second more, so this page's pagehide does not send it again.
      if (keepalive && !answer[0]) {
        setTimeout(release, 1000);
        return ['', Math.max(at, Date.now() + 1000)];
      }
    }
    await release();
    return ['', at];
  };

  return {
    _send: send,
    _ready: ready,
    /** The page goes away and will not hear its answers: its leases become short, so the next page need not wait out the full lease. */
    _leave: (): void => {
      const until = String(Date.now() + GONE_MS);
      // Only requests that went: one claimed this very moment writes its own short lease.
      mine.forEach((request, lease) => request._keepalive === undefined || store._set(lease, until));
    },
  };
};
