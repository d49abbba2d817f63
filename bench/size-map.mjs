// `node bench/size-map.mjs`: where the theme bundle's bytes come from, per
// source module. Builds src/theme/global.ts as rollup.config.mjs does (TypeScript,
// then the same terser options) with a source map, gives each minified
// character to the module its mapping segment names, and prints per module:
// minified bytes, and the marginal gzip -9 cost (the whole bundle's gzip
// size minus its size with that module's characters cut out). The marginal
// costs do not add up to the total: what two modules share (names, syntax
// gzip finds repeated) is paid once.
import { rollup } from 'rollup';
import typescript from '@rollup/plugin-typescript';
import { gzipSync } from 'node:zlib';
import { minify } from '../rollup.config.mjs';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Source map "mappings" (VLQ) as [line][segment] = [generatedColumn, sourceIndex?]. */
function decode(mappings) {
  let source = 0;
  return mappings.split(';').map((line) => {
    let column = 0;
    return line.split(',').filter(Boolean).map((segment) => {
      const fields = [];
      for (let i = 0, value = 0, shift = 0; i < segment.length; i++) {
        const digit = B64.indexOf(segment[i]);
        value += (digit & 31) << shift;
        if (digit & 32) shift += 5;
        else fields.push(value & 1 ? -(value >>> 1) : value >>> 1), (value = 0), (shift = 0);
      }
      column += fields[0];
      if (fields.length > 1) source += fields[1];
      return [column, fields.length > 1 ? source : -1];
    });
  });
}

const bundle = await rollup({ input: 'src/theme/global.ts', plugins: [typescript({ tsconfig: './tsconfig.json', outDir: 'dist', sourceMap: true })] });
const { output } = await bundle.generate({ format: 'iife', strict: false, sourcemap: 'hidden', plugins: [minify] });
await bundle.close();
const { code, map } = output[0];
const gz = (s) => gzipSync(s, { level: 9 }).length;

// owner[i]: the module (source index) of minified character i; -1 for the wrapper.
const owner = new Int16Array(code.length).fill(-1);
const lines = code.split('\n');
let offset = 0;
decode(map.mappings).forEach((segments, l) => {
  segments.forEach(([column, source], s) => {
    const end = s + 1 < segments.length ? segments[s + 1][0] : lines[l].length;
    owner.fill(source, offset + column, offset + end);
  });
  offset += (lines[l]?.length ?? 0) + 1;
});

const total = gz(code);
const rows = map.sources.map((name, i) => {
  let bytes = 0, rest = '';
  for (let c = 0; c < code.length; c++) owner[c] === i ? bytes++ : (rest += code[c]);
  return { module: name.replace(/^.*src\//, 'src/'), 'minified B': bytes, 'marginal gzip B': total - gz(rest) };
}).filter((r) => r['minified B']).sort((a, b) => b['marginal gzip B'] - a['marginal gzip B']);
console.log(`theme bundle: ${code.length} B minified, ${total} B gzip -9 (this build; dist/ is built by rollup -c)`);
console.table(rows);
