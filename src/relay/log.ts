import { SHOP } from './config';

/**
 * One line per request (SPEC §6): time, shop, outcome, status, ms. Never an
 * id, an attribute, a key, a signature or the query: `outcome` is one of
 * the relay's fixed words, and a `shop` that is not a `*.myshopify.com`
 * domain (it can come from anyone, unsigned) is written as `-`, so nothing
 * a caller sends reaches the log but a shop's domain.
 */
export const logLine = (at: number, shop: string | null, outcome: string, status: number, ms: number): string =>
  `${new Date(at).toISOString()} growlytics-relay shop=${shop && SHOP.test(shop) ? shop : '-'} outcome="${outcome}" status=${status} ms=${ms}`;
