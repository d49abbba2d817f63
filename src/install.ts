import { api, setUp, start } from './client';

/** The public API object found on `window.growlytics` (SPEC §2). */
export type Growlytics = typeof api;

/**
 * Returns the page's one snippet, setting it up on first use: applies the
 * script tag's `data-*` configuration, replays a pre-load command queue in
 * order, then starts. A second copy of the bundle finds the live API and
 * leaves it alone.
 */
export const install = (win: any): Growlytics => {
  const existing = win.growlytics;
  if (existing?.identify && !Array.isArray(existing)) return existing;
  setUp(win);
  const doc = win.document;
  // The script tag, also with async and defer; none when imported as a module.
  const data = doc.currentScript?.dataset || {};
  api.init({ key: data.key, endpoint: data.endpoint, debug: data.debug != null && data.debug != 'false' });
  win.growlytics = api;
  if (Array.isArray(existing)) api.push(...existing);
  start();
  return api;
};
