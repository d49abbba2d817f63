// The app embed block (shopify/app-embed/blocks/growlytics.liquid) rendered
// the way Shopify renders an app embed of a theme app extension, with liquidjs
// standing in for Shopify's Liquid, as demo/storefront.mjs does for the theme
// snippet:
// - `block.settings` holds each setting the block's {% schema %} declares: the
//   merchant's value from Theme settings → App embeds, else the setting's
//   default, else nil; a value for a setting the schema does not declare is
//   refused (Shopify has nowhere to store it);
// - `asset_url` points at the extension's assets/, here dist/ (the extension
//   ships dist/growlytics.min.js as assets/growlytics.min.js); an asset the
//   extension does not ship is refused;
// - `customer` is global, as in any Liquid Shopify renders;
// - {% schema %} renders nothing.
// The output belongs in <head> (the schema's `target`), after
// `{{ content_for_header }}`.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Liquid, Tag } from 'liquidjs';
import { scriptJson } from './content-for-header.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const APP_EMBED_FILE = join(REPO, 'shopify/app-embed/blocks/growlytics.liquid');

/** The assets the extension ships, by name, and where the storefront serves them. */
const ASSETS = { 'growlytics.min.js': '/dist/growlytics.min.js' };

/** Shopify prints nothing for {% schema %}; its body is JSON for the theme editor. */
class SchemaTag extends Tag {
  constructor(token, remainTokens, liquid) {
    super(token, remainTokens, liquid);
    while (remainTokens.length) {
      const next = remainTokens.shift();
      if (next.name === 'endschema') return;
    }
    throw new Error(`tag ${token.getText()} not closed`);
  }
  render() {
    return '';
  }
}

const liquid = new Liquid({ cache: false });
liquid.registerTag('schema', SchemaTag);
liquid.registerFilter('asset_url', (name) => {
  if (!Object.hasOwn(ASSETS, name)) throw new Error(`asset_url: the extension ships no asset ${JSON.stringify(name)}`);
  return ASSETS[name];
});
// Shopify's `json`: nil prints `null`, and <, > and & are escaped (see storefront.mjs).
liquid.registerFilter('json', (value) => scriptJson(value));

/** The block's {% schema %}, parsed. */
export function appEmbedSchema(source = readFileSync(APP_EMBED_FILE, 'utf8')) {
  const m = /\{%-?\s*schema\s*-?%\}([\s\S]*?)\{%-?\s*endschema\s*-?%\}/.exec(source);
  if (!m) throw new Error('the app embed block has no {% schema %}');
  return JSON.parse(m[1]);
}

/**
 * Renders the app embed block.
 * @param {object} o
 * @param {Record<string, unknown>} [o.settings]  the merchant's values, by setting id
 * @param {object|null} [o.customer]              Liquid's `customer` (snake_case) or null
 * @param {string} [o.source]                     the block's Liquid (default: the shipped file)
 * @returns {Promise<string>}
 */
export async function renderAppEmbed({ settings = {}, customer = null, source } = {}) {
  source ??= readFileSync(APP_EMBED_FILE, 'utf8');
  const schema = appEmbedSchema(source);
  const declared = new Map((schema.settings ?? []).map((s) => [s.id, s]));
  for (const id of Object.keys(settings)) {
    if (!declared.has(id)) throw new Error(`the block's schema declares no setting ${JSON.stringify(id)}`);
  }
  const values = {};
  for (const [id, s] of declared) values[id] = Object.hasOwn(settings, id) ? settings[id] : s.default;
  for (const path of Object.values(ASSETS)) {
    if (!existsSync(join(REPO, path))) throw new Error(`${path} is missing: run \`npm run build\``);
  }
  const block = { id: 'growlytics_app_embed', type: 'shopify://apps/growlytics/blocks/growlytics', settings: values };
  return liquid.parseAndRender(source, { block }, { globals: { customer } });
}
