// Contexts made ahead of need. Each test takes a fresh context, and in
// Firefox and WebKit making one (a window; in WebKit a driver, a session and
// a MiniBrowser) takes seconds: taking one starts the next in the
// background, while the test runs (its first seconds are navigations).

/**
 * @template T
 * @param {() => Promise<T>} create
 * @param {(item: T) => Promise<void>} dispose
 * @param {number} [depth=1] how many are made ahead (more when a test is
 *   often shorter than making one takes)
 */
export function prewarmed(create, dispose, depth = 1) {
  /** @type {Promise<{ ok: true, item: T } | { ok: false, error: unknown }>[]} */
  const ahead = [];
  let closed = false;
  const start = () => {
    while (ahead.length < depth) {
      ahead.push(
        create().then(
          (item) => ({ ok: true, item }),
          (error) => ({ ok: false, error }),
        ),
      );
    }
  };
  return {
    /** A ready item (the oldest made ahead, or a new one if that failed); the next ones are started. */
    async take() {
      if (closed) throw new Error('the browser is closed');
      const next = ahead.shift();
      start();
      const ready = next ? await next : null;
      if (ready?.ok) return ready.item;
      return create();
    },
    /** Disposes of what was made ahead; nothing new starts. */
    async close() {
      closed = true;
      const pending = ahead.splice(0);
      for (const r of await Promise.all(pending)) if (r.ok) await dispose(r.item).catch(() => {});
    },
  };
}
