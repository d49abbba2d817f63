import { isPlainObject, toId, type Attributes } from '../core/validate';

/**
 * What a checkout pixel makes of one Shopify checkout event (SPEC §5): plain
 * functions over the event payload (`event.data.checkout`, typed in
 * `@shopify/web-pixels-extension` as `Checkout`), no browser here.
 */

/** The checkout events the pixels identify on; storefront events are the theme snippet's. */
export const CHECKOUT_EVENTS = [
  'checkout_contact_info_submitted',
  'checkout_address_info_submitted',
  'checkout_shipping_info_submitted',
  'payment_info_submitted',
  'checkout_completed',
];

/**
 * The pixels' only custom attributes: the buyer's marketing choices at
 * checkout (`buyerAcceptsEmailMarketing`, `buyerAcceptsSmsMarketing`), as
 * booleans, sent only where the checkout reports them (Checkout
 * Extensibility), `false` included: unticking is a choice too.
 */
export const EMAIL_OPT_IN = 'acceptsEmailMarketing';
export const SMS_OPT_IN = 'acceptsSmsMarketing';

/** One profile from a checkout: `[id, attributes, checkout token]` ('' when the checkout has none). */
export type CheckoutProfile = [string, Attributes, string];

const MAX_ID = 40; // SPEC §2, as checkId
// Any `gid://shopify/<Type>/` prefix: a customer id is the same number in
// every form (the theme snippet strips `gid://shopify/Customer/`).
const GID = /^gid:\/\/shopify\/\w+\//;

const object = (v: unknown): Record<string, unknown> => (isPlainObject(v) ? (v as Record<string, unknown>) : {});
/** A trimmed string; anything else (null, a number, a blank) names nothing. */
const text = (v: unknown): string => (typeof v == 'string' ? v.trim() : '');
/** An id as the server takes it, or '' (too long, or none). */
const fit = (id: string): string => (id.length > MAX_ID ? '' : id);
/** A Shopify customer id, or '': `0` names no one, as on the storefront (SPEC §4). */
const customerId = (v: unknown): string => {
  const id = toId(v).replace(GID, '');
  return id == '0' ? '' : fit(id);
};
/** "First Last" from an address; either alone when only one is there. */
const fullName = (address: unknown): string => {
  const { firstName, lastName } = object(address);
  return [text(firstName), text(lastName)].filter(Boolean).join(' ');
};

/**
 * The profile one checkout event names, or undefined for a payload that is
 * not a checkout, names no one or tells nothing (a malformed event is
 * skipped). The id,
 * first that exists: the logged-in buyer's Shopify id (`init.data.customer`),
 * the order's customer (`checkout.order.customer.id`, from
 * `checkout_completed` on), the email (trimmed, lower-cased), the phone; an
 * id over 40 characters is passed over. Reserved fields: `email`, `mobile`
 * (checkout phone, else the SMS-marketing phone, else the billing or
 * shipping address phone), `name` (billing, else shipping first and last
 * name). Getters that throw are left to the caller's catch.
 *
 * `relayed`: the pixel sends through the relay with no key (SPEC §6).
 * Shopify signs no customer for a pixel's request, so the relay refuses a
 * Shopify customer id from it: the buyer is identified by email, else phone,
 * never by a customer id, and an id of digits only (a phone without its `+`,
 * which the relay takes for a customer id) is passed over.
 */
export const fromCheckout = (event: unknown, customer: unknown, relayed?: boolean): CheckoutProfile | undefined => {
  const checkout = object(object(event).data).checkout as Record<string, unknown>;
  if (!isPlainObject(checkout)) return undefined;
  const billing = checkout.billingAddress;
  const shipping = checkout.shippingAddress;
  const email = text(checkout.email).toLowerCase();
  const mobile = [checkout.phone, checkout.smsMarketingPhone, object(billing).phone, object(shipping).phone]
    .map(text)
    .find(Boolean);
  const name = fullName(billing) || fullName(shipping);
  const contact = (v: string): string => (relayed && /^\d+$/.test(v) ? '' : fit(v));
  const id =
    (!relayed && (customerId(object(customer).id) || customerId(object(object(checkout.order).customer).id))) ||
    contact(email) ||
    contact(mobile || '');
  const attributes: Attributes = {};
  if (name) attributes.name = name;
  if (email) attributes.email = email;
  if (mobile) attributes.mobile = mobile;
  for (const [name, value] of [
    [EMAIL_OPT_IN, checkout.buyerAcceptsEmailMarketing],
    [SMS_OPT_IN, checkout.buyerAcceptsSmsMarketing],
  ] as const) {
    if (typeof value == 'boolean') attributes[name] = value;
  }
  // A bare id tells the server nothing it can use: a checkout always has an email or a phone.
  return id && Object.keys(attributes).length ? [id, attributes, text(checkout.token)] : undefined;
};
