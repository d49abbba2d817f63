import { register } from '@shopify/web-pixels-extension';
import { startPixel } from './pixel';

/**
 * The app pixel's entry (SPEC §5): a web pixel extension's `src/index.ts`.
 * Shopify runs it in a web worker (the strict sandbox) with the settings the
 * app gave `webPixelCreate`: `apiKey` (required) and `endpoint` (optional).
 * `register` is `shopify.extend('WebPixel::Render', …)`, the one Shopify
 * global the built script needs.
 */
try {
  register((api) => startPixel(api, api?.settings?.apiKey, api?.settings?.endpoint));
} catch {} // no `shopify` global: not in a pixel sandbox, do nothing
