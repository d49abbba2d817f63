/** What to do after an answer: numbers (they minify), ordered so the sender can compare. */
export const OK = 0;
export const DROP = 1;
export const RETRY = 2;
export const AUTH = 3;
export type Verdict = typeof OK | typeof RETRY | typeof DROP | typeof AUTH;

/** SPEC §3. Status 0 stands for a network error, a timeout or a keepalive refusal. */
export const verdict = (status: number): Verdict =>
  // On the decimal digits (a status has three, or is 0): 2xx; 401, 403; other 4xx but 408 and 429; the rest.
  /^2/.test(status as any) ? OK : /^40[13]/.test(status as any) ? AUTH : /^4(?!08|29)/.test(status as any) ? DROP : RETRY;

const MAX_BACKOFF = 60_000;

/**
 * Full jitter: a random wait in [0, cap). The cap doubles from 1 s to 4 s,
 * stays there for six more failed rounds (a short outage ends, on average,
 * 2 s before the next try: delivery within about 5 s of recovery), then
 * doubles again up to 60 s, so a long outage costs the server little.
 */
export const backoff = (failures: number, random: number): number =>
  random * Math.min(MAX_BACKOFF, 1000 * 2 ** Math.max(Math.min(failures - 1, 2), failures - 7));

/** `Retry-After` in ms, as delta-seconds or an HTTP date; 0 when absent or past. Capped at an hour. */
export const retryAfter = (header: string | null | undefined, now: number): number => {
  // Absent (null, '') reads as 0 s.
  const wait = +header! >= 0 ? +header! * 1000 : Date.parse(header!) - now;
  return wait > 0 ? Math.min(wait, 3600e3) : 0;
};
