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
