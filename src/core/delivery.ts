import { applyAnswer } from './answer';
import { GONE_MS, LEASE_MS, leaseOver } from './lease';
import { REFUSED, readPause } from './pause';
import { LEASE, hash } from './record';
import type { Runtime } from './runtime';
import { post } from './transport';

/**
 * The rules of delivery (SPEC §3, §5), once for every runtime: consent and
 * the shared pause and refused key before every send and retry, the lease,
 * the still-in-storage check (the runtime's `_take`), the keepalive share,
 * the page-hide re-send, then what the answer does (`answer.ts`). Each
 * runtime (`runtime.ts`) hands in its storage and its queue.
 */

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

// The Fetch spec refuses keepalive bodies past 64 KiB in flight, shared with
// the theme's other scripts; Chromium also refuses a 10th keepalive request
// (whatwg/fetch#679). Stay well inside both.
const KEEPALIVE_BYTES = 5e4;
export const KEEPALIVE_COUNT = 8;

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
    // Nothing went: the claim goes back to the request it replaced, if any.
    const unclaim = (outcome: Outcome): Outcome => {
      if (mine.get(lease) == request) {
        if (own) mine.set(lease, own);
        else mine.delete(lease);
      }
      return outcome;
    };
    // Done: the newest request of the id frees its lease.
    const release = async () => {
      if (mine.get(lease) != request) return;
      mine.delete(lease);
      await store._del(lease);
    };
    const why = await ready(mode);
    if (why[0]) return unclaim(why);
    const now = Date.now();
    const stored = await store._get(lease);
    if (!own && !leaseOver(stored, now)) return unclaim(['busy', Number(stored)]);
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
      at = await applyAnswer(rt, id, keys, failed, answer);
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
    /** The page goes away and will not hear its answers: its leases become short, so the next page need not wait out the full lease. */
    _leave: (): void => {
      const until = String(Date.now() + GONE_MS);
      // Only requests that went: one claimed this very moment writes its own short lease.
      mine.forEach((request, lease) => {
        if (request._keepalive !== undefined) store._set(lease, until);
      });
    },
  };
};
