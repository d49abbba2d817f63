/** What the sender needs of an answer: status (0: no answer: network, timeout, keepalive quota), Retry-After, body. */
export type Answer = [status: number, retryAfter?: string | null, body?: string];

// A hung server's requests are given up after this, and retried: short
// enough that a 3 s hang ends in delivery about 3-4 s after the server is
// back (issue 9), long enough for a slow mobile upload of a large profile.
const TIMEOUT = 6_000;

/**
 * One POST of one profile. Never rejects. `keepalive` lets the request
 * outlive the page; Chromium refuses it (TypeError) past the 64 KiB shared
 * quota, which the caller budgets for. Without a key (a relay, SPEC §6) no
 * key header goes, and the body is `text/plain`: a cross-origin caller (a
 * pixel) then needs no CORS preflight, and the relay reads either type.
 */
export const post = async (url: string, key: string, body: string, keepalive: boolean): Promise<Answer> => {
  // The timeout's timer is cleared when the request ends (AbortSignal.timeout
  // would leave a task per request behind for 6 s, issue 15). Without
  // AbortController (very old browsers) the browser's own timeout applies.
  const abort = typeof AbortController == 'function' ? new AbortController() : undefined;
  const timer = setTimeout(() => abort?.abort(), TIMEOUT);
  try {
    const headers: Record<string, string> = key
      ? { 'content-type': 'application/json', 'x-growlytics-key': key }
      : { 'content-type': 'text/plain' };
    const res = await fetch(url, { method: 'POST', headers, body, keepalive, signal: abort?.signal });
    // Always read the body: Chromium counts a keepalive request against its
    // 64 KiB quota until its response body is consumed, so an unread 200
    // would make the next keepalive requests fail. On errors the console
    // shows it: the server's details.
    return [res.status, res.headers.get('retry-after'), await res.text()];
  } catch {
    return [0];
  } finally {
    clearTimeout(timer);
  }
};
