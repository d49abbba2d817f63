import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script, no declarations
import { sizeSpans, spanNames, withSizes } from '../../scripts/readme-sizes.mjs';

// The README agrees with the build (issue 17, item 4). Runs against the
// built files; `npm test` builds first.
const readme = readFileSync('README.md', 'utf8');

describe('README.md', () => {
  it('every size figure is the build\'s (stale: run `npm run readme:sizes`)', () => {
    expect(spanNames(readme)).toEqual(['theme', 'pixels']);
    expect(withSizes(readme, sizeSpans('.'))).toBe(readme);
  });

  it('route 3 quotes the custom pixel\'s first two lines as the build writes them', () => {
    const route3 = readme.slice(readme.indexOf('### Route 3'), readme.indexOf('### Route 4'));
    const quoted = /```js\n([\s\S]*?)```/.exec(route3)?.[1]?.trim().split('\n').map((line) => line.trim());
    const built = readFileSync('dist/shopify/custom-pixel.js', 'utf8').split('\n');
    expect(quoted).toEqual(built.slice(0, 2));
    // What the file itself tells the merchant, in the README's words too.
    expect(built[2]).toMatch(/Edit the two lines above/);
    expect(route3).toMatch(/two lines/);
  });
});
