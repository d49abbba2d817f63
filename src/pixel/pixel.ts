import { CHECKOUT_EVENTS, fromCheckout, type CheckoutProfile } from './checkout';
import { CHECKOUTS, hash } from '../core/record';
import { pixelSender } from './send';
import { pixelStore, strings } from './store';
import type { ExtensionApi } from '@shopify/web-pixels-extension';

/**
 * The one checkout pixel runtime (SPEC §5), shared by the custom pixel (a
 * sandboxed iframe) and the app pixel (a web worker): each entry hands it
 * Shopify's pixel API and its key. It never throws into the sandbox: every
 * callback is guarded and every promise settles.
 */

/** What the runtime uses of Shopify's pixel API, typed as the package declares it; at run time all of it is distrusted. */
export type PixelApi = Partial<Pick<ExtensionApi, 'analytics' | 'browser' | 'init' | 'customerPrivacy'>>;

/** The real endpoint (SPEC §1), when the pixel's setting leaves it out. */
export const ENDPOINT = 'https://dc.growlytics.in/track/user';
// Checkouts remembered for "no repeat": a few are plenty (one buyer, one browser).
const MAX_CHECKOUTS = 20;

/**
 * Starts a pixel: identifies the buyer on each checkout event (SPEC §5).
 * `key` is the store's API key; `endpoint` defaults to the real one.
 */
export const startPixel = (api: PixelApi, key: string | undefined, endpoint?: string): void => {
  try {
    const { analytics, browser, init, customerPrivacy } = api;
    const store = pixelStore(browser?.localStorage);
    // One task at a time, in event order: a profile's steps (remember,
    // validate, persist, send) never interleave with the next one's, so the
    // server ends with the newest values.
    let chain = Promise.resolve();
    const run = (task: () => Promise<void>): void => {
      chain = chain.then(task).catch(() => {});
    };
    // Consent (SPEC §5): `init.customerPrivacy` now, `visitorConsentCollected`
    // later. Until analytics is allowed, profiles wait here, in memory only,
    // and nothing is sent or retried.
    const privacy = init?.customerPrivacy;
    let allowed = privacy ? privacy.analyticsProcessingAllowed === true : true;
    const sender = pixelSender(store, key || '', endpoint || ENDPOINT, run, () => allowed);
    const waiting = new Map<string, CheckoutProfile>();
    // The last profile queued per checkout, for when storage is unavailable.
    const last = new Map<string, string>();

    /** Queues a profile unless it is the one last queued for its checkout (a step that changed nothing, a reloaded thank-you page). */
    const queue = ([id, attributes, token]: CheckoutProfile): void =>
      run(async () => {
        const checkout = hash(token) + '.';
        const mark = checkout + hash(JSON.stringify([id, attributes]));
        const marks = strings(await store._get(CHECKOUTS));
        if (last.get(checkout) == mark || marks.indexOf(mark) >= 0) return;
        last.set(checkout, mark);
        // The record first, then the mark: a pixel stopped in between
        // leaves a record and no mark (at worst a repeat), never a mark and
        // no record (a profile lost).
        await sender._queue(id, attributes);
        // Remembered as hashes (SPEC §3's privacy rule), when queued: durably, it will be delivered.
        const kept = marks.filter((m) => m.indexOf(checkout)).slice(1 - MAX_CHECKOUTS);
        await store._set(CHECKOUTS, JSON.stringify(kept.concat(mark)));
        await sender._send(id);
      });

    const onEvent = (event: unknown): void => {
      try {
        // No key: the endpoint is the relay (SPEC §6), which takes no customer id from a pixel.
        const profile = fromCheckout(event, init?.data?.customer, !key);
        if (!profile) return;
        if (allowed) return queue(profile);
        // Only the newest profile of one id in one checkout needs to wait.
        const slot = profile[2] + ' ' + profile[0];
        waiting.delete(slot);
        waiting.set(slot, profile);
      } catch {}
    };
    for (const name of CHECKOUT_EVENTS) analytics!.subscribe(name, onEvent);

    customerPrivacy?.subscribe('visitorConsentCollected', (event: any) => {
      try {
        allowed = event.customerPrivacy.analyticsProcessingAllowed === true;
        // Granted: what waited goes out, in order. Refused: it is discarded.
        const profiles = [...waiting.values()];
        waiting.clear();
        if (allowed) profiles.forEach(queue);
      } catch {}
    });
  } catch {}
};
