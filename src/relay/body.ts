/** The largest body the relay reads (SPEC §6): 512 KiB. */
export const MAX_BODY = 512 * 1024;

/**
 * Reads a request body as UTF-8 text, or null as soon as it passes
 * `MAX_BODY` bytes: a larger body is refused without being held in memory,
 * whatever its `content-length` claims.
 */
export const readBody = async (request: Request): Promise<string | null> => {
  const declared = Number(request.headers.get('content-length'));
  if (declared > MAX_BODY) return null;
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY) {
      // Stop reading; the runtime discards the rest of the upload.
      reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.byteLength;
  }
  return new TextDecoder().decode(all);
};
