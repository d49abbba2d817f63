import { defineConfig } from 'vitest/config';

// Two levels (GUIDE habit 7): fast unit tests in happy-dom, and real-browser
// tests that drive Debian's Chromium against the built dist/ bundle and the
// demo collector. Browser files run one at a time: each launches Chromium,
// and the machine has two cores.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          environment: 'happy-dom',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'browser',
          environment: 'node',
          include: ['test/browser/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
