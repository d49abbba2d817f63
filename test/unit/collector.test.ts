import { execFileSync } from 'node:child_process';
import { expect, it } from 'vitest';

// The collector is the test double of every delivery test: its own rules
// are checked over real HTTP by its self-test (a child process, so the
// happy-dom globals of this project stay out of its way).
it('the demo collector implements the /track/user contract', () => {
  const run = () => execFileSync(process.execPath, ['demo/collector.selftest.mjs'], { encoding: 'utf8', timeout: 30_000 });
  expect(run).not.toThrow();
}, 40_000);
