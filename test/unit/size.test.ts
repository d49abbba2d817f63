import { brotliCompressSync, gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

// The size budget (GUIDE habit 3): the whole product in under 3.5 KiB
// gzipped. A ratchet: lowered to just above the bundle as each size pass
// lands (issue 10 aims at 3,072). Runs against the built bundle; `npm test`
// builds first.
const BUDGET = 4300;

it(`dist/growlytics.min.js stays under ${BUDGET} bytes gzipped`, () => {
  const code = readFileSync('dist/growlytics.min.js');
  const gzip = gzipSync(code, { level: 9 }).length;
  const brotli = brotliCompressSync(code).length;
  console.log(`growlytics.min.js: ${code.length} B, ${gzip} B gzip, ${brotli} B brotli (budget ${BUDGET} B gzip)`);
  expect(gzip).toBeLessThan(BUDGET);
});
