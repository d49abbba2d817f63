import typescript from '@rollup/plugin-typescript';
import terser from '@rollup/plugin-terser';
import { dts } from 'rollup-plugin-dts';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// Terser renames properties that start with `_` (our internal ones; they
// never meet outside code), as web-vitals and Preact do: a few hundred bytes
// of the size budget. Public names (init, identify, queued, errors...) have
// no underscore and survive. Exported for bench/size-map.mjs, which builds
// the theme bundle the same way.
export const minify = terser({
  ecma: 2020,
  compress: { passes: 3, unsafe: true, unsafe_arrows: true, pure_getters: true },
  mangle: { properties: { regex: /^_(?!_)/ } }, // not __st, a Shopify global
  format: { comments: false },
});

// Copies the Liquid files a merchant installs next to the bundle.
const liquid = () => ({
  name: 'liquid',
  generateBundle() {
    for (const [from, to] of [
      ['shopify/growlytics.liquid', 'shopify/snippets/growlytics.liquid'],
      ['shopify/app-embed/blocks/growlytics.liquid', 'shopify/app-embed/blocks/growlytics.liquid'],
    ]) {
      try {
        this.emitFile({ type: 'asset', fileName: to, source: readFileSync(from, 'utf8') });
      } catch (e) {
        this.warn(`${from}: ${e.message}`);
      }
    }
  },
});

// ------------------------------------------------------------ checkout pixels
// One core, thin runtimes (GUIDE habit 11): both pixels bundle src/pixel/pixel.ts
// with the theme bundle's own validation, record format and request; neither
// entry is reachable from src/theme/global.ts, so the theme bundle cannot grow.

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

// The custom pixel opens with the two lines a merchant edits (SPEC §5,
// exactly), then a header saying what it sends and when. Added after terser
// (plugin order), so the minifier leaves them as they are.
const customPixelHeader = () => ({
  name: 'custom-pixel-header',
  renderChunk: (code) => `const GROWLYTICS_KEY = 'YOUR_GROWLYTICS_API_KEY';
const GROWLYTICS_ENDPOINT = 'https://dc.growlytics.in/track/user';
// ^ Edit the two lines above: your Growlytics API key (the endpoint rarely changes).
// Through the Growlytics relay: the key '' and the relay's URL?shop=<shop>.myshopify.com.
//
// Growlytics checkout pixel ${pkg.version}: identifies the buyer to Growlytics.
// When: on the contact, address, shipping and payment steps and when the order
// completes, once per change, only if the visitor allows analytics.
// What: POST {id, attributes} to the endpoint: id is the Shopify customer id
// (not through the relay), else the email, else the phone; attributes are
// name, email, mobile, acceptsEmailMarketing and acceptsSmsMarketing. Nothing else leaves the page.
// Until delivered, a profile waits in the shop's localStorage (growlytics:*)
// for the Growlytics theme snippet. Source: src/pixel/pixel.ts in the project.
${code}`,
});

// Rollup resolves no packages by itself (this project has no node-resolve
// plugin): the app pixel's one import, \`register\`, is found by Node's resolver.
const webPixelsExtension = () => ({
  name: 'web-pixels-extension',
  resolveId: (id) => (id == '@shopify/web-pixels-extension' ? fileURLToPath(import.meta.resolve(id)) : null),
});

// The extension directory an app copies into its extensions/ (SPEC §5): its
// toml and package.json, and src/index.ts, which is src/pixel/web-pixel.ts itself:
// its `./pixel` import finds the src/pixel.js built next to it.
const webPixelFiles = () => ({
  name: 'web-pixel-files',
  generateBundle() {
    for (const [from, to] of [
      ['shopify/web-pixel/shopify.extension.toml', 'shopify.extension.toml'],
      ['shopify/web-pixel/package.json', 'package.json'],
      ['src/pixel/web-pixel.ts', 'src/index.ts'],
    ]) {
      this.emitFile({ type: 'asset', fileName: to, source: readFileSync(from, 'utf8') });
    }
  },
});

const pixels = [
  {
    input: 'src/pixel/custom-pixel.ts',
    output: { file: 'dist/shopify/custom-pixel.js', format: 'iife', strict: false, plugins: [minify, customPixelHeader()] },
    plugins: [typescript({ tsconfig: './tsconfig.json' })],
  },
  {
    // The worker script the tests load: a classic script whose one Shopify
    // dependency is the `shopify.extend` global that `register` calls.
    input: 'src/pixel/web-pixel.ts',
    output: { file: 'dist/shopify/web-pixel/dist/index.js', format: 'iife', strict: false, plugins: [minify] },
    plugins: [webPixelsExtension(), typescript({ tsconfig: './tsconfig.json' })],
    // The package says "sideEffects": false, which rollup reads only through
    // node-resolve: without this its enums (unused here) would stay.
    treeshake: { moduleSideEffects: (id) => !id.includes('node_modules') },
  },
  {
    // The runtime the extension's src/index.ts imports, readable: Shopify
    // CLI bundles and minifies the extension itself.
    input: 'src/pixel/pixel.ts',
    output: { dir: 'dist/shopify/web-pixel', entryFileNames: 'src/pixel.js', format: 'es' },
    plugins: [typescript({ tsconfig: './tsconfig.json', outDir: 'dist/shopify/web-pixel' }), webPixelFiles()],
  },
  {
    input: 'src/pixel/pixel.ts',
    output: { file: 'dist/shopify/web-pixel/src/pixel.d.ts', format: 'es' },
    plugins: [dts()],
  },
];

// --------------------------------------------------------------------- relay
// The relay (SPEC §6): the Worker module and the Node entry share
// src/relay/handler.ts and src/core/validate.ts. Not minified: an operator
// reads what runs on their server. No runtime dependencies; node:* stays
// external.
const relayFiles = () => ({
  name: 'relay-files',
  generateBundle() {
    this.emitFile({ type: 'asset', fileName: 'wrangler.toml', source: readFileSync('src/relay/wrangler.toml', 'utf8') });
  },
});

const relay = [
  {
    input: 'src/relay/worker.ts',
    output: { file: 'dist/relay/worker.js', format: 'es' },
    plugins: [typescript({ tsconfig: './tsconfig.json' }), relayFiles()],
  },
  {
    input: 'src/relay/node.ts',
    output: { file: 'dist/relay/node.mjs', format: 'es' },
    external: [/^node:/],
    plugins: [typescript({ tsconfig: './tsconfig.json' })],
  },
];

export default [
  {
    // The script-tag bundle. Rollup's own UMD wrapper hands the factory to an
    // AMD loader instead of running it, so on a theme that ships RequireJS
    // window.growlytics would never appear, and an anonymous define() from a
    // plain <script> makes RequireJS throw "Mismatched anonymous define()"
    // (SPEC §2). This IIFE always runs, defines window.growlytics itself and
    // never calls define(). Bundlers get the ES module build.
    input: 'src/theme/global.ts',
    output: {
      file: 'dist/growlytics.min.js',
      format: 'iife',
      strict: false, // our code is strict-safe; the directive is 13 bytes
      plugins: [minify],
    },
    plugins: [typescript({ tsconfig: './tsconfig.json' }), liquid()],
  },
  {
    input: 'src/theme/index.ts',
    output: { file: 'dist/growlytics.mjs', format: 'es', plugins: [minify] },
    plugins: [typescript({ tsconfig: './tsconfig.json' })],
  },
  {
    input: 'src/theme/index.ts',
    output: { file: 'dist/growlytics.d.ts', format: 'es' },
    plugins: [dts()],
  },
  ...pixels,
  ...relay,
];
