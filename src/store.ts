import { PREFIX } from './record';

export { PREFIX };

/** Values that live only for this page: storage missing, full, or not allowed yet. Read first. */
export const memory = new Map<string, string>();
let storage: Storage | undefined;
let canPersist = (): boolean => true;

/**
 * Opens localStorage behind guards. `allowed` says whether persisting is
 * permitted now (consent, theme editor). Nothing in this module throws:
 * touching a missing storage is a caught TypeError like any other failure.
 */
export const openStore = (win: any, allowed: () => boolean): void => {
  canPersist = allowed;
  try {
    // The getter itself throws a SecurityError where storage is blocked
    // (sandboxed frames, cookies disabled in Chrome and Safari).
    storage = win.localStorage;
  } catch {}
};

export const get = (key: string): string | null => {
  try {
    return memory.get(key) ?? storage!.getItem(key);
  } catch {
    return null;
  }
};

/** Stores a value: in localStorage when allowed and possible, else in memory for this page. */
export const set = (key: string, value: string): void => {
  try {
    // setItem throws on quota and, in old Safari private mode, always.
    if (canPersist()) return storage!.setItem(key, value), void memory.delete(key);
  } catch {}
  memory.set(key, value);
};

/** Deletes a value; localStorage is left as it is while persisting is not allowed (the theme editor shares the live store's origin). */
export const del = (key: string): void => {
  memory.delete(key);
  try {
    if (canPersist()) storage!.removeItem(key);
  } catch {}
};

/** Our keys in localStorage: read once at start-up, never per call. */
export const storedKeys = (): string[] => {
  const keys: string[] = [];
  try {
    for (let i = 0, key; (key = storage!.key(i)) != null; i++) key.indexOf(PREFIX) || keys.push(key);
  } catch {}
  return keys;
};

/** Moves what waited in memory into localStorage, once persisting is allowed. */
export const persist = (): void => memory.forEach((value, key) => set(key, value));

/** JSON.parse that answers undefined for garbage instead of throwing. */
export const parse = (json: string | null): any => {
  try {
    return JSON.parse(json!);
  } catch {}
};
