import type { Attributes } from './validate';

/**
 * What a runtime (the theme bundle, a checkout pixel) gives the delivery
 * rules of `delivery.ts`: its storage, which may answer at once (the
 * theme's localStorage) or later (a pixel's `browser.localStorage`), so
 * every call is awaited; its queue; its configuration and consent.
 */

/** A value now or later: `await` takes both. */
export type Maybe<T> = T | Promise<T>;

/** Storage as the rules see it. Never throws or rejects (the runtime guards it). */
export type Store = {
  _get(key: string): Maybe<string | null | void>;
  _set(key: string, value: string): unknown;
  _del(key: string): unknown;
};

export type Runtime = {
  _store: Store;
  _endpoint(): string;
  /** The API key; '' for none. */
  _key(): string;
  /** True when the endpoint needs no key (a relay, SPEC §6): then none is sent. */
  _relay(): unknown;
  /** Consent (SPEC §4, §5), asked before every send and retry. */
  _allowed(): unknown;
  /** Keepalive requests this runtime may have in flight while its page lives, after `failed` failed rounds. */
  _keepalive(failed: number): number;
  /** One id's records that storage still holds, and their attributes merged in call order. */
  _take(id: string): Maybe<[string[], Attributes]>;
  /** Deletes records: delivered, or `lost` (dropped by a 4xx). */
  _remove(keys: string[], lost: boolean): unknown;
  _report(type: 'rejected' | 'unauthorized', message: string, id: string): void;
  /** Debug output (SPEC §2): the theme's `debug`, none in a pixel. */
  _debug?(...parts: unknown[]): void;
};
