// Imports in dependency order, lowest layer first (not alphabetical), as the bundle lays the modules out.
import { config, usable } from './config';
import { allowed, editing, watchConsent } from './consent';
import { PREFIX, WRITTEN } from '../core/record';
import { report, visible } from './report';
import { debug, debugSwitch } from './debug';
import { del, memory, persist, set } from './store';
import { checkAttributes, checkId, isPlainObject } from '../core/validate';
import { commit, countedFor, lockOf } from './known';
import { autoIdentify, currentCustomer, customerGiven, forgetCustomer, setCustomer, type Customer } from './shopify';
import { discardUnpersisted, enqueue, queued, syncQueue } from './queue';
import { catchUp, onJoin, scan } from './scan';
import { flushNow, kick, unload } from './sender';

// `growlytics:c` is written when the visitor grants consent, so other open
// tabs hear of it (a `storage` event) and store what waits in their memory.

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
    // init('API_KEY') and the like change nothing: debug says why.
    if (!isPlainObject(options)) debug('init: options not an object:', options);
    for (const name in config) {
      const value = options[name as keyof Options];
      // Same type as the default, and no empty key or endpoint; anything else
      // is ignored. A key or endpoint no request could use is refused here,
      // loudly, instead of failing every request silently (SPEC §2).
      if (typeof value == typeof (config as any)[name] && value !== '') {
        // A key is sent as given, trimmed (fetch would trim a header's
        // spaces anyway; a pasted non-breaking one would be refused).
        const given = typeof value == 'string' ? value.trim() : value;
        try {
          if (!usable(name, given)) throw 0;
          (config as any)[name] = given;
          // A key brought by init lifts a refused key's pause (SPEC §3).
          if (name == 'key') del(PREFIX + 'k');
        } catch {
          // visible() shows an invisible character (a zero-width space as %u200B) and never throws.
          report('unauthorized', `${name} refused: ${visible(value as string)}`);
        }
      }
    }
    if (setCustomer(options.customer)) autoIdentify(api.identify);
    kick();
  }),

  /** Creates or updates a customer profile. Never throws; see IdentifyResult. */
  identify(id?: string | number | null, attributes?: Record<string, unknown> | null): IdentifyResult {
    const errors: string[] = [];
    let queued: unknown;
    try {
      const found = currentCustomer();
      // No id: the logged-in customer's, checked like any other.
      const target = checkId(id ?? found?.[0], errors, 'none given, no logged-in customer to default to');
      attributes ??= {}; // null and undefined mean none
      if (!isPlainObject(attributes)) throw 0; // reported below
      if (target) {
        // What earlier pages left, if the page load skipped it: this call
        // merges with their records, and its name list joins their bound.
        scan();
        // Reserved fields go only into the logged-in customer's own profile,
        // and the caller's values win over them. (Another id: `false`, whose
        // Object.keys() is [], so no fields.)
        const [profile, locks, added] = checkAttributes(
          [(found?.[0] == target && found![1]) as object, attributes],
          lockOf,
          countedFor(target),
          errors,
        );
        // The theme editor's preview stores and sends nothing (SPEC §4): the
        // call is checked, so its errors still help the theme developer.
        const refused = editing()
          ? 'theme editor: preview stores and sends nothing'
          : enqueue(target, profile, () => commit(target, locks, added));
        if (refused) {
          errors.push(refused);
        } else {
          // Before kick(): the send's own lines follow this one. (Consent
          // is asked only for debug: off, this costs one property read.)
          if (config.debug) {
            if (allowed()) debug('queued', target);
            else debug('queued', target, '(in memory: waiting for consent)');
          }
          queued = kick(); // a promise: truthy
        }
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

  /** Attempts every queued profile now (also what another tab left); resolves, never rejects, when done. */
  flush: (): Promise<void> => {
    catchUp(); // throws nothing: storage is touched behind store.ts's guards
    return flushNow();
  },

  /** Forgets the current Shopify customer (call on logout). Queued profiles are still delivered. */
  reset: guard(forgetCustomer),

  /** Runs `[method, ...args]` commands, as the pre-load queue does. */
  push: (...commands: unknown[][]): void =>
    commands.forEach(
      guard((command) => {
        const method = command?.[0] as string;
        // Only the API's own methods: not `__defineGetter__` and the like,
        // which Object.prototype would lend. A call that cannot run does
        // nothing; debug names it (a typo such as 'identfy' is silent otherwise).
        if (!Array.isArray(command)) debug('push: not [method, ...args]:', command);
        else if (api.hasOwnProperty(method)) (api as any)[method](...command.slice(1));
        else debug('push: unknown method', method);
      }),
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
  // The answer may have changed: granted, what waited in memory is stored
  // and sent, and when the visitor chose here (`chose` is their
  // visitorConsentCollected event), other tabs hear of it; refused by the
  // visitor, it is dropped.
  const settle = guard((chose?: unknown) => {
    if (allowed()) {
      // Records that waited in memory reach storage only now: so must the
      // time of the latest record write, or a scan stamped meanwhile by
      // another tab would count them as seen (scan.ts).
      if (memory.has(WRITTEN)) memory.set(WRITTEN, Date.now());
      persist();
      kick();
      if (chose) set(PREFIX + 'c', Date.now());
    } else if (chose) discardUnpersisted();
  });
  watchConsent(settle);
  on(doc, 'visitorConsentCollected', settle);
  // Other tabs' writes, once this page joins the shared queue (scan.ts).
  onJoin(() =>
    on(win, 'storage', (e: StorageEvent) => {
      syncQueue(e.key, e.newValue);
      // Another tab's visitor (the same person) granted consent: store and send
      // what waits here. Asked six times over 2.5 s: the consent cookie the
      // other tab set may reach this tab after the storage event (Firefox).
      if (e.key == PREFIX + 'c') [...Array(6)].map((_, t) => setTimeout(settle, t * 500));
      // A removal may be another tab's lease or records going: what waited on them can go now.
      if (!e.newValue) kick();
    }),
  );
  // What earlier pages, other tabs and the checkout pixels left, unless two
  // reads show nothing can be there (scan.ts).
  catchUp();
  // A page load is a fresh try (SPEC §3): it ends a refused key's pause
  // (also without a key, through a relay: init brings none to lift it)
  // and, when it found something to send, the backoff wait (not
  // Retry-After). Finding nothing, no sender has a record, so the wait
  // holds nobody back.
  del(PREFIX + 'k');
  if (queued.size) flushNow();
  on(win, 'online', api.flush);
  // Leaving, the page may go into the back/forward cache: if it comes
  // back, what other tabs left meanwhile is looked for again. Listened for
  // only then: a pageshow listener from the start would run on every page
  // load, and its event object alone costs Chromium about 0.1 ms (issue 15).
  const restored = guard(() => {
    catchUp();
    kick();
  });
  on(win, 'pagehide', (e: PageTransitionEvent) => {
    unload(e); // its event says the page is gone
    win.addEventListener('pageshow', restored, { once: true });
  });
  on(doc, 'visibilitychange', () => (doc.hidden ? unload() : kick()));
  // The script tag, also with async and defer; none when imported as a module.
  const data = doc.currentScript?.dataset;
  // data-debug is a boolean attribute: present is on. The URL switch is read
  // (and =0 applied) either way.
  // (document.URL, not location.search: the Location object costs a page load about 60 us.)
  const urlDebug = debugSwitch(doc.URL);
  api.init({ ...data, debug: data?.debug != null || urlDebug });
  win.growlytics = api;
  if (Array.isArray(existing)) api.push(...existing);
  // An init that brought a customer identified them already.
  if (!customerGiven()) autoIdentify(api.identify);
  return api;
};
