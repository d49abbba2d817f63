import { expect, it } from 'vitest';
import { cleanInstalls } from './clean-install';

cleanInstalls();

// The ES module build, as a theme developer's bundler would import it. It
// acts on the page's one snippet: the same object as window.growlytics.
it('the ES module build identifies through the page snippet and never throws', async () => {
  localStorage.clear();
  const esm = await import('../../dist/growlytics.mjs' as string);
  esm.init({ endpoint: 'http://127.0.0.1:9/track/user' }); // no key: nothing leaves the page
  expect(esm.identify('esm-1', { plan: 'pro' })).toEqual({ queued: true, errors: [] });
  expect(esm.identify('', {})).toEqual({ queued: false, errors: ['id: empty'] });
  expect(typeof (window as any).growlytics.identify).toBe('function');
  const stored = Object.keys(localStorage).filter((k) => k.startsWith('growlytics:r:'));
  expect(stored.map((k) => JSON.parse(localStorage.getItem(k)!).i)).toEqual(['esm-1']);
  await expect(esm.flush()).resolves.toBeUndefined();
  expect(() => esm.reset()).not.toThrow();
});
