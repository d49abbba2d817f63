// `npm run package`: the release archive a merchant downloads instead of
// building (issue 17, item 1): release/growlytics-shopify-<version>.zip, one
// folder per install route under plain names, and INSTALL.md. Built from
// dist/ (run `npm run build` first; `npm run package` does).
//
// What goes where is the ROUTES table below; test/unit/release.test.ts checks
// the archive against it, and INSTALL.md's file names against the archive.

import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';

// Archive folder → the files it holds, each [name in the archive, path in the
// repository]. A path ending in `/` is a directory, taken whole.
export const ROUTES = {
  // Route 1, a theme snippet: the two files a merchant adds in the theme's code editor.
  'route-1-theme': [
    ['assets/growlytics.min.js', 'dist/growlytics.min.js'],
    ['snippets/growlytics.liquid', 'dist/shopify/snippets/growlytics.liquid'],
  ],
  // Route 2, an app embed block: a theme app extension's blocks/ and assets/.
  'route-2-app-embed': [
    ['assets/growlytics.min.js', 'dist/growlytics.min.js'],
    ['blocks/growlytics.liquid', 'dist/shopify/app-embed/blocks/growlytics.liquid'],
  ],
  // Route 3, a custom pixel: the one file a merchant pastes into the admin.
  'route-3-custom-pixel': [['custom-pixel.js', 'dist/shopify/custom-pixel.js']],
  // Route 4, an app pixel: the web pixel extension directory, as it is.
  'route-4-app-pixel': [['', 'dist/shopify/web-pixel/']],
  // Route 5, the relay behind Shopify's App Proxy (SPEC §6): the Worker
  // module, the Node entry and an example wrangler.toml.
  'route-5-relay': [['', 'dist/relay/']],
};

// The files under a directory, relative to it, sorted (the archive lists them
// in a stable order).
function walk(dir) {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((name) => statSync(join(dir, name)).isFile())
    .map((name) => name.split('\\').join('/'))
    .sort();
}

/**
 * What the release holds, read from `root` (the repository): `files` maps
 * each archive path to its bytes; `missing` lists the repository paths not
 * found (a build not run, or the relay not merged yet).
 */
export function releaseFiles(root = '.') {
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
  const top = `growlytics-shopify-${version}`;
  const files = {};
  const missing = [];
  const add = (name, path) => {
    files[`${top}/${name}`] = readFileSync(join(root, path));
  };
  add('INSTALL.md', 'shopify/INSTALL.md');
  for (const [folder, entries] of Object.entries(ROUTES)) {
    for (const [name, path] of entries) {
      const full = join(root, path);
      if (!existsSync(full)) {
        missing.push(path);
      } else if (path.endsWith('/')) {
        for (const inner of walk(full)) add(`${folder}/${inner}`, `${path}${inner}`);
      } else {
        add(`${folder}/${name}`, path);
      }
    }
  }
  return { name: top, version, files, missing };
}

/** The zip's bytes. A fixed date, so the same files give the same archive. */
export function zipRelease({ files }) {
  const entries = {};
  for (const [name, data] of Object.entries(files)) entries[name] = [data, { mtime: new Date('2026-01-01T00:00:00Z') }];
  return zipSync(entries, { level: 9 });
}

// The command line, `node scripts/release.mjs [folder]` (default release/):
// refuses to write an incomplete release.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const folder = process.argv[2] || 'release';
  const release = releaseFiles('.');
  if (release.missing.length) {
    console.error(`npm run package: missing ${release.missing.join(', ')}. Run \`npm run build\` first (the relay's files come with its build).`);
    process.exit(1);
  }
  mkdirSync(folder, { recursive: true });
  const out = join(folder, `${release.name}.zip`);
  const zip = zipRelease(release);
  writeFileSync(out, zip);
  console.log(`${out}: ${Object.keys(release.files).length} files, ${zip.length} bytes`);
  for (const name of Object.keys(release.files)) console.log(`  ${relative(release.name, name)}`);
}
