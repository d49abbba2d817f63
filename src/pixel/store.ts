/**
 * A pixel's storage: Shopify's `browser.localStorage`, the Web Storage
 * methods made asynchronous, acting on the top frame (the shop's origin, so
 * the same storage the theme snippet reads). Every call is guarded: a
 * missing `browser`, a rejected promise (storage blocked or full, the
 * bridge gone with the page) or a throwing call reads as "nothing" and
 * writes nothing, so the pixel goes on from memory.
 */

/** What a pixel needs of `BrowserLocalStorage` (@shopify/web-pixels-extension). */
export type AsyncStorage = {
  getItem(key: string): Promise<string | null>;
  setItem(key: string, value: string): Promise<unknown>;
  removeItem(key: string): Promise<unknown>;
};

export type PixelStore = {
  _get(key: string): Promise<string | null>;
  /** Resolves true once stored, false when storage refused it. */
  _set(key: string, value: string): Promise<boolean>;
  _del(key: string): Promise<void>;
};

export const pixelStore = (storage: AsyncStorage | undefined): PixelStore => {
  // One guard for the three calls: [true, value] once done, [false] when storage rejected or threw.
  const call = async (method: keyof AsyncStorage, ...args: [string, string?]): Promise<[boolean, unknown?]> => {
    try {
      return [true, await (storage![method] as (...a: unknown[]) => unknown)(...args)];
    } catch {
      return [false];
    }
  };
  return {
    _get: async (key) => {
      const [, value] = await call('getItem', key);
      return typeof value == 'string' ? value : null;
    },
    _set: async (key, value) => (await call('setItem', key, value))[0],
    _del: async (key) => {
      await call('removeItem', key);
    },
  };
};

/** A stored JSON array of strings; garbage or nothing reads as []. */
export const strings = (json: string | null): string[] => {
  try {
    const list = JSON.parse(json!);
    return Array.isArray(list) ? list.filter((s) => typeof s == 'string') : [];
  } catch {
    return [];
  }
};
