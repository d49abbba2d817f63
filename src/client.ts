import { OPTIONS, config, usable } from './config';
import { allowed, watchConsent } from './consent';
import { commit, countedFor, forgetId, knowList, lockOf } from './known';
import { discardUnpersisted, enqueue, loadQueue, syncQueue } from './queue';
import { PREFIX } from './record';
import { report } from './report';
import { REFUSED, flushNow, hidden, kick, skipBackoff, unload } from './sender';
import { FINGERPRINT, autoIdentify, currentCustomer, type Customer } from './shopify';
import { del, openStore, persist, set, storedKeys } from './store';
import { checkAttributes, checkId, isPlainObject } from './validate';

/** Written when the visitor grants consent, so other open tabs hear of it (a `storage` event) and store what waits in their memory. */
const CONSENT = PREFIX + 'c';

/** Options of `init` (SPEC §2). Unknown options are ignored. */
export type Options = {
  /** The store's Growlytics API key. Nothing is sent without one. */
  key?: string;
  /** Default `https://dc.growlytics.in/track/user`. */
  endpoint?: string;
  /** Print validation errors to the console. Default false. */
  debug?: boolean;
  /** The logged-in customer, as the Liquid snippet renders it; null for a guest. */
  customer?: Customer | null;
  /** Identify the logged-in customer on page load, once per change. Default true. */
  autoIdentify?: boolean;
  /** Wait for Shopify's Customer Privacy API to allow analytics. Default true. */
  respectConsent?: boolean;
};

/** What `identify` answers, synchronously. */
export type IdentifyResult = {
  /** True when the profile is queued for delivery (durably where storage works). */
  queued: boolean;
  /** One message per rejected input, naming the field and the rule. */
  errors: string[];
};

/** Wraps an API body or a listener: nothing escapes into the theme. */
const guard = <A extends unknown[]>(fn: (...args: A) => unknown) => (...args: A): void => {
  try {
    fn(...args);
  } catch {}
};

/** Identifies the logged-in customer when their profile changed (SPEC §4). */
const identifyCustomer = () => {
  const id = config.autoIdentify && autoIdentify(api.reset);
  if (id) api.identify(id);
};

/** The public API (SPEC §2): `window.growlytics` once the bundle runs. */
export const api = {
  /** Configures the snippet; a later call overrides. Never throws. */
  init: guard((options: Options) => {
    for (const name of OPTIONS) {
      const value = options[name];
      // Same type as the default, and no empty key or endpoint; anything else
      // is ignored. A key or endpoint no request could use is refused here,
      // loudly, instead of failing every request silently (SPEC §2).
      if (typeof value == typeof config[name] && value !== '') {
        const use = usable(name, value);
        // escape() shows an invisible character (a zero-width space as %u200B).
        if (use === undefined) {
          report('unauthorized', undefined, `${name} refused: ${escape(value as string)} ${name == 'key' ? 'holds a character no HTTP header can carry' : 'is not an http(s) URL'}`);
        }
        // A key brought by init lifts a refused key's pause (SPEC §3).
        else (config as any)[name] = use, name == 'key' && del(REFUSED);
      }
    }
    const customer = options.customer;
    if (customer !== undefined) {
      config._customer = isPlainObject(customer) ? customer : null;
      if (config._customer) (config._useGlobals = true), identifyCustomer();
    }
    kick();
  }),

  /** Creates or updates a customer profile. Never throws; see IdentifyResult. */
  identify(id?: string | number | null, attributes?: Record<string, unknown> | null): IdentifyResult {
    const errors: string[] = [];
    let queued = false;
    try {
      const found = currentCustomer();
      const target = id != null ? checkId(id, errors) : found?.[0];
      if (!target && id == null) errors.push('id: none, no customer logged in');
      if (attributes != null && !isPlainObject(attributes)) errors.push('attributes: not a plain object');
      else if (target) {
        // Reserved fields go only into the logged-in customer's own profile,
        // and the caller's values win over them.
        const [profile, locks, added] = checkAttributes(
          [found?.[0] == target ? found[1] : {}, attributes || {}],
          lockOf,
          countedFor(target),
          errors,
        );
        const tooLarge = enqueue(target, profile, () => commit(target, locks, added));
        if (tooLarge) errors.push(tooLarge);
        else (queued = true), kick();
      }
    } catch {
      errors.push('attributes: unreadable');
    }
    try {
      if (config.debug && errors.length) console.warn('growlytics:', errors);
    } catch {} // a console that throws (a theme's own wrapper)
    return { queued, errors };
  },

  /** Attempts every queued profile now; resolves, never rejects, when done. */
  flush: (): Promise<void> => flushNow(),

  /** Forgets the current Shopify customer (call on logout). Queued profiles are still delivered. */
  reset: guard(() => {
    const found = currentCustomer();
    if (found) forgetId(found[0]);
    config._customer = null;
    config._useGlobals = false;
    del(FINGERPRINT);
  }),

  /** Runs `[method, ...args]` commands, as the pre-load queue does. */
  push: (...commands: unknown[][]): void =>
    // Only the API's own methods: not `__defineGetter__` and the like, which
    // Object.prototype would lend. Anything else throws into the guard.
    commands.forEach(
      guard((command) => api.hasOwnProperty(command[0] as string) && (api as any)[command[0] as string](...command.slice(1))),
    ),
};

/** The public API object found on `window.growlytics` (SPEC §2). */
export type Growlytics = typeof api;

/**
 * Returns the page's one snippet, setting it up on first use: opens storage
 * and the queue, listens to the page, applies the script tag's `data-*`
 * configuration, replays a pre-load command queue in order, then identifies
 * a customer the Shopify globals name, or resets after a logout (init's
 * kick sends what earlier pages left). A second copy of the bundle finds
 * the live API and leaves it alone.
 */
export const install = (win: any): Growlytics => {
  const existing = win.growlytics;
  if (existing?.identify) return existing; // a live API, not a pre-load array
  const doc = win.document;
  const on = (target: EventTarget, type: string, listener: (e: any) => unknown) => target.addEventListener(type, guard(listener));
  openStore(win, allowed);
  const keys = storedKeys();
  keys.forEach((key) => knowList(key));
  loadQueue(keys);
  // A page load is a fresh try (SPEC §3): it ends a refused key's pause (the
  // script tag may carry a new key) and the backoff wait, not Retry-After.
  del(REFUSED);
  skipBackoff();
  // The answer may have changed: granted, what waited in memory is stored and
  // sent; refused (the visitor chose), it is dropped.
  const settle = guard((refused?: boolean) => (allowed() ? (persist(), kick()) : refused && discardUnpersisted()));
  watchConsent(settle);
  on(doc, 'visitorConsentCollected', () => (settle(true), allowed() && set(CONSENT, Date.now() + '')));
  on(win, 'storage', (e: StorageEvent) => {
    syncQueue(e);
    knowList(e.key, e.newValue);
    // Another tab's visitor (the same person) granted consent: store and send what waits here.
    if (e.key == CONSENT) settle();
    // A removal may be another tab's lease or records going: what waited on them can go now.
    e.newValue || kick();
  });
  on(win, 'online', flushNow);
  on(win, 'pagehide', () => unload(true));
  on(win, 'pageshow', kick); // also a back/forward-cache restore
  on(doc, 'visibilitychange', () => (hidden() ? unload() : kick()));
  // The script tag, also with async and defer; none when imported as a module.
  const data = doc.currentScript?.dataset || {};
  api.init({ ...data, debug: data.debug != null }); // a boolean attribute: present is on
  win.growlytics = api;
  if (Array.isArray(existing)) api.push(...existing);
  // An init that brought a customer identified them already.
  config._customer || identifyCustomer();
  return api;
};
