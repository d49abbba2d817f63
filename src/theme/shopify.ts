import { config } from './config';
import { forgetId } from './known';
import { NAMES, PREFIX, hash } from '../core/record';
import { del, get, set } from './store';
import { isPlainObject, toId, type Attributes } from '../core/validate';

/** The `customer` option: what the Liquid snippet prints from Shopify's `customer` object. */
export type Customer = {
  id?: string | number | null;
  email?: string | null;
  name?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  phone?: string | null;
};

// `growlytics:f` → `<hash of id>.<hash of profile>`: the last
// auto-identified profile this browser queued, until it fails to be
// delivered.

/** The `customer` option as init last brought it; undefined: none given (the globals may name one). */
let option: Customer | undefined;
/** reset() said no one: the globals name no one for the rest of this page, unless init brings a customer (SPEC §2). */
let loggedOut = false;

/**
 * A Shopify customer id read through `get`, or a falsy value for none: `0`, '' and null
 * name no one (SPEC §4), and a missing part or a getter that throws is no one
 * too, so the search goes on.
 */
const customerId = (get: () => unknown): string | void => {
  try {
    const id = toId(get());
    return id == '0' ? '' : id;
  } catch {}
};

/**
 * The logged-in customer as `[id, reserved fields]`, or a falsy value for a
 * guest. The id comes from the `customer` option, then
 * `ShopifyAnalytics.meta.page.customerId`, then `__st.cid` (numbers on a
 * real storefront). Only the option carries name, email and phone: Shopify
 * never prints them into globals. Read on each call: themes and apps may set
 * these late, partly, or oddly.
 */
export const findCustomer = (win: any, option: any, useGlobals: boolean): [string, Attributes] | '' | void => {
  let fields: Attributes = {};
  // Optional chaining, not a caught TypeError: on a guest page this runs on every identify.
  let id = customerId(() => option?.id);
  if (id) {
    try {
      // Liquid prints a missing field as null: null and '' fill nothing
      // (undefined, which validation skips and JSON leaves out).
      fields = {
        name: option.name || [option.firstName, option.lastName].join(' ').trim() || undefined,
        email: option.email || undefined,
        mobile: option.phone || undefined,
      } as Attributes;
    } catch {} // a getter that throws: no reserved fields, still the customer
  } else if (useGlobals) {
    id = customerId(() => win.ShopifyAnalytics?.meta?.page?.customerId) || customerId(() => win.__st?.cid);
  }
  return id && [id, fields];
};

/**
 * Applies init's `customer`: undefined changes nothing; anything but a plain
 * object is none (the globals still may name one, unless reset() said no
 * one). Answers whether init brought a customer.
 */
export const setCustomer = (customer: unknown): boolean => {
  if (customer === undefined) return false;
  option = isPlainObject(customer) ? (customer as Customer) : undefined;
  if (option) loggedOut = false;
  return !!option;
};

/** Whether init brought a customer (who was then auto-identified). */
export const customerGiven = (): boolean => !!option;

/** The logged-in customer of this page, as configured. */
export const currentCustomer = () => findCustomer(window, option, !loggedOut);

/**
 * Auto-identify (SPEC §4), unless the `autoIdentify` option is off: calls
 * `identify` with the logged-in customer's id when their profile differs
 * from the one last queued from this browser; a customer seen before who is
 * gone logged out (reset). The
 * fingerprint is taken at queue time (a page that reloads before the
 * request ends then adds no second one) and forgotten when that profile is
 * not delivered after all (`forgetPrint`).
 */
export const autoIdentify = (identify: (id: string) => unknown): void => {
  if (!config.autoIdentify) return;
  const found = currentCustomer();
  const last = get(PREFIX + 'f');
  if (found) {
    const print = hash(found[0]) + '.' + hash(JSON.stringify(found));
    if (print != last) {
      set(PREFIX + 'f', print);
      identify(found[0]);
    }
  } else if (last) forgetCustomer();
};

/** The profile of `id` was discarded, evicted or rejected: if it was the auto-identified one, identify the customer again on a later page. */
export const forgetPrint = (id: string): void => {
  if (get(PREFIX + 'f')?.startsWith(hash(id) + '.')) del(PREFIX + 'f');
};

/**
 * reset() (SPEC §2): forgets the current customer and what was remembered
 * of them (the names counted for their id, the fingerprint); the globals
 * name no one for the rest of this page, unless init brings a customer.
 */
export const forgetCustomer = (): void => {
  const found = currentCustomer();
  if (found) forgetId(found[0]);
  // At a logout the globals name no one any more: the fingerprint still
  // names the id's hash (`<hash of id>.<hash of profile>`), and with it the
  // name list to forget.
  const print = get(PREFIX + 'f');
  if (print) del(NAMES + print.split('.')[0]);
  option = undefined;
  loggedOut = true;
  del(PREFIX + 'f');
};
