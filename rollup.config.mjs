import typescript from '@rollup/plugin-typescript';
import terser from '@rollup/plugin-terser';
import { dts } from 'rollup-plugin-dts';
import { readFileSync } from 'node:fs';

// Terser renames properties that start with `_` (our internal ones; they
// never meet outside code), as web-vitals and Preact do: a few hundred bytes
// of the size budget. Public names (init, identify, queued, errors...) have
// no underscore and survive.
const minify = terser({
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

export default [
  {
    // The script-tag bundle. Rollup's own UMD wrapper hands the factory to an
    // AMD loader instead of running it, so on a theme that ships RequireJS
    // window.growlytics would never appear, and an anonymous define() from a
    // plain <script> makes RequireJS throw "Mismatched anonymous define()"
    // (SPEC §2). This IIFE always runs, defines window.growlytics itself and
    // never calls define(). Bundlers get the ES module build.
    input: 'src/global.ts',
    output: {
      file: 'dist/growlytics.min.js',
      format: 'iife',
      strict: false, // our code is strict-safe; the directive is 13 bytes
      plugins: [minify],
    },
    plugins: [typescript({ tsconfig: './tsconfig.json' }), liquid()],
  },
  {
    input: 'src/index.ts',
    output: { file: 'dist/growlytics.mjs', format: 'es', plugins: [minify] },
    plugins: [typescript({ tsconfig: './tsconfig.json' })],
  },
  {
    input: 'src/index.ts',
    output: { file: 'dist/growlytics.d.ts', format: 'es' },
    plugins: [dts()],
  },
];
