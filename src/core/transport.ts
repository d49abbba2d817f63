/** What the sender needs of an answer: status (0: no answer: network, timeout, keepalive quota), Retry-After, body. A tuple: it minifies. */
export type Answer = [status: number, retryAfter?: string | null, body?: string];

// A hung server's requests are given up after this, and retried: short
// enough that a 3 s hang ends in delivery about 3-4 s after the server is
// back (issue 9), long enough for a slow mobile upload of a large profile.
const TIMEOUT = 6_000;

/**
 * One POST of one profile. Never rejects. `keepalive` lets the request
 * outlive the page; Chromium refuses it (TypeError) past the 64 KiB shared
 * quota, which the caller budgets for.
 */
export const post = async (url: string, key: string, body: string, keepalive: boolean): Promise<Answer> => {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-growlytics-key': key },
      body,
      keepalive,
      // Safari < 16 has no AbortSignal.timeout: there the browser's own timeout applies.
      signal: AbortSignal.timeout?.(TIMEOUT),
    });
    // Always read the body: Chromium counts a keepalive request against its
    // 64 KiB quota until its response body is consumed, so an unread 200
    // would make the next keepalive requests fail. On errors the console
    // shows it: the server's details.
    return [res.status, res.headers.get('retry-after'), await res.text()];
  } catch {
    return [0];
  }
};
