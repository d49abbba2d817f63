import { PREFIX } from '../core/record';

/** What went wrong, as `detail.type` of the `growlytics:error` event (SPEC §2). */
export type ErrorType = 'rejected' | 'unauthorized' | 'evicted';

/**
 * Tells the merchant about data lost or blocked: a console line (a warning
 * for an eviction, an error otherwise) and a `growlytics:error` CustomEvent
 * on `window`. A listener that throws is reported by the browser, never to us.
 */
export const report = (type: ErrorType, message: string, id?: string): void => {
  message = PREFIX + ' ' + message;
  try {
    console[type < 'f' ? 'warn' : 'error'](message); // 'evicted' is the one type before 'f'
    dispatchEvent(new CustomEvent(PREFIX + 'error', { detail: { type, id, message } }));
  } catch {
    // No console or no CustomEvent (very old browsers): nothing else to tell.
  }
};

/**
 * A value the merchant gave, as a message shows it: readable (`ftp://x`, not
 * `ftp%3A//x`), with only the characters one cannot see escaped (controls,
 * spaces, zero-width and direction marks, the BOM), so a pasted zero-width
 * space shows as `%u200B`.
 */
export const visible = (value: string): string =>
  value.replace(/[\0- \x7f-\xa0\xad\u200b-\u200f\u2028-\u202f\u205f-\u206f\ufeff]/g, escape);
