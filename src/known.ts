import { PREFIX, del, get, parse, set } from './store';
import { isPlainObject, type Kind } from './validate';

const TYPES = PREFIX + 't';
const NAMES = PREFIX + 'n:';
// Rule 4 is remembered for this many ids: past it, start-up forgets the
// first ids in localStorage's key order (not by age: that would need a
// write per call to track).
const MAX_IDS = 200;

/**
 * What this browser remembers for validation across page loads: the type
 * locked for each attribute name (rule 5, store-wide) and the custom names
 * counted for each id (rule 4). Null prototype: a "__proto__" name is data.
 */
export const types: Record<string, Kind> = Object.create(null);
const names = new Map<string, string[]>();

export const loadKnown = (keys: string[]): void => {
  const stored = parse(get(TYPES));
  if (isPlainObject(stored)) Object.assign(types, stored);
  keys.filter((key) => !key.indexOf(NAMES)).slice(0, -MAX_IDS).forEach(del);
};

/** The custom names counted for an id: a live array that validation adds to. */
export const namesOf = (id: string): string[] => {
  let list = names.get(id);
  if (!list) {
    const saved = parse(get(NAMES + id));
    names.set(id, (list = Array.isArray(saved) ? saved : []));
  }
  return list;
};

export const saveTypes = (): void => set(TYPES, JSON.stringify(types));
export const saveNames = (id: string): void => set(NAMES + id, JSON.stringify(names.get(id)));
