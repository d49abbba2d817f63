import { config } from './config';
import { PREFIX, hash } from './record';
import { del, get, set } from './store';
import { toId, type Attributes } from './validate';

/** The `customer` option: what the Liquid snippet prints from Shopify's `customer` object. */
export type Customer = {
  id?: string | number | null;
  email?: string | null;
  name?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  phone?: string | null;
};

/** `<hash of id>.<hash of profile>`: the last auto-identified profile this browser queued, until it fails to be delivered. */
export const FINGERPRINT = PREFIX + 'f';

/**
 * A Shopify customer id read through `get`, or '' for none: `0`, '' and null
 * name no one (SPEC §4), and a missing part or a getter that throws is no one
 * too, so the search goes on.
 */
const customerId = (get: () => unknown): string => {
  try {
    const id = toId(get());
    return id == '0' ? '' : id;
  } catch {
    return '';
  }
};

/**
 * The logged-in customer as `[id, reserved fields]`, or undefined for a
 * guest. The id comes from the `customer` option, then
 * `ShopifyAnalytics.meta.page.customerId`, then `__st.cid` (numbers on a
 * real storefront). Only the option carries name, email and phone: Shopify
 * never prints them into globals. Read on each call: themes and apps may set
 * these late, partly, or oddly.
 */
export const findCustomer = (win: any, option: any, useGlobals: boolean): [string, Attributes] | undefined => {
  const fields: Attributes = {};
  // Liquid prints a missing field as null: null, '' and undefined fill nothing.
  const put = (name: string, value: any) => value && (fields[name] = value);
  // Optional chaining, not a caught TypeError: on a guest page this runs on every identify.
  let id = customerId(() => option?.id);
  if (id) {
    try {
      put('name', option.name || [option.firstName, option.lastName].filter(Boolean).join(' '));
      put('email', option.email);
      put('mobile', option.phone);
    } catch {} // a getter that throws: no reserved fields, still the customer
  } else if (useGlobals) {
    id = customerId(() => win.ShopifyAnalytics?.meta?.page?.customerId) || customerId(() => win.__st?.cid);
  }
  return id ? [id, fields] : undefined;
};

/** The logged-in customer of this page, as configured. */
export const currentCustomer = () => findCustomer(window, config._customer, config._useGlobals);

/**
 * Auto-identify (SPEC §4): the id to identify when the logged-in customer's
 * profile differs from the one last queued from this browser, '' when
 * unchanged or a guest; `logout()` when a customer seen before is gone. The
 * fingerprint is taken at queue time (a page that reloads before the
 * request ends then adds no second one) and forgotten when that profile is
 * not delivered after all (`forgetPrint`).
 */
export const autoIdentify = (logout: () => void): string => {
  const found = currentCustomer();
  const last = get(FINGERPRINT);
  if (!found) return last && logout(), '';
  const print = hash(found[0]) + '.' + hash(JSON.stringify(found));
  return print == last ? '' : (set(FINGERPRINT, print), found[0]);
};

/** The profile of `id` was discarded, evicted or rejected: if it was the auto-identified one, identify the customer again on a later page. */
export const forgetPrint = (id: string): void => {
  (get(FINGERPRINT) || '.').indexOf(hash(id) + '.') || del(FINGERPRINT);
};
