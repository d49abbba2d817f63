import { describe, expect, it } from 'vitest';
import { CHECKOUT_EVENTS, EMAIL_OPT_IN, SMS_OPT_IN, fromCheckout } from '../../src/pixel/checkout';

// SPEC §5: what a checkout pixel makes of one event. Payloads follow the
// recorded real ones (customerlabs' recording, notes/shopify-web-pixels.md):
// `phone: ""`, `order: {}` until the order exists, `gid://` ids.

const event = (checkout: unknown) => ({ name: 'checkout_contact_info_submitted', data: { checkout } });
const contact = {
  token: '864ef6919a4214321240c177707a01f7',
  email: 'thissasthiey@gmail.com',
  phone: '',
  order: {},
  shippingAddress: { country: 'IN', countryCode: 'IN', phone: '' },
  attributes: [{ key: '_google-clientID', value: '2056727569.1681286297' }],
};
const address = { address1: '1 Main St', city: 'Tembhari', firstName: 'testye', lastName: 'uujje', phone: '', zip: '441122' };

describe('fromCheckout: the id, first that exists', () => {
  it.each([
    ['the logged-in buyer (init.data.customer), over the email', { id: '6713034932445' }, { ...contact }, '6713034932445'],
    ['the logged-in buyer as a gid', { id: 'gid://shopify/Customer/6713034932445' }, { ...contact }, '6713034932445'],
    ['the logged-in buyer as a number', { id: 6713034932445 }, { ...contact }, '6713034932445'],
    ['the order customer once the order exists', null, { ...contact, order: { id: 'gid://shopify/OrderIdentity/5396439498987', customer: { id: 'gid://shopify/Customer/7100000000001', isFirstOrder: true } } }, '7100000000001'],
    ['the logged-in buyer over the order customer', { id: '1' }, { ...contact, order: { customer: { id: 'gid://shopify/Customer/2' } } }, '1'],
    ['the email, trimmed and lower-cased', null, { ...contact, email: '  Ada.Lovelace@Example.COM ' }, 'ada.lovelace@example.com'],
    ['the email when the order has no customer', null, { ...contact, order: { id: 'gid://shopify/OrderIdentity/1', customer: null } }, 'thissasthiey@gmail.com'],
    ['the email when the buyer id is 0', { id: 0 }, { ...contact }, 'thissasthiey@gmail.com'],
    ['the phone without an email', null, { ...contact, email: null, phone: '+447700900123' }, '+447700900123'],
    ['the phone past a 41-character email', null, { ...contact, email: `${'x'.repeat(29)}@example.com`, phone: '+447700900123' }, '+447700900123'],
    ['a 40-character email', null, { ...contact, email: `${'x'.repeat(28)}@example.com` }, `${'x'.repeat(28)}@example.com`],
    ['the SMS phone without email or phone', null, { ...contact, email: '', phone: '', smsMarketingPhone: '+15145550199' }, '+15145550199'],
    ['the address phone as a last resort', null, { ...contact, email: null, phone: null, shippingAddress: { ...address, phone: '+33612345678' } }, '+33612345678'],
  ])('%s', (_, customer, checkout, id) => {
    expect(fromCheckout(event(checkout), customer)?.[0]).toBe(id);
  });
});

describe('fromCheckout through the relay (no key, SPEC §6): email, else phone, never a customer id', () => {
  const order = { id: 'gid://shopify/OrderIdentity/1', customer: { id: 'gid://shopify/Customer/7100000000001' } };
  it.each([
    ['the email over the logged-in buyer', { id: '6713034932445' }, { ...contact }, 'thissasthiey@gmail.com'],
    ['the email over the order customer', null, { ...contact, order }, 'thissasthiey@gmail.com'],
    ['the phone, with its +, when there is no email', { id: '6713034932445' }, { ...contact, email: '', phone: '+447700900123', order }, '+447700900123'],
    ['no one: a phone of digits only would pass for a customer id', { id: '6713034932445' }, { ...contact, email: '', phone: '447700900123', order }, undefined],
    ['no one: the mobile (the SMS phone here) is digits only', null, { ...contact, email: '', phone: '', smsMarketingPhone: '15145550199', shippingAddress: { phone: '+33612345678' } }, undefined],
  ])('%s', (_, customer, checkout, id) => {
    expect(fromCheckout(event(checkout), customer, true)?.[0]).toBe(id);
  });

  it('the same checkout with a key: the customer id, as before', () => {
    expect(fromCheckout(event({ ...contact, order }), { id: '6713034932445' }, false)?.[0]).toBe('6713034932445');
  });

  it('reserved fields are the same either way: the phone stays in mobile', () => {
    const checkout = { ...contact, phone: '447700900123' };
    expect(fromCheckout(event(checkout), { id: '1' }, true)![1]).toEqual(fromCheckout(event(checkout), { id: '1' })![1]);
  });
});

describe('fromCheckout: reserved fields and opt-ins', () => {
  it('a contact step: email and the opt-ins, no name, no blank phone', () => {
    expect(fromCheckout(event({ ...contact, buyerAcceptsEmailMarketing: true, buyerAcceptsSmsMarketing: false }), null)).toEqual([
      'thissasthiey@gmail.com',
      { email: 'thissasthiey@gmail.com', [EMAIL_OPT_IN]: true, [SMS_OPT_IN]: false },
      '864ef6919a4214321240c177707a01f7',
    ]);
  });

  it('name from billing, else shipping; mobile from the checkout phone, then SMS, billing, shipping', () => {
    const billing = { ...address, firstName: ' Ada ', lastName: 'Lovelace', phone: '+441' };
    const shipping = { ...address, firstName: 'Shipping', lastName: 'Person', phone: '+442' };
    const full = { ...contact, phone: '+440', smsMarketingPhone: '+443', billingAddress: billing, shippingAddress: shipping };
    const attrs = (checkout: object) => fromCheckout(event(checkout), null)![1];
    expect(attrs(full)).toEqual({ name: 'Ada Lovelace', email: 'thissasthiey@gmail.com', mobile: '+440' });
    expect(attrs({ ...full, phone: ' ' }).mobile).toBe('+443');
    expect(attrs({ ...full, phone: '', smsMarketingPhone: null }).mobile).toBe('+441');
    expect(attrs({ ...full, phone: '', smsMarketingPhone: null, billingAddress: { ...billing, phone: '' } }).mobile).toBe('+442');
    expect(attrs({ ...full, billingAddress: null }).name).toBe('Shipping Person');
    expect(attrs({ ...full, billingAddress: { firstName: '', lastName: '  ' } }).name).toBe('Shipping Person');
    expect(attrs({ ...full, billingAddress: { firstName: null, lastName: 'Lovelace' } }).name).toBe('Lovelace');
    expect(attrs({ ...full, billingAddress: { firstName: 'Ada' } }).name).toBe('Ada');
  });

  it('opt-ins only as booleans, false included', () => {
    const attrs = (extra: object) => fromCheckout(event({ ...contact, ...extra }), null)![1];
    expect(attrs({ buyerAcceptsEmailMarketing: false, buyerAcceptsSmsMarketing: true })).toMatchObject({ [EMAIL_OPT_IN]: false, [SMS_OPT_IN]: true });
    expect(attrs({ buyerAcceptsEmailMarketing: 'yes', buyerAcceptsSmsMarketing: null })).toEqual({ email: 'thissasthiey@gmail.com' });
  });

  it('the token, or "" without one', () => {
    expect(fromCheckout(event({ ...contact, token: null }), null)![2]).toBe('');
    expect(fromCheckout(event({ ...contact, token: ' t ' }), null)![2]).toBe('t');
  });
});

describe('fromCheckout: what names nothing', () => {
  it.each([
    ['no event', undefined],
    ['null', null],
    ['a string', 'checkout'],
    ['no data', {}],
    ['data null', { data: null }],
    ['no checkout', { data: {} }],
    ['checkout null', { data: { checkout: null } }],
    ['checkout a string', { data: { checkout: 'x' } }],
    ['checkout an array', { data: { checkout: [contact] } }],
    ['no email, no phone', event({ ...contact, email: null, phone: '' })],
    ['blank email and phone', event({ ...contact, email: '   ', phone: ' ' })],
    ['an email of a number', event({ ...contact, email: 42 })],
    ['an email past 40 characters and no phone', event({ ...contact, email: `${'x'.repeat(29)}@example.com` })],
  ])('%s', (_, e) => {
    expect(fromCheckout(e, null)).toBeUndefined();
  });

  it('a logged-in buyer with a malformed or empty checkout: skipped, not a bare id', () => {
    expect(fromCheckout({ data: { checkout: 'x' } }, { id: '1' })).toBeUndefined();
    expect(fromCheckout(event({}), { id: '1' })).toBeUndefined();
    expect(fromCheckout(event({ email: 42, phone: {}, billingAddress: 'x' }), { id: '1' })).toBeUndefined();
  });

  it('an order customer id of garbage falls through to the email', () => {
    for (const customer of [null, 'x', { id: null }, { id: '' }, { id: {} }, { id: 'gid://shopify/Customer/0' }]) {
      expect(fromCheckout(event({ ...contact, order: { customer } }), null)?.[0]).toBe('thissasthiey@gmail.com');
    }
  });

  it('throwing getters are left to the caller', () => {
    const checkout = Object.defineProperty({ ...contact }, 'email', { get: () => { throw new Error('getter'); } });
    expect(() => fromCheckout(event(checkout), null)).toThrow('getter');
  });
});

it('subscribes to the five checkout events', () => {
  expect(CHECKOUT_EVENTS).toEqual([
    'checkout_contact_info_submitted',
    'checkout_address_info_submitted',
    'checkout_shipping_info_submitted',
    'payment_info_submitted',
    'checkout_completed',
  ]);
});
