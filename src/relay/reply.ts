// Every answer carries CORS headers (SPEC §6): a pixel's sandboxed iframe
// (Origin: null) and a worker post cross-origin, and the snippet reads
// Retry-After (SPEC §1).
const CORS = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'Retry-After',
};

/** The answer to a CORS preflight: 204, POST with a `content-type`. */
export const preflight = (): Response =>
  new Response(null, {
    status: 204,
    headers: {
      ...CORS,
      'access-control-allow-methods': 'POST, OPTIONS',
      'access-control-allow-headers': 'content-type',
      'access-control-max-age': '86400',
    },
  });

/** A JSON answer with CORS headers; `headers` adds to them (Allow, Retry-After). */
export const reply = (status: number, body: string | object, headers: Record<string, string> = {}): Response =>
  new Response(typeof body == 'string' ? body : JSON.stringify(body), {
    status,
    headers: { ...CORS, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
  });

/** The relay's own refusal, in Growlytics' error shape (`{"success": false, ...}`). */
export const refuse = (status: number, message: string, headers?: Record<string, string>): Response =>
  reply(status, { success: false, message }, headers);
