import { config } from './config';
import { PREFIX } from '../core/record';
import { del, get, set } from './store';

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

/**
 * The URL switch (SPEC §2): `?growlytics_debug=1` in the page's URL (`url`) turns
 * debug on in this browser, `?growlytics_debug=0` turns it off; answers
 * whether it is on. Remembered under `growlytics:d`, so it holds on the
 * store's later pages (a login redirect drops the query) until `=0`. It is
 * written through the consent gate like everything else: before consent
 * (and in the theme editor) it holds for this page only, and is stored with
 * what waits in memory when the visitor accepts. Only that browser is
 * affected: nothing leaves the page.
 */
export const debugSwitch = (url: string): boolean => {
  // The query (after the first `?`, before any `#`) names growlytics_debug;
  // the regex runs only when the name is there: a page load's first regex
  // costs about 0.1 ms (issue 15).
  const flag = url.includes('growlytics_debug') ? /^[^?#]*\?([^#]*&)?growlytics_debug=([01])/.exec(url)?.[2] : undefined;
  if (flag == '1') set(PREFIX + 'd', 1);
  if (flag == '0') del(PREFIX + 'd');
  return !!get(PREFIX + 'd');
};
