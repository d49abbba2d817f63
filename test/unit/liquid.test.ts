// @vitest-environment node
// Shopify's own Liquid linter (theme check, @shopify/theme-check-node, the
// engine behind `shopify theme check`) over the two Liquid files the project
// ships, each checked where a merchant puts it:
// - shopify/growlytics.liquid as snippets/growlytics.liquid of a theme whose
//   layout/theme.liquid renders it the way the README's install step says,
//   with growlytics.min.js in assets/, under `theme-check:recommended`;
// - shopify/app-embed/blocks/growlytics.liquid as blocks/growlytics.liquid of
//   a theme app extension with the built bundle in assets/ (`npm test` builds
//   first), under `theme-check:theme-app-extension`.
// A second test plants known offenses into copies and expects them reported,
// so a linter that silently checks nothing cannot pass this file. Issue 7.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const SNIPPET = readFileSync(join(REPO, 'shopify/growlytics.liquid'), 'utf8');
const BLOCK = readFileSync(join(REPO, 'shopify/app-embed/blocks/growlytics.liquid'), 'utf8');
const BUNDLE = join(REPO, 'dist/growlytics.min.js');

const THEME_CONFIG = 'theme-check:recommended';
const EXTENSION_CONFIG = 'theme-check:theme-app-extension';

/** layout/theme.liquid of a theme with the snippet installed (README, Route 1, step 4). */
const LAYOUT = `<!doctype html>
<html lang="{{ request.locale.iso_code }}">
  <head>
    <title>{{ page_title }}</title>
    {{ content_for_header }}
    {% render 'growlytics', key: 'YOUR_GROWLYTICS_API_KEY' %}
  </head>
  <body>
    {{ content_for_layout }}
  </body>
</html>
`;

/** The same layout for a store with the relay behind its App Proxy (README, Route 5): no key. */
const PROXY_LAYOUT = LAYOUT.replace("key: 'YOUR_GROWLYTICS_API_KEY'", "proxy: '/apps/growlytics'");

type ThemeCheck = typeof import('@shopify/theme-check-node');
type Found = { check: string; message: string; file: string; line: number };

let tmp = '';
let themeCheck: ThemeCheck;
const savedEnv: Record<string, string | undefined> = {};
const network: string[] = [];
const realRequests = { http: [http.request, http.get], https: [https.request, https.get] } as const;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'growlytics-theme-check-'));
  // Offline and deterministic. Theme check's docs manager
  // (@shopify/theme-check-docs-updater) first tries to download the latest
  // Liquid docs and JSON schemas from raw.githubusercontent.com into the user
  // cache (env-paths 'theme-liquid-docs', i.e. $XDG_CACHE_HOME), and falls back
  // on the copy bundled with the installed package. SHOPIFY_TLD_ROOT makes it
  // "download" from `file:<dir>` instead (read at each download); an empty
  // directory makes every download fail locally, so the bundled data is used.
  // XDG_CACHE_HOME is read when the module loads, hence the dynamic import
  // below: an empty cache here, so docs that an earlier `shopify theme check`
  // left in ~/.cache cannot change the result, and nothing is written there.
  for (const name of ['SHOPIFY_TLD_ROOT', 'XDG_CACHE_HOME']) savedEnv[name] = process.env[name];
  process.env.SHOPIFY_TLD_ROOT = join(tmp, 'no-docs');
  process.env.XDG_CACHE_HOME = join(tmp, 'cache');
  // Any HTTP(S) request would be a bug in the above: record it and fail it.
  // (node-fetch, which the docs manager uses, looks `request` up per call.)
  for (const [name, mod] of [['http', http], ['https', https]] as const) {
    const trap = (...args: unknown[]) => {
      network.push(`${name}: ${String(args[0] instanceof URL ? args[0].href : (args[0] as any)?.href ?? (args[0] as any)?.hostname ?? args[0])}`);
      throw new Error('liquid.test.ts: theme check must run offline');
    };
    (mod as any).request = trap;
    (mod as any).get = trap;
  }
  themeCheck = await import('@shopify/theme-check-node');
});

afterAll(() => {
  for (const [name, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  (http as any).request = realRequests.http[0];
  (http as any).get = realRequests.http[1];
  (https as any).request = realRequests.https[0];
  (https as any).get = realRequests.https[1];
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

let dirs = 0;
function write(root: string, files: Record<string, string>): string {
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), content);
  }
  return root;
}

/**
 * A theme with the snippet installed: layout, snippet, asset, default locale
 * (theme check reads locales/ and prints an ENOENT stack without one).
 */
function theme(snippet = SNIPPET, extra: Record<string, string> = {}): string {
  const root = join(tmp, `theme-${++dirs}`);
  write(root, {
    'layout/theme.liquid': LAYOUT,
    'snippets/growlytics.liquid': snippet,
    'assets/growlytics.min.js': readFileSync(BUNDLE, 'utf8'),
    'locales/en.default.json': '{}\n',
    ...extra,
  });
  return root;
}

/**
 * A theme app extension with the block and, unless told otherwise, the built
 * bundle. (The .toml is what makes a directory an extension; theme check would
 * pick the app config from it, but the config is given explicitly here.)
 */
function extension(block = BLOCK, o: { asset?: boolean } = {}): string {
  const root = join(tmp, `extension-${++dirs}`);
  write(root, {
    'blocks/growlytics.liquid': block,
    'locales/en.default.json': '{}\n',
    'shopify.extension.toml': 'name = "growlytics"\ntype = "theme"\n',
  });
  if (o.asset !== false) {
    mkdirSync(join(root, 'assets'));
    copyFileSync(BUNDLE, join(root, 'assets/growlytics.min.js'));
  }
  return root;
}

/** Runs theme check in-process; offenses as file, 1-based line, check, message. */
async function lint(root: string, config: string): Promise<Found[]> {
  const before = network.length;
  const offenses = await themeCheck.check(root, config);
  expect(network.slice(before), 'theme check made network requests').toEqual([]);
  return offenses.map((o) => ({
    check: o.check,
    message: o.message,
    file: relative(root, fileURLToPath(o.uri)),
    line: o.start.line + 1,
  }));
}

const readable = (found: Found[]) =>
  found.length ? found.map((o) => `  ${o.file}:${o.line} ${o.check}: ${o.message}`).join('\n') : '  (none)';

describe("Shopify's theme check over the shipped Liquid", () => {
  test('shopify/growlytics.liquid, as a theme snippet (theme-check:recommended): 0 offenses', async () => {
    const found = await lint(theme(), THEME_CONFIG);
    expect(found, `theme check offenses:\n${readable(found)}`).toEqual([]);
  });

  test("shopify/growlytics.liquid rendered with proxy: '/apps/growlytics' (theme-check:recommended): 0 offenses", async () => {
    expect(PROXY_LAYOUT).toContain("{% render 'growlytics', proxy: '/apps/growlytics' %}");
    const found = await lint(theme(SNIPPET, { 'layout/theme.liquid': PROXY_LAYOUT }), THEME_CONFIG);
    expect(found, `theme check offenses:\n${readable(found)}`).toEqual([]);
  });

  test('shopify/app-embed/blocks/growlytics.liquid, as an app embed block (theme-check:theme-app-extension): 0 offenses', async () => {
    const found = await lint(extension(), EXTENSION_CONFIG);
    expect(found, `theme check offenses:\n${readable(found)}`).toEqual([]);
  });

  test('the linter is live: a known offense is reported', async () => {
    const swap = (source: string, from: string, to: string) => {
      expect(source, `the mutation needs ${JSON.stringify(from)} in the file`).toContain(from);
      return source.replace(from, to);
    };
    const lineOf = (source: string, text: string) => source.split('\n').findIndex((l) => l.includes(text)) + 1;
    const pick = (found: Found[]) => found.map(({ check, file, line }) => ({ check, file, line }));

    // Theme snippet: an unknown filter, and an asset the theme does not have.
    const snippet = 'snippets/growlytics.liquid';
    expect(pick(await lint(theme(swap(SNIPPET, '{{ key | json }}', '{{ key | jsonify }}')), THEME_CONFIG))).toEqual([
      { check: 'UnknownFilter', file: snippet, line: lineOf(SNIPPET, '{{ key | json }}') },
    ]);
    expect(pick(await lint(theme(swap(SNIPPET, "'growlytics.min.js'", "'growlytics.js'")), THEME_CONFIG))).toEqual([
      { check: 'MissingAsset', file: snippet, line: lineOf(SNIPPET, 'asset_url') },
    ]);
    // The theme layout is checked too: a snippet nobody renders is reported.
    const orphan = await lint(theme(SNIPPET, { 'layout/theme.liquid': LAYOUT.replace(/\s*\{% render[^%]*%\}/, '') }), THEME_CONFIG);
    expect(pick(orphan)).toEqual([{ check: 'OrphanedSnippet', file: snippet, line: 1 }]);

    // App embed block: no bundle in the extension's assets/, a tag app blocks
    // may not use (an app-extension rule: proves that config is the one in
    // effect), an unknown filter, and no schema.
    const block = 'blocks/growlytics.liquid';
    expect(pick(await lint(extension(BLOCK, { asset: false }), EXTENSION_CONFIG))).toEqual([
      { check: 'MissingAsset', file: block, line: lineOf(BLOCK, 'asset_url') },
    ]);
    const tagged = swap(BLOCK, '{%- endif -%}', '{% javascript %}growlytics.flush();{% endjavascript %}\n{%- endif -%}');
    expect(pick(await lint(extension(tagged), EXTENSION_CONFIG))).toEqual([
      { check: 'AppBlockValidTags', file: block, line: lineOf(tagged, '{% javascript') },
    ]);
    expect(pick(await lint(extension(swap(BLOCK, '{{ api_key | json }}', '{{ api_key | jsonn }}')), EXTENSION_CONFIG))).toEqual([
      { check: 'UnknownFilter', file: block, line: lineOf(BLOCK, '{{ api_key | json }}') },
    ]);
    const schemaless = BLOCK.replace(/\{% schema %\}[\s\S]*?\{% endschema %\}\s*/, '');
    expect(schemaless).not.toContain('schema %}');
    const noSchema = await lint(extension(schemaless), EXTENSION_CONFIG);
    expect(pick(noSchema).map((o) => o.check)).toEqual(['AppBlockMissingSchema']);
  });
});
