// Imports in dependency order, lowest layer first (not alphabetical): the
// bundle lays the modules out in this order, which compresses 5 bytes better.
import { config } from './config';
import { allowed, watchConsent } from './consent';
import { LEASE, PREFIX } from '../core/record';
import { report } from './report';
import { del, persist, set, storedKeys } from './store';
import { checkAttributes, checkId, isPlainObject } from '../core/validate';
import { commit, countedFor, lockOf } from './known';
import { autoIdentify, currentCustomer, forgetCustomer, setCustomer, shopper, type Customer } from './shopify';
import { discardUnpersisted, enqueue, sweepLeases, syncQueue } from './queue';
import { flushNow, kick, unload } from './sender';

// `growlytics:c` is written when the visitor grants consent, so other open
// tabs hear of it (a `storage` event) and store what waits in their memory.
// Storage keys of one or two uses are written in place, not as module
// constants: each constant is one more name for the minifier, and past 54
// names they take two letters.

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

/** The public API (SPEC §2): `window.growlytics` once the bundle runs. */
export const api = {
  /** Configures the snippet; a later call overrides. Never throws. */
  init: guard((options: Options) => {
    for (const name in config) {
      const value = options[name as keyof Options];
      // Same type as the default, and no empty key or endpoint; anything else
      // is ignored. A key or endpoint no request could use is refused here,
      // loudly, instead of failing every request silently (SPEC §2).
      if (typeof value == typeof (config as any)[name] && value !== '') {
        // Usable: the request it would make is built, so fetch's own rules
        // apply: a key must be a header value (a pasted zero-width space,
        // past U+00FF, throws), and the endpoint a URL (resolved against the
        // page, so an app proxy path works) that is http(s). (Checked in
        // place, not in a function: one module name fewer.)
        const next = { ...config, [name]: value };
        try {
          if (!/^https?:/.test(new Request(next.endpoint, { headers: { k: next.key } }).url)) throw 0;
          (config as any)[name] = value;
          // A key brought by init lifts a refused key's pause (SPEC §3).
          name == 'key' && del(PREFIX + 'k');
        } catch {
          // escape() shows an invisible character (a zero-width space as %u200B) and never throws.
          report('unauthorized', `${name} refused: ${escape(value as string)}`);
        }
      }
    }
    setCustomer(options.customer) && autoIdentify(api.identify);
    kick();
  }),

  /** Creates or updates a customer profile. Never throws; see IdentifyResult. */
  identify(id?: string | number | null, attributes?: Record<string, unknown> | null): IdentifyResult {
    const errors: string[] = [];
    let queued: unknown;
    try {
      const found = currentCustomer();
      // No id: the logged-in customer's, checked like any other.
      const target = checkId(id ?? found?.[0], errors);
      attributes ??= {}; // null and undefined mean none
      if (!isPlainObject(attributes)) throw 0; // reported below
      if (target) {
        // Reserved fields go only into the logged-in customer's own profile,
        // and the caller's values win over them. (Another id: `false`, whose
        // Object.keys() is [], so no fields.)
        const [profile, locks, added] = checkAttributes(
          [(found?.[0] == target && found![1]) as object, attributes],
          lockOf,
          countedFor(target),
          errors,
        );
        const tooLarge = enqueue(target, profile, () => commit(target, locks, added));
        tooLarge ? errors.push(tooLarge) : (queued = kick()); // kick's promise: truthy
      }
    } catch {
      // Not a plain object, or a getter or proxy trap of it that throws.
      errors.push('attributes: not a plain object');
    }
    try {
      if (config.debug && errors.length) console.warn(PREFIX, errors);
    } catch {} // a console that throws (a theme's own wrapper)
    return { queued: !!queued, errors };
  },

  /** Attempts every queued profile now; resolves, never rejects, when done. */
  flush: flushNow as () => Promise<void>,

  /** Forgets the current Shopify customer (call on logout). Queued profiles are still delivered. */
  reset: guard(forgetCustomer),

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
  // Oldest record first (record keys sort by time); leases are looked at
  // once the records are known.
  const leases: string[] = [];
  storedKeys((key, value) => {
    if (key.startsWith(LEASE)) leases.push(key);
    else syncQueue(key, value);
  });
  sweepLeases(leases);
  // A page load is a fresh try (SPEC §3): it ends the backoff wait, not
  // Retry-After, and a refused key's pause (also without a key, through a
  // relay: init brings none to lift it).
  del(PREFIX + 'k');
  flushNow();
  // The answer may have changed: granted, what waited in memory is stored
  // and sent, and when the visitor chose here (`chose` is their
  // visitorConsentCollected event), other tabs hear of it; refused by the
  // visitor, it is dropped.
  const settle = guard((chose?: unknown) =>
    allowed() ? (persist(), kick(), chose && set(PREFIX + 'c', Date.now())) : chose && discardUnpersisted(),
  );
  watchConsent(settle);
  on(doc, 'visitorConsentCollected', settle);
  on(win, 'storage', (e: StorageEvent) => {
    syncQueue(e.key, e.newValue);
    // Another tab's visitor (the same person) granted consent: store and send
    // what waits here. Asked six times over 2.5 s: the consent cookie the
    // other tab set may reach this tab after the storage event (Firefox).
    if (e.key == PREFIX + 'c') [...Array(6)].map((_, t) => setTimeout(settle, t * 500));
    // A removal may be another tab's lease or records going: what waited on them can go now.
    e.newValue || kick();
  });
  on(win, 'online', flushNow);
  on(win, 'pagehide', unload); // its event says the page is gone
  on(win, 'pageshow', kick); // also a back/forward-cache restore
  on(doc, 'visibilitychange', () => (doc.hidden ? unload() : kick()));
  // The script tag, also with async and defer; none when imported as a module.
  const data = doc.currentScript?.dataset;
  api.init({ ...data, debug: data?.debug != null }); // a boolean attribute: present is on
  win.growlytics = api;
  if (Array.isArray(existing)) api.push(...existing);
  // An init that brought a customer identified them already.
  shopper || autoIdentify(api.identify);
  return api;
};
