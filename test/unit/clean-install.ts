import { afterEach, beforeEach, vi } from 'vitest';

/**
 * For unit files that install the snippet into happy-dom's window: every
 * listener it adds to `window` and `document`, and every timer it starts,
 * is removed after each test, so no test's snippet reacts to another's
 * events or wakes up during a later test.
 */
export const cleanInstalls = (): void => {
  const listeners: [EventTarget, string, EventListenerOrEventListenerObject][] = [];
  const timers = new Set<ReturnType<typeof setTimeout>>();

  beforeEach(() => {
    for (const target of [window, document] as EventTarget[]) {
      const add = target.addEventListener;
      vi.spyOn(target, 'addEventListener').mockImplementation(function (this: EventTarget, type, listener, options) {
        if (listener) listeners.push([target, type, listener]);
        return add.call(this, type, listener, options);
      });
    }
    const start = globalThis.setTimeout;
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
      const id = start(() => (timers.delete(id), fn()), ms);
      timers.add(id);
      return id;
    }) as typeof setTimeout);
  });

  afterEach(() => {
    for (const [target, type, listener] of listeners.splice(0)) target.removeEventListener(type, listener);
    timers.forEach(clearTimeout);
    timers.clear();
  });
};
