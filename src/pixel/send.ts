import { LEASE, NAMES, TYPE, WRITTEN, hash, recordKey } from '../core/record';
import { AUTH, DROP, OK, RETRY, backoff, retryAfter, verdict } from '../core/retry';
import { post } from '../core/transport';
import { checkAttributes, type Attributes, type Kind } from '../core/validate';
import { strings, type PixelStore } from './store';

/**
 * A pixel's durable delivery (SPEC §5), the theme snippet's rules over
 * asynchronous storage: validate against the shared type lock and name
 * count, persist a record in the theme snippet's format, then send; remove
 * it on a 2xx or a dropping 4xx, keep it otherwise, so the theme snippet
 * delivers on the buyer's next storefront page what the pixel could not.
 */

// As the theme snippet's sender: longer than the request timeout (6 s),
// and the longest lease the theme snippet does not take for a set-back clock.
const LEASE_MS = 15_000;
const LEASE_POLL = 1000;
// Retries while the checkout page lives; then the record waits for the theme.
const MAX_FAILURES = 3;
const KINDS = ['string', 'number', 'boolean', 'date'];

export type PixelSender = {
  /** Validates, persists and sends one profile update; resolves when done, never rejects. */
  _queue(id: string, attributes: Attributes): Promise<void>;
};

/** `run` serialises work with the pixel's other steps (a retry waits its turn). */
export const pixelSender = (
  store: PixelStore,
  key: string,
  endpoint: string,
  run: (task: () => Promise<void>) => void,
): PixelSender => {
  // Records this runtime wrote and has not seen delivered, per id, in order:
  // one request carries them all merged (later values win) and a 2xx removes
  // exactly those, so an older record never lands after a newer one.
  const pending = new Map<string, [string, Attributes][]>();
  const waking = new Set<string>();
  const tab = Math.random().toString(36).slice(2, 8); // this runtime's name in its record keys
  let seq = 0;
  let lastTime = 0;
  let failures = 0;
  // No key, or 401/403 (a wrong one): nothing is sent, records wait for the theme snippet and its key.
  let refused = !key;

  const wakeAfter = (id: string, ms: number): void => {
    if (waking.has(id)) return;
    waking.add(id);
    setTimeout(() => (waking.delete(id), run(() => send(id))), ms);
  };

  const send = async (id: string): Promise<void> => {
    const records = (pending.get(id) || []).slice();
    if (!records.length || refused) return;
    // A live lease: another sender (a storefront tab) has this id in flight.
    // The record is stored; look again soon: the sender deletes its lease
    // when its answer comes, and a pixel hears no storage event of that.
    const leaseKey = LEASE + hash(id);
    const now = Date.now();
    const until = +(await store._get(leaseKey))!;
    if (until > now && until <= now + LEASE_MS) return wakeAfter(id, Math.min(until - now, LEASE_POLL));
    await store._set(leaseKey, now + LEASE_MS + '');
    const attributes: Attributes = Object.assign({}, ...records.map((r) => r[1]));
    const [status, retryAfterHeader, body] = await post(endpoint, key, JSON.stringify({ id, attributes }), true);
    const next = verdict(status);
    if (next == OK || next == DROP) {
      failures = 0;
      const left = (pending.get(id) || []).filter((r) => records.indexOf(r) < 0);
      left.length ? pending.set(id, left) : pending.delete(id);
      for (const [recordKey] of records) await store._del(recordKey);
      if (next == DROP) console.error('growlytics:', id, 'rejected', status, body);
    } else if (next == AUTH) {
      refused = true;
      console.error('growlytics: key refused', status);
    } else if (next == RETRY && ++failures <= MAX_FAILURES) {
      wakeAfter(id, Math.max(retryAfter(retryAfterHeader, now), backoff(failures, Math.random())));
    }
    // Last, as the theme snippet: whoever sees the lease gone sees the records gone.
    await store._del(leaseKey);
  };

  return {
    async _queue(id, attributes) {
      const names = Object.keys(attributes);
      const namesKey = NAMES + hash(id);
      const [counted, ...kinds] = await Promise.all([namesKey, ...names.map((n) => TYPE + n)].map(store._get));
      const locked = (name: string) => {
        const kind = kinds[names.indexOf(name)];
        return KINDS.indexOf(kind!) < 0 ? undefined : (kind as Kind);
      };
      const [accepted, locks, added] = checkAttributes([attributes], locked, strings(counted), []);
      // Commit before the record, as the theme snippet does: whoever sees the
      // record has seen its locks. A lock is written only where there was none.
      for (const name in locks) await store._set(TYPE + name, locks[name]);
      if (added.length) {
        const now = strings(await store._get(namesKey)); // read again: lists only grow
        await store._set(namesKey, JSON.stringify(now.concat(added.filter((n) => now.indexOf(n) < 0))));
      }
      // Never back in time within a runtime, so keys sort in call order.
      const time = (lastTime = Math.max(lastTime, Date.now()));
      const key = recordKey(time, seq++, tab);
      // Before the record: a storefront page load that sees no newer write than its last scan skips the scan.
      await store._set(WRITTEN, time + '');
      await store._set(key, JSON.stringify({ i: id, a: accepted }));
      pending.set(id, (pending.get(id) || []).concat([[key, accepted]]));
      await send(id);
    },
  };
};
