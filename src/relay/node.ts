/// <reference types="node" />
// The Node entry (`dist/relay/node.mjs`, `npm run relay`): serves the same
// fetch handler as the Worker on node:http, configured from the
// environment (SPEC §6). A missing or malformed variable stops it at
// start-up with a message naming the variable.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { MAX_BODY } from './body';
import { readConfig } from './config';
import { handler } from './handler';

// One frozen copy: the handler derives its configuration once per env object.
const env = Object.freeze({ ...process.env });
const problem = readConfig(env);
const host = env.HOST || '127.0.0.1';
const port = env.PORT ? Number(env.PORT) : 8788;
const stop = (message: string) => {
  console.error(`growlytics-relay: ${message}`);
  process.exit(1);
};
if (typeof problem == 'string') stop(problem);
if (!Number.isInteger(port) || port < 0 || port > 65535) stop('PORT: not a port number (0-65535)');

/**
 * Reads at most MAX_BODY + 1 bytes: enough for the handler to refuse a
 * larger body (413) without holding it. A plain Buffer, not a stream:
 * Node's web streams (Readable.toWeb) took 7% of the relay's CPU in a
 * profile under load, nearly as much as the HMAC check (10%).
 */
const readUpTo = (req: IncomingMessage): Promise<Buffer> =>
  new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = () => done(Buffer.concat(chunks));
    req.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > MAX_BODY) {
        req.pause();
        req.removeAllListeners('data');
        finish();
      }
    });
    req.on('end', finish);
    req.on('error', fail);
  });

/** node:http's request as a fetch Request. */
const toRequest = async (req: IncomingMessage): Promise<Request> => {
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  // The body may be cut at MAX_BODY + 1: its declared length no longer holds.
  headers.delete('content-length');
  const hasBody = req.method != 'GET' && req.method != 'HEAD';
  return new Request(`http://${req.headers.host || host}${req.url}`, {
    method: req.method,
    headers,
    body: hasBody ? new Uint8Array(await readUpTo(req)) : null,
  });
};

const serve = async (req: IncomingMessage, res: ServerResponse) => {
  try {
    const response = await handler.fetch(await toRequest(req), env);
    const body = Buffer.from(await response.arrayBuffer());
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => (headers[name] = value));
    // Refused before its whole body was read (413): close the connection
    // rather than let Node read and discard the rest of the upload to reuse it.
    if (!req.complete) headers.connection = 'close';
    res.writeHead(response.status, headers);
    res.end(body);
  } catch {
    // Only a malformed request line gets here (the handler never throws).
    if (!res.headersSent) res.writeHead(400);
    res.end();
  }
};

const server = createServer((req, res) => void serve(req, res));
server.on('error', (e) => stop(`HOST, PORT: cannot listen on ${host}:${port}: ${e.message}`));
server.listen(port, host, () => {
  const address = server.address();
  const bound = typeof address == 'object' && address ? address.port : port;
  console.log(`growlytics-relay listening on http://${host}:${bound}`);
});
// A process manager stops it with SIGTERM: finish what is in flight, then exit.
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => server.close(() => process.exit(0)));
