import { PREFIX } from './record';
import type { Store } from './runtime';

/**
 * The shared pause (SPEC §3: while the server has told one sender to wait,
 * no sender sends), `growlytics:p` → "until,hold,failures": no sender sends
 * before `until`; a page hide never before `hold`, which is Retry-After
 * alone; `failures` counts failed rounds. And `growlytics:k`, a key the
 * server refused (401/403), as is (it is public: the page's HTML carries
 * it; '' through a keyless relay): no sender sends with it until init
 * brings a key or a page loads.
 */
export const PAUSE = PREFIX + 'p';
export const REFUSED = PREFIX + 'k';

/** The shared pause as [until, hold, failures]; garbage reads as none, a pause further ahead than one can be (the clock went back) as over. */
export const readPause = async (store: Store): Promise<number[]> => {
  const fields = ((await store._get(PAUSE)) || '').split(',');
  const limit = Date.now() + 3700e3;
  return [0, 1, 2].map((i) => {
    const n = Number(fields[i]);
    return n > 0 && n < limit ? n : 0;
  });
};

/** flush() and back online: the backoff wait ends for every sender (never Retry-After): the failures so far say nothing about now. */
export const endBackoff = async (store: Store): Promise<void> => {
  const [until, hold] = await readPause(store);
  if (until > hold) await store._set(PAUSE, [hold, hold, 0].join());
};
