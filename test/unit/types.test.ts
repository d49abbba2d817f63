import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';

// The published declarations compile against a theme developer's use of
// them, and refuse a wrong one (mitt's type-compilation test).
it('dist/growlytics.d.ts types the API for theme developers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'growlytics-types-'));
  const dts = resolve('dist/growlytics.d.ts').replace(/\.d\.ts$/, '');
  writeFileSync(
    join(dir, 'use.ts'),
    `import { init, identify, flush, reset, type IdentifyResult, type Options } from ${JSON.stringify(dts)};
const options: Options = { key: 'k', debug: true, customer: { id: 1, email: null } };
init(options);
const r: IdentifyResult = identify('cust-42', { plan: 'pro', since: new Date() });
const q: boolean = r.queued;
const e: string[] = r.errors;
flush().then(() => reset());
// @ts-expect-error queued is a boolean
const wrong: string = identify().queued;
export { q, e, wrong };
`,
  );
  const tsc = resolve('node_modules/typescript/bin/tsc');
  const run = () =>
    execFileSync(process.execPath, [tsc, '--noEmit', '--strict', '--skipLibCheck', 'false', '--lib', 'es2022,dom', '--module', 'esnext', '--moduleResolution', 'bundler', join(dir, 'use.ts')], {
      encoding: 'utf8',
    });
  expect(run).not.toThrow();
}, 60_000);
