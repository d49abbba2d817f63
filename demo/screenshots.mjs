// `node demo/screenshots.mjs [folder]`: screenshots of the demo storefront and
// the collector dashboard at 1280 and 390 px wide (headless Chromium), the
// demo wired as `npm run demo` runs it (demo/start.mjs; any free ports, profiles
// in memory), in a state that shows what each page is for: a guest who checks
// out by email and then logs in (an email profile, then a customer-id profile),
// auto-identified, and an outage with a profile waiting. Output:
// demo/screenshots/ (git-ignored). Needs `npm run build` and Chromium
// (CHROME_PATH, default /usr/bin/chromium). Every wait is bounded.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startDemo } from './start.mjs';

const OUT = process.argv[2] || join(import.meta.dirname, 'screenshots');
const WIDTHS = [1280, 390];
const TIMEOUT = 20_000;

const demo = await startDemo();
const { collector } = demo.collector;
const dashboard = demo.collector.origin;
const storefront = demo.storefront;
const browser = await chromium.launch({
  executablePath: process.env.CHROME_PATH || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu'],
});

try {
  mkdirSync(OUT, { recursive: true });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const at = (path) => storefront.origin + path;
  const arrived = (test, what) => collector.waitFor(test, TIMEOUT, what);

  await page.goto(at('/products/demo'));
  // A guest checks out: known by email (through the relay the pixels send no
  // customer id); then logs in, and the theme snippet sends their customer id.
  await page.click('#checkout-link');
  await page.fill('#email', 'ada@example.com');
  await page.fill('#phone', '+1 202 555 0143');
  await page.click('#contact-continue');
  await page.fill('#first', 'Ada');
  await page.fill('#last', 'Lovelace');
  await page.fill('#address1', '1 Navy Yard');
  await page.fill('#city', 'Arlington');
  await page.fill('#zip', '22202');
  await page.click('#shipping-continue');
  await page.click('#pay');
  await page.waitForSelector('#thanks', { timeout: TIMEOUT });
  await page.setViewportSize({ width: 390, height: 900 });
  await page.screenshot({ path: join(OUT, 'checkout-390.png'), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });
  // Back on the storefront, the theme snippet delivers what the pixels queued.
  await page.goto(at('/'));
  await arrived((c) => c.profiles.get('ada@example.com')?.attributes.name === 'Ada Lovelace', 'the guest, by email');

  // They log in: auto-identified with name, email and phone.
  await page.click('#login-1');
  await arrived((c) => c.profiles.has('6713034932445'), 'the demo customer');

  // An outage: the next profile waits in the browser.
  collector.setFaults({ status: 503 });
  await page.fill('#id', 'cust-42');
  await page.click('#identify');
  await arrived((c) => c.requests.some((r) => r.id === 'cust-42' && r.status === 503), 'a 503 for cust-42');

  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 });
    await page.goto(at('/'));
    await page.waitForFunction(() => window.growlytics?.identify, undefined, { timeout: TIMEOUT });
    await page.waitForTimeout(3000); // a retry or two answered; the panel refreshes every second
    await page.screenshot({ path: join(OUT, `storefront-${width}.png`), fullPage: true });
    await page.goto(dashboard + '/');
    await page.waitForFunction(() => document.getElementById('conn')?.textContent === 'live', undefined, { timeout: TIMEOUT });
    await page.screenshot({ path: join(OUT, `dashboard-${width}.png`), fullPage: true });
  }
  // A store that collects consent, before the visitor decides: the banner, and the panel says why nothing goes.
  await page.goto(at('/consent-mode?mode=features&return=/'));
  await page.waitForSelector('#consent-banner:not([hidden])', { timeout: TIMEOUT });
  await page.fill('#id', 'newsletter@example.com');
  await page.click('#identify');
  await page.waitForTimeout(1200);
  await page.screenshot({ path: join(OUT, 'storefront-consent-390.png'), fullPage: true });
  console.log(`screenshots in ${OUT}: ${WIDTHS.map((w) => `storefront-${w}.png, dashboard-${w}.png`).join(', ')}, storefront-consent-390.png, checkout-390.png`);
} finally {
  await browser.close();
  await demo.close();
}
