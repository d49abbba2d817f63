// Debian's Chromium, driven by playwright-core: shared by the browser tests
// and the benchmark. Browser downloads fail on this project's machines, so
// the binary comes from `apt-get install chromium` (or CHROME_PATH).
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

// As root in a container, without a GPU, and with no traffic of its own
// (the machines' network is closed: background fetches would only fail).
export const CHROME_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launches Chromium; a clear error when it is not installed. */
export async function launchChromium() {
  const executablePath = process.env.CHROME_PATH || '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    throw new Error(`Chromium not found at ${executablePath}: apt-get install chromium, or set CHROME_PATH`);
  }
  return chromium.launch({ executablePath, args: CHROME_ARGS, timeout: 30_000 });
}

/**
 * Chromium with a profile on disk (`dir`), as a returning visitor's browser
 * has: unlike a fresh context (off the record), it keeps V8's code cache
 * with the HTTP cache, so a script seen before starts from its compiled
 * code. Answers the browser's one context.
 */
export async function launchChromiumProfile(dir) {
  const executablePath = process.env.CHROME_PATH || '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    throw new Error(`Chromium not found at ${executablePath}: apt-get install chromium, or set CHROME_PATH`);
  }
  return chromium.launchPersistentContext(dir, { executablePath, args: CHROME_ARGS, timeout: 30_000 });
}
