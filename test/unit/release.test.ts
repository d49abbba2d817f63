import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script, no declarations
import { releaseFiles, zipRelease } from '../../scripts/release.mjs';

// The release archive (issue 17, item 1), built from the built dist/ as
// `npm run package` does (`npm test` builds first), unzipped, and checked
// against what each install route needs. The expected names are written out
// here, not read from scripts/release.mjs, so a file dropped from the script
// or added to it turns this red.
const version = JSON.parse(readFileSync('package.json', 'utf8')).version;
const top = `growlytics-shopify-${version}/`;
const release = releaseFiles('.');
const unzipped = unzipSync(zipRelease(release));
const names = Object.keys(unzipped).map((name) => name.slice(top.length));
const text = (name: string) => new TextDecoder().decode(unzipped[top + name]);

const routes: Record<string, [string, string][]> = {
  'route 1 (theme snippet)': [
    ['route-1-theme/assets/growlytics.min.js', 'dist/growlytics.min.js'],
    ['route-1-theme/snippets/growlytics.liquid', 'dist/shopify/snippets/growlytics.liquid'],
  ],
  'route 2 (app embed block)': [
    ['route-2-app-embed/assets/growlytics.min.js', 'dist/growlytics.min.js'],
    ['route-2-app-embed/blocks/growlytics.liquid', 'dist/shopify/app-embed/blocks/growlytics.liquid'],
  ],
  'route 3 (custom pixel)': [['route-3-custom-pixel/custom-pixel.js', 'dist/shopify/custom-pixel.js']],
  'route 4 (app pixel: the web pixel extension directory)': [
    ['route-4-app-pixel/shopify.extension.toml', 'dist/shopify/web-pixel/shopify.extension.toml'],
    ['route-4-app-pixel/package.json', 'dist/shopify/web-pixel/package.json'],
    ['route-4-app-pixel/src/index.ts', 'dist/shopify/web-pixel/src/index.ts'],
    ['route-4-app-pixel/src/pixel.js', 'dist/shopify/web-pixel/src/pixel.js'],
    ['route-4-app-pixel/src/pixel.d.ts', 'dist/shopify/web-pixel/src/pixel.d.ts'],
    ['route-4-app-pixel/dist/index.js', 'dist/shopify/web-pixel/dist/index.js'],
  ],
  // SPEC §6: the Worker module, the Node entry, an example wrangler.toml.
  'route 5 (relay)': [
    ['route-5-relay/worker.js', 'dist/relay/worker.js'],
    ['route-5-relay/node.mjs', 'dist/relay/node.mjs'],
    ['route-5-relay/wrangler.toml', 'dist/relay/wrangler.toml'],
  ],
};

describe(`release archive ${top}`, () => {
  for (const [route, files] of Object.entries(routes)) {
    it(`holds ${route}: ${files.map(([name]) => name.split('/').pop()).join(', ')}, as built`, () => {
      for (const [name, built] of files) {
        expect(names, name).toContain(name);
        expect(Buffer.from(unzipped[top + name]!).equals(readFileSync(built)), `${name} = ${built}`).toBe(true);
      }
    });
  }

  it('misses nothing it should hold', () => {
    expect(release.missing).toEqual([]);
  });

  it('holds INSTALL.md, and every archive file it names exists', () => {
    expect(names).toContain('INSTALL.md');
    const named = [...text('INSTALL.md').matchAll(/`(route-[^`]+)`/g)].map((m) => m[1]);
    expect(named.length).toBeGreaterThanOrEqual(4);
    for (const name of named) expect(names, `INSTALL.md names ${name}`).toContain(name);
  });

  it('holds nothing else: no sources, tests or source maps', () => {
    const expected = ['INSTALL.md', ...Object.values(routes).flat().map(([name]) => name)];
    // The relay's build may add files of its own (a README); never sources.
    const extra = names.filter((name) => !expected.includes(name));
    expect(extra.filter((name) => !/^route-5-relay\/[^/]+\.(js|mjs|toml|md)$/.test(name))).toEqual([]);
    expect(names.filter((name) => /(^|\/)(test|tests|node_modules)\/|\.map$|\.test\./.test(name))).toEqual([]);
    expect(names.filter((name) => name.endsWith('.ts') && name !== 'route-4-app-pixel/src/index.ts' && !name.endsWith('.d.ts'))).toEqual([]);
  });

  it('the custom pixel opens with the two lines SPEC §5 fixes, exactly', () => {
    expect(text('route-3-custom-pixel/custom-pixel.js').split('\n').slice(0, 2)).toEqual([
      "const GROWLYTICS_KEY = 'YOUR_GROWLYTICS_API_KEY';",
      "const GROWLYTICS_ENDPOINT = 'https://dc.growlytics.in/track/user';",
    ]);
  });

  const out = mkdtempSync(join(tmpdir(), 'gtl-release-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('`node scripts/release.mjs <folder>` writes the same archive as growlytics-shopify-<version>.zip', () => {
    execFileSync(process.execPath, ['scripts/release.mjs', out], { encoding: 'utf8', timeout: 30_000 });
    const written = unzipSync(readFileSync(join(out, `growlytics-shopify-${version}.zip`)));
    expect(Object.keys(written).sort()).toEqual(Object.keys(unzipped).sort());
  });
});

// The npm package (`files` in package.json): what `npm pack` would publish,
// listed by npm itself. Exactly the built files a user loads or copies, the
// README and package.json; no sources, tests, demo or bench.
describe('npm pack', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
  const packed = (): string[] => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { encoding: 'utf8', timeout: 60_000 });
    return JSON.parse(out)[0].files.map((file: { path: string }) => file.path);
  };

  it('holds the entry points, the Shopify files and the relay, and nothing but dist/, README.md and package.json', () => {
    const files = packed();
    const entries = [pkg.main, pkg.module, pkg.types, pkg.unpkg, ...Object.values(pkg.exports['.']), pkg.exports['./growlytics.min.js']];
    for (const entry of entries) expect(files, entry).toContain(entry.replace(/^\.\//, ''));
    for (const [, built] of Object.values(routes).flat()) expect(files, built).toContain(built);
    expect(files.filter((file) => !/^(dist\/.+|README\.md|package\.json|LICENSE)$/.test(file))).toEqual([]);
  }, 60_000);
});
