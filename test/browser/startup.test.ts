// A lighter page load (issue 15, item 5): a page load lists the origin's
// storage only when a record may be there (`growlytics:q`, the time of the
// latest record write, against `growlytics:s`, the stamp of a scan that found
// none; src/theme/scan.ts), and follows other tabs (a `storage` listener)
// only once it has scanned. Whatever the shortcut, what earlier pages, other
// tabs and the checkout pixels left is found and delivered. Each test names
// the line whose removal turns it red.
import { describe, expect, test } from 'vitest';
import { okRequests, pageErrorsOf, useHarness, type Env, type Tab } from './harness';

const h = useHarness();

// Counts, in every page of the context, what the snippet's start-up does:
// listings of localStorage (`Object.keys(localStorage)`) and `storage`
// listeners added on window. The test page's own instrumentation, before any
// page script; the snippet never touches prototypes.
const COUNT = `(() => {
  const seen = { scans: 0, listeners: 0 };
  Object.defineProperty(window, '__startup', { value: seen });
  const keys = Object.keys;
  Object.keys = function (o) { if (o === window.localStorage) seen.scans++; return keys.apply(this, arguments); };
  const add = EventTarget.prototype.addEventListener;
  EventTarget.prototype.addEventListener = function (type) {
    if (this === window && type === 'storage') seen.listeners++;
    return add.apply(this, arguments);
  };
})();`;

const startup = (tab: Tab) => tab.evaluate(() => (window as any).__startup as { scans: number; listeners: number });

/** Writes a record as another writer does (a pixel, or an older version when `written` is undefined): `growlytics:q` first, then the record. */
const writeRecord = (tab: Tab, id: string, written?: number) =>
  tab.evaluate(
    ([id, written]) => {
      if (written !== undefined) localStorage.setItem('growlytics:q', String(written));
      // The record key format of src/core/record.ts: time, fixed-width sequence, a writer's name.
      localStorage.setItem('growlytics:r:' + Date.now().toString(36) + (36 ** 4).toString(36) + 'other', JSON.stringify({ i: id, a: { plan: 'left' } }));
    },
    [id, written] as [string, number | undefined],
  );

/** Another script's key in the origin's storage, as a store's theme and apps keep them. */
async function otherScriptsKey(env: Env) {
  const blank = await env.open('/blank');
  await blank.evaluate(() => localStorage.setItem('theme:recently-viewed', '[1,2,3]'));
  await blank.close();
}

async function returningVisitor(env: Env): Promise<Tab> {
  await env.context.addInitScript(COUNT);
  await env.serve({ '/': env.page(), '/blank': '<!doctype html><title>blank</title>' });
  await otherScriptsKey(env);
  // The first visit of this version lists storage once and stamps it; it
  // found nothing, so it does not follow other tabs.
  const first = await env.open('/');
  expect(await startup(first)).toEqual({ scans: 1, listeners: 0 });
  expect(Number((await first.storage())['growlytics:s'])).toBeGreaterThan(0);
  await first.close();
  return env.open('/');
}

/** Flushes `tab` until `id` was delivered once, and checks nothing more went out for it. */
async function deliveredOnce(env: Env, tab: Tab, id: string) {
  await env.waitFor((c) => okRequests(c, id).length >= 1, 15_000, `${id} delivered`);
  expect(await tab.flush()).toBe('resolved');
  expect(okRequests(env.collector, id).length).toBe(1);
  expect(env.collector.profiles.get(id)?.attributes).toEqual({ plan: 'left' });
  expect(Object.keys(await tab.storage()).filter((k) => k.startsWith('growlytics:r:'))).toEqual([]);
}

describe('page load', () => {
  test('a returning visitor with nothing queued: no listing of storage, no storage listener; a record written since (as a pixel writes it) is found by the next load, once', async () => {
    const env = await h.setup();
    const tab = await returningVisitor(env);
    expect(await startup(tab)).toEqual({ scans: 0, listeners: 0 });
    // Red without the `growlytics:q >= growlytics:s` test in scan.ts mayHoldRecords.
    await writeRecord(tab, 'pixel-1', Date.now());
    await tab.reload();
    expect(await startup(tab)).toEqual({ scans: 1, listeners: 1 });
    await deliveredOnce(env, tab, 'pixel-1');
    expect(pageErrorsOf(env.tabs)).toEqual([]);
  });

  test('an origin where nothing is stored stays empty: a load that finds nothing lists it again next time (at no cost), stamps nothing, follows nothing', async () => {
    const env = await h.setup();
    await env.context.addInitScript(COUNT);
    await env.serve({ '/': env.page() });
    const tab = await env.open('/');
    // (The start-up's listing and stamp happen while the script runs, before the load event.)
    expect(await startup(tab)).toEqual({ scans: 1, listeners: 0 }); // red if a scan that found nothing joined (scan.ts catchUp)
    expect(await tab.storage()).toEqual({}); // red without the `stored &&` test in scan.ts list(): the stamp would be stored
    await tab.reload();
    expect(await startup(tab)).toEqual({ scans: 1, listeners: 0 });
    expect(await tab.storage()).toEqual({});
    // The first identify lists again, and joins: its storage listener follows other tabs.
    expect((await tab.identify('joins-1', { plan: 'pro' })).queued).toBe(true);
    expect(await startup(tab)).toEqual({ scans: 2, listeners: 1 });
    await env.waitFor((c) => okRequests(c, 'joins-1').length === 1, 10_000, 'joins-1 delivered');
  });

  test('a page load that finds records is a fresh try: a backoff wait another page left (a minute ahead) does not hold them', async () => {
    const env = await h.setup();
    await env.serve({ '/': env.page(), '/blank': '<!doctype html><title>blank</title>' });
    const blank = await env.open('/blank');
    await writeRecord(blank, 'fresh-1', Date.now());
    // The shared pause as an earlier page's failed rounds left it: a backoff a minute ahead, no Retry-After.
    await blank.evaluate(() => localStorage.setItem('growlytics:p', [Date.now() + 60_000, 0, 5].join()));
    await blank.close();
    // Red without the page load's flushNow() in client.ts install: the record would wait the minute.
    const tab = await env.open('/');
    await env.waitFor((c) => okRequests(c, 'fresh-1').length === 1, 10_000, 'fresh-1 delivered by the page load');
    await deliveredOnce(env, tab, 'fresh-1');
  });

  test('the race a stamp can lose: a record written just before a scan that did not see it yet is found by the next page load', async () => {
    const env = await h.setup();
    await env.context.addInitScript(COUNT);
    await env.serve({ '/': env.page(), '/blank': '<!doctype html><title>blank</title>' });
    // Another writer's record, written just before this page's scan began,
    // reaches this page's process only after that scan (Chromium hands a
    // write to other renderers a moment later): modelled by this page
    // writing it itself once its scan is done (a page never hears its own
    // writes). The scan then stamped `growlytics:s` and found nothing.
    await otherScriptsKey(env);
    const writtenAt = Date.now();
    const tab = await env.open('/');
    expect(await startup(tab)).toEqual({ scans: 1, listeners: 0 });
    const stamp = Number((await tab.storage())['growlytics:s']);
    expect(stamp).toBeGreaterThan(0);
    await writeRecord(tab, 'raced-1', writtenAt);
    // Red with scan.ts MARGIN = 0: the stamp would then be after the write, and the next load would skip the scan.
    const next = await env.open('/');
    expect(await startup(next)).toEqual({ scans: 1, listeners: 1 });
    await deliveredOnce(env, next, 'raced-1');
  });

  test('a stamp ahead of the clock (the clock was set back) is void: the page load scans and delivers', async () => {
    const env = await h.setup();
    const tab = await returningVisitor(env);
    await writeRecord(tab, 'clock-1', Date.now());
    await tab.evaluate(() => localStorage.setItem('growlytics:s', String(Date.now() + 3_600_000)));
    // Red without the `stamp <= Date.now()` test in mayHoldRecords.
    await tab.reload();
    expect((await startup(tab)).scans).toBe(1);
    await deliveredOnce(env, tab, 'clock-1');
  });

  test('records an older version left (no growlytics:q, never stamped) are found by the first page load', async () => {
    const env = await h.setup();
    await env.context.addInitScript(COUNT);
    await env.serve({ '/': env.page(), '/blank': '<!doctype html><title>blank</title>' });
    const blank = await env.open('/blank');
    await writeRecord(blank, 'older-1');
    // Red if a missing stamp read as "nothing to find".
    const tab = await env.open('/');
    expect((await startup(tab)).scans).toBe(1);
    await deliveredOnce(env, tab, 'older-1');
  });

  test('a page that has not scanned still sends, on flush(), what another tab left after it loaded', async () => {
    const env = await h.setup();
    const a = await returningVisitor(env);
    expect(await startup(a)).toEqual({ scans: 0, listeners: 0 });
    // Tab B queues a profile against a 503 with Retry-After: 1 s, and closes
    // (its page hide sends nothing against a Retry-After). A, which does not
    // follow storage, hears nothing of it.
    env.collector.setFaults({ status: 503, retryAfter: 1 });
    const b = await env.open('/');
    expect(await b.identify('late-1', { plan: 'left' })).toEqual({ queued: true, errors: [] });
    await env.waitFor((c) => c.requests.some((r) => r.id === 'late-1' && r.status === 503), 10_000, 'late-1 answered 503');
    await b.waitForFunction(() => !Object.keys(localStorage).some((k) => k.startsWith('growlytics:l:')), undefined, 10_000);
    await b.close();
    env.collector.setFaults({});
    // Red without catchUp() in flush (client.ts): A's queue would stay empty.
    expect(await a.flush(10_000)).toBe('resolved');
    expect(await startup(a)).toEqual({ scans: 1, listeners: 1 });
    await deliveredOnce(env, a, 'late-1');
    expect(env.collector.requests.filter((r) => r.id === 'late-1').map((r) => r.status)).toEqual([503, 200]);
  });

  test('records that waited for consent reach storage with a fresh growlytics:q: a stamp another tab wrote meanwhile does not hide them from the next page load', async () => {
    const env = await h.setup();
    const page = env.page({ before: '', head: '' }).replace('<head>', '<head><script src="/demo/assets/consent-tracking-api.js"></script>');
    await env.serve({ '/': page, '/blank': env.page({ mode: 'none' }) });
    // A record an earlier page left: B's scan finds it, so B stamps nothing
    // of its own (a stamp B wrote would be older than its call, and would
    // hide the race below).
    const earlier = await env.open('/blank');
    await writeRecord(earlier, 'before-q', Date.now());
    const left = await earlier.storage();
    await earlier.close();
    const b = await env.open('/');
    expect((await b.identify('consent-q', { plan: 'left' })).queued).toBe(true);
    expect(await b.storage(), 'nothing stored before consent').toEqual(left);
    // Another tab's scan, after that call, found no record and stamped (a
    // scan 10 s later stamps "now"): written from a page without the snippet.
    const other = await env.open('/blank');
    await other.evaluate(() => localStorage.setItem('growlytics:s', String(Date.now())));
    await other.close();
    // The visitor grants consent in B while the collector is unreachable:
    // the record reaches storage, its send fails, and B closes.
    env.collector.setFaults({ drop: true });
    await b.evaluate(() => new Promise<void>((done) => (window as any).Shopify.customerPrivacy.setTrackingConsent({ analytics: true }, done)));
    await env.waitFor((c) => c.requests.some((r) => r.id === 'consent-q'), 10_000, 'consent-q attempted');
    expect(Object.keys(await b.storage()).some((k) => k.startsWith('growlytics:r:'))).toBe(true);
    await b.close();
    env.collector.setFaults({});
    // Red without the fresh `growlytics:q` in client.ts settle: q would hold
    // the time of the call, before the stamp, and this load would not scan.
    const next = await env.open('/');
    await env.waitFor((c) => okRequests(c, 'before-q').length === 1, 15_000, 'before-q delivered');
    await deliveredOnce(env, next, 'consent-q');
  });
});
