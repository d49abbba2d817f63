// `npm run readme:sizes`: rewrites the size figures in README.md from the
// built files (issue 17, item 4), so they cannot drift from the build.
// Each figure sits between `<!-- size:NAME -->` and `<!-- /size -->`;
// test/unit/readme.test.ts fails when a span differs from what this would
// write. Budgets are read from the size tests, which enforce them.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync } from 'node:zlib';

// Bytes minified, gzipped (level 9, as the size tests measure) and brotli.
function measure(file) {
  const code = readFileSync(file);
  return { raw: code.length, gzip: gzipSync(code, { level: 9 }).length, brotli: brotliCompressSync(code).length };
}

// The budget a size test enforces: its `const BUDGET = <bytes>;`.
function budget(testFile) {
  const found = /const BUDGET = (\d+);/.exec(readFileSync(testFile, 'utf8'));
  if (!found) throw new Error(`${testFile}: no "const BUDGET = <bytes>;"`);
  return Number(found[1]);
}

const n = (bytes) => bytes.toLocaleString('en-US');

/** The text of each marked span, from the build and the size tests under `root`. */
export function sizeSpans(root = '.') {
  const at = (path) => join(root, path);
  const theme = measure(at('dist/growlytics.min.js'));
  const custom = measure(at('dist/shopify/custom-pixel.js'));
  const app = measure(at('dist/shopify/web-pixel/dist/index.js'));
  return {
    theme:
      `**${(theme.gzip / 1024).toFixed(1)} KB gzipped** (${n(theme.gzip)} bytes; ${n(theme.brotli)} brotli; ` +
      `${n(theme.raw)} minified), under a budget of ${n(budget(at('test/unit/size.test.ts')))} that the test run enforces`,
    pixels:
      `each with its own budget of ${n(budget(at('test/unit/pixel-size.test.ts')))} bytes gzipped that the test run ` +
      `enforces (\`test/unit/pixel-size.test.ts\`): the custom pixel ${n(custom.raw)} bytes (${n(custom.gzip)} gzip, ` +
      `${n(custom.brotli)} brotli, its header comment included); the app pixel's worker script ${n(app.raw)} bytes ` +
      `(${n(app.gzip)} gzip, ${n(app.brotli)} brotli)`,
  };
}

const SPAN = /(<!-- size:(\w+) -->)([\s\S]*?)(<!-- \/size -->)/g;

/** `readme` with each marked span rewritten; throws on a span name it does not know. */
export function withSizes(readme, spans) {
  return readme.replace(SPAN, (_, open, name, _old, close) => {
    if (!(name in spans)) throw new Error(`README.md: unknown size span "${name}"`);
    return open + spans[name] + close;
  });
}

/** The span names README.md marks, in order. */
export const spanNames = (readme) => [...readme.matchAll(SPAN)].map((m) => m[2]);

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const readme = readFileSync('README.md', 'utf8');
  const next = withSizes(readme, sizeSpans('.'));
  writeFileSync('README.md', next);
  console.log(next === readme ? 'README.md: sizes already current' : `README.md: sizes rewritten (${spanNames(next).join(', ')})`);
}
