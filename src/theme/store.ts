import { allowed, editing } from './consent';
import { PREFIX } from '../core/record';

export { PREFIX };

/**
 * localStorage behind guards; values persist only while consent allows (and
 * never in the theme editor). Nothing in this module throws: the
 * `localStorage` getter itself throws a SecurityError where storage is
 * blocked (sandboxed frames, cookies disabled in Chrome and Safari), and a
 * missing one is a TypeError: each is read inside a try, on every use.
 */

/** Values that live only for this page: storage missing, full, or not allowed yet. Read first. */
export const memory = new Map<string, any>();

/** A stored value; null or undefined for none (storage missing or throwing). From memory, as set() was given it. */
export const get = (key: string): string | null | void => {
  try {
    return memory.get(key) ?? localStorage.getItem(key);
  } catch {}
};

/**
 * Stores a value: in localStorage when allowed and possible, else in memory
 * for this page. A number or an array may be given (no `+ ''` at each call):
 * setItem stores its string; memory keeps it as given, and its readers
 * coerce it (`+get(lease)`, `get(pause) + ','`).
 */
export const set = (key: string, value: unknown): void => {
  try {
    // setItem throws on quota and, in old Safari private mode, always.
    if (allowed()) {
      localStorage.setItem(key, value as string);
      memory.delete(key);
      return;
    }
  } catch {}
  memory.set(key, value);
};

/**
 * Deletes a value, whatever consent says: removing data is never storing it
 * (SPEC §3 privacy: a record delivered while consent was withdrawn must not
 * stay, nor a reset wait for the consent API to load). Never in the theme
 * editor: its preview shares the live store's origin (SPEC §4).
 */
export const del = (key: string): void => {
  memory.delete(key);
  try {
    if (!editing()) localStorage.removeItem(key);
  } catch {}
};

/**
 * Calls `each` with every key of ours in localStorage and its value, in key
 * order, and answers how many keys storage holds, ours and others' (0
 * where it cannot be read): at most a few times a page (scan.ts), never per call.
 */
export const storedKeys = (each: (key: string, value: string | null | void) => void): number => {
  try {
    // A Storage object's own enumerable properties are its keys (HTML spec:
    // its supported property names). Ours are picked out before sorting:
    // other scripts' keys may be thousands.
    const keys = Object.keys(localStorage);
    keys
      .filter((key) => !key.indexOf(PREFIX))
      .sort()
      .forEach((key) => each(key, get(key)));
    return keys.length;
  } catch {
    return 0;
  }
};

/** Moves what waited in memory into localStorage, once persisting is allowed. */
export const persist = (): void => memory.forEach((value, key) => set(key, value));

/** JSON.parse that answers undefined for garbage instead of throwing. */
export const parse = (json: string | null | void): any => {
  try {
    return JSON.parse(json!);
  } catch {}
};
