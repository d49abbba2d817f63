// One context made ahead of need. Each test takes a fresh context, and in
// Firefox and WebKit making one (a window; in WebKit a driver, a session and
// a MiniBrowser) takes seconds: taking one starts the next in the
// background, while the test runs (its first seconds are navigations).

/**
 * @template T
 * @param {() => Promise<T>} create
 * @param {(item: T) => Promise<void>} dispose
 */
export function prewarmed(create, dispose) {
  /** @type {Promise<{ ok: true, item: T } | { ok: false, error: unknown }> | null} */
  let next = null;
  let closed = false;
  const start = () => {
    next = create().then(
      (item) => ({ ok: true, item }),
      (error) => ({ ok: false, error }),
    );
  };
  return {
    /** A ready item (the one made ahead, or a new one if that failed), and the next one started. */
    async take() {
      if (closed) throw new Error('the browser is closed');
      const ready = next ? await next : null;
      start();
      if (ready?.ok) return ready.item;
      return create();
    },
    /** Disposes of the item made ahead, if any; no new one starts. */
    async close() {
      closed = true;
      const pending = next;
      next = null;
      const r = pending ? await pending : null;
      if (r?.ok) await dispose(r.item).catch(() => {});
    },
  };
}
