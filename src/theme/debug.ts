import { config } from './config';
import { PREFIX } from '../core/record';

/**
 * Debug output (SPEC §2): one terse console line, prefixed `growlytics`,
 * only while debug is on (`debug: true`, `data-debug`, or
 * `?growlytics_debug=1`). Off, it costs one property read. A console that
 * throws (a theme's own wrapper) is ignored.
 */
export const debug = (...parts: unknown[]): void => {
  if (!config.debug) return;
  try {
    console.log(PREFIX, ...parts);
  } catch {}
};
