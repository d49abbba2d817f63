// Starts a node:http handler on host:port (port 0: any free port), for the
// collector and the storefront alike. Resolves with { origin, close() };
// close() also ends open sockets (keep-alive, SSE, hanging requests), so a
// test process can exit.
import { createServer } from 'node:http';

export function listen(handler, { host, port }, onClose = () => {}) {
  const server = createServer(handler);
  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      let closing = null;
      const close = () => (closing ??= new Promise((done) => {
        onClose();
        server.close(() => done());
        for (const s of sockets) s.destroy();
      }));
      resolve({ origin: `http://${host}:${server.address().port}`, close });
    });
  });
}

/** A request's whole body, as a Buffer (the demo's requests are small). */
export function readAll(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
