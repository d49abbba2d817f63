import type { Attributes } from '../core/validate';
import { reply } from './reply';

/** How long Growlytics has to answer before the relay says 504 (SPEC §6). */
export const UPSTREAM_TIMEOUT = 8_000;

/** The upstream's answer as the relay passes it back, and a word for the log. */
export type Forwarded = { response: Response; outcome: 'forwarded' | 'upstream timeout' | 'upstream unreachable' };

/**
 * One POST of a checked profile to Growlytics with the shop's key. The
 * upstream's status, Retry-After and body come back as they are, so the
 * snippet's retry rules (SPEC §3) hold end to end; the relay itself retries
 * nothing (the snippet's queue does). No answer within 8 s: 504; a network
 * error: 502.
 */
export const forward = async (endpoint: string, key: string, profile: { id: string; attributes: Attributes }): Promise<Forwarded> => {
  const signal = AbortSignal.timeout(UPSTREAM_TIMEOUT);
  try {
    const upstream = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-growlytics-key': key },
      body: JSON.stringify({ id: profile.id, attributes: profile.attributes }),
      signal,
    });
    // The timeout covers the body too: a server that sends headers and then stalls is a hang.
    const body = await upstream.text();
    const retryAfter = upstream.headers.get('retry-after');
    const headers: Record<string, string> = retryAfter == null ? {} : { 'retry-after': retryAfter };
    const type = upstream.headers.get('content-type');
    if (type) headers['content-type'] = type;
    return { response: reply(upstream.status, body, headers), outcome: 'forwarded' };
  } catch {
    // The signal tells a timeout from a network error in every runtime,
    // whatever the error's name (they differ between Node and workerd).
    return signal.aborted
      ? { response: reply(504, { success: false, message: 'Growlytics did not answer within 8 s' }), outcome: 'upstream timeout' }
      : { response: reply(502, { success: false, message: 'Growlytics could not be reached' }), outcome: 'upstream unreachable' };
  }
};
