import { KEEPALIVE_COUNT, LIVE, delivery } from '../core/delivery';
import { NAMES, TYPE, WRITTEN, hash, recordKey } from '../core/record';
import { checkAttributes, type Attributes, type Kind } from '../core/validate';
import { strings, type PixelStore } from './store';

/**
 * A pixel's durable delivery (SPEC §5): validate against the shared type
 * lock and name count, persist a record in the theme snippet's format,
 * then send it under the delivery rules every runtime shares
 * (`core/delivery.ts`: leases, the still-in-storage check, the shared pause
 * and refused key, consent). What the pixel could not deliver stays stored
 * for the theme snippet on the buyer's next storefront page.
 */

// Another sender's lease: look again this soon (a pixel hears no storage
// event when it ends).
const LEASE_POLL = 1000;
// Failed attempts while the checkout page lives; then the record waits for the theme.
const MAX_FAILURES = 3;
const KINDS = ['string', 'number', 'boolean', 'date'];
/** Growlytics' own host: an endpoint elsewhere is a relay (SPEC §6), which needs no key. */
const GROWLYTICS = /^https:\/\/dc\.growlytics\.in\//;

export type PixelSender = {
  /** Validates and persists one profile update, in memory when storage fails; resolves when done, never rejects. */
  _queue(id: string, attributes: Attributes): Promise<void>;
  /** Sends what is pending for the id; resolves when done (a retry is scheduled through `run`), never rejects. */
  _send(id: string): Promise<void>;
};

/**
 * `run` serialises work with the pixel's other steps (a retry waits its
 * turn); `allowed` answers consent, asked before every send and retry.
 */
export const pixelSender = (
  store: PixelStore,
  key: string,
  endpoint: string,
  run: (task: () => Promise<void>) => void,
  allowed: () => boolean,
): PixelSender => {
  // Records this runtime wrote and has not seen delivered, per id, in call
  // order, with whether storage holds them (else they live here only).
  const pending = new Map<string, [key: string, attributes: Attributes, stored: boolean][]>();
  const waking = new Set<string>();
  const tab = Math.random().toString(36).slice(2, 8); // this runtime's name in its record keys
  let seq = 0;
  let lastTime = 0;
  let failures = 0;

  const core = delivery({
    _store: store,
    _endpoint: () => endpoint,
    _key: () => key,
    _relay: () => !GROWLYTICS.test(endpoint),
    _allowed: allowed,
    // The checkout page may go at any step: every request may outlive it.
    _keepalive: () => KEEPALIVE_COUNT,
    _take: async (id) => {
      // What another sender delivered is gone from storage: not sent again.
      const kept = [];
      for (const record of pending.get(id) || []) {
        if (!record[2] || (await store._get(record[0]))) kept.push(record);
      }
      if (kept.length) pending.set(id, kept);
      else pending.delete(id);
      return [kept.map((r) => r[0]), Object.assign({}, ...kept.map((r) => r[1]))];
    },
    _remove: async (keys) => {
      for (const [id, records] of pending) {
        const left = records.filter((r) => keys.indexOf(r[0]) < 0);
        if (left.length) pending.set(id, left);
        else pending.delete(id);
      }
      for (const recordKey of keys) await store._del(recordKey);
    },
    _report: (_type, message) => console.error('growlytics: ' + message),
  });

  const wakeAfter = (id: string, ms: number): void => {
    if (waking.has(id)) return;
    waking.add(id);
    setTimeout(() => {
      waking.delete(id);
      run(() => send(id));
    }, ms);
  };

  const send = async (id: string): Promise<void> => {
    if (!pending.has(id)) return;
    const [why, at] = await core._send(id, LIVE);
    if (!pending.has(id) || !at) return; // delivered or dropped, or waiting for a key or consent
    if (why == 'busy') return wakeAfter(id, Math.min(at - Date.now(), LEASE_POLL));
    if (why) return wakeAfter(id, at - Date.now()); // the shared pause: a wait, not a failure
    if (++failures <= MAX_FAILURES) wakeAfter(id, at - Date.now());
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
      const stored = await store._set(key, JSON.stringify({ i: id, a: accepted }));
      pending.set(id, (pending.get(id) || []).concat([[key, accepted, stored]]));
    },
    _send: send,
  };
};
