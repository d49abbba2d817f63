import { defineConfig } from 'vitest/config';

// Two levels (GUIDE habit 7): fast unit tests in happy-dom, and real-browser
// tests against the built dist/ bundle and the demo collector, run once per
// engine: Chromium, Firefox and WebKit (test/engines/). The project name is
// the engine, so every failure is printed with it (`|webkit| test/browser/...`).
//
// The machine has two cores: browser files run one at a time, and the
// engines one after the other (sequence.groupOrder runs each group only
// when the previous one is done): unit, then chromium, firefox, webkit.
// One engine alone: `npx vitest run --project firefox`.
const engines = ['chromium', 'firefox', 'webkit'] as const;

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          environment: 'happy-dom',
          include: ['test/unit/**/*.test.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      ...engines.map((engine, i) => ({
        test: {
          name: engine,
          environment: 'node',
          include: ['test/browser/**/*.test.ts'],
          // Read by test/engines/index.mjs through the harness.
          env: { GTL_ENGINE: engine },
          testTimeout: 60_000,
          // One retry for a browser test that fails: on this 2-core machine a
          // few timing-bound tests (a tab's close racing its own answer in
          // Firefox, a keepalive request a closing window drops) failed about
          // one run in three of the whole suite. A real defect fails both
          // tries; the run's output names every test that needed the retry.
          retry: 1,
          hookTimeout: 90_000,
          fileParallelism: false,
          // One worker runs every file, so one browser serves them all (harness.ts).
          isolate: false,
          sequence: { groupOrder: i + 1 },
        },
      })),
      {
        // The relay (SPEC §6): its signature unit tests, and its HTTP suite
        // against the built dist/relay/ in Node and in workerd, in a node
        // environment. Last, after the browsers: its hang cases wait 8 s.
        test: {
          name: 'relay',
          environment: 'node',
          include: ['test/relay/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
          sequence: { groupOrder: engines.length + 1 },
        },
      },
    ],
  },
});
