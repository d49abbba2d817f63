import { PAUSE, REFUSED, readPause } from './pause';
import { AUTH, DROP, RETRY, backoff, retryAfter, verdict } from './retry';
import type { Runtime } from './runtime';
import type { Answer } from './transport';

/**
 * What one answer does (SPEC §3), for every runtime: records deleted or
 * dropped and reported, the refused key and the pause shared through
 * storage. `failed` is the failed rounds counted when the request started,
 * plus one. Resolves with the pause's end after a retryable failure, else 0.
 */
export const applyAnswer = async (
  rt: Runtime,
  id: string,
  keys: string[],
  failed: number,
  [status, header, details]: Answer,
): Promise<number> => {
  const store = rt._store;
  const now = Date.now();
  const next = verdict(status);
  const [until, hold, failures] = await readPause(store);
  if (next == AUTH) {
    // Sending pauses, for every sender, until init brings a key or a page loads; nothing is lost.
    await store._set(REFUSED, rt._key());
    rt._report('unauthorized', `key refused (${status})`, id);
  } else if (next == RETRY) {
    // Backoff grows per failed round, not per request: six requests failing
    // together are one failure of the server.
    const held = Math.max(hold, now + retryAfter(header, now));
    // Whole milliseconds: a timer set for the pause's end then finds it over.
    const pause = [Math.max(until, held, now + Math.ceil(backoff(failed, Math.random()))), held, Math.max(failures, failed)];
    await store._set(PAUSE, pause.join());
    return pause[0];
  } else {
    await rt._remove(keys, next == DROP);
    // The server answered: the backoff is over (its failures say nothing
    // about now); a Retry-After still running stays. A pause past its
    // purpose is deleted, not kept as "over".
    if (hold > now) await store._set(PAUSE, [hold, hold, 0].join());
    else if (until || failures) await store._del(PAUSE);
    if (next == DROP) rt._report('rejected', `${id} rejected (${status}) ${details}`, id);
  }
  return 0;
};
