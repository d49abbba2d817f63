/**
 * A lease, `growlytics:l:<hash of id>` → the time (ms) until which one
 * sender has that id's request in flight (SPEC §3: one sender at a time).
 */

/** Longer than the request timeout (6 s): another sender re-sends an id only once a live request must be over. */
export const LEASE_MS = 15_000;

/**
 * A page that is going away cannot delete its leases when its requests end:
 * it writes them this short, long enough for a keepalive request on a
 * working server, so the next page need not wait out the full lease.
 */
export const GONE_MS = 3_000;

/** A lease's stored time is no lease at all: past, missing, or further ahead than one can be (the clock went back). */
export const leaseOver = (value: string | null | void, now: number): boolean => {
  const until = Number(value);
  return !(until > now && until <= now + LEASE_MS);
};
