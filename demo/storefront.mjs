// A simulated Shopify storefront on its own origin (so the snippet's requests
// to the collector are real cross-origin requests, preflight included).
//
// Pages are rendered like Shopify renders them: the layout demo/theme/theme.liquid
// prints a simulated `{{ content_for_header }}` and then renders the real
// shopify/growlytics.liquid snippet, with liquidjs standing in for Shopify's
// Liquid. Tests can register their own raw pages on this origin (`pages`).

import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Liquid } from 'liquidjs';
import { contentForHeader, scriptJson } from './content-for-header.mjs';
import { listen } from './listen.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '..');
const THEME = join(HERE, 'theme');

const TYPES = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.cjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The demo customers, as Liquid's `customer` object has them (snake_case).
 * The second has a phone only on the default address; the third has no last
 * name and no phone at all, so both fallbacks of the snippet are exercised.
 */
export const DEMO_CUSTOMERS = [
  { id: 6713034932445, email: 'ada@example.com', first_name: 'Ada', last_name: 'Lovelace', name: 'Ada Lovelace', phone: '+447700900123', default_address: { phone: '+447700900123' } },
  { id: 6713034932446, email: 'sean.obrien@example.com', first_name: 'Seán', last_name: "O'Brien", name: "Seán O'Brien", phone: null, default_address: { phone: '+35315550142' } },
  { id: 6713034932447, email: 'zoe@example.com', first_name: 'Zoë', last_name: null, name: 'Zoë', phone: null, default_address: null },
];

const ROUTES = { '/': 'index', '/products/demo': 'product', '/account': 'account' };
const ROUTE_MODES = new Set(['proxy', 'direct']);
const CONSENT_MODES = { 1: 'features', features: 'features', api: 'api', fail: 'fail', off: '', 0: '' };

function cookies(req) {
  const out = {};
  for (const part of (req.headers.cookie || '').split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    try {
      out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
    } catch { /* a malformed cookie of someone else's: skip it */ }
  }
  return out;
}

/** The demo customer the login cookie names, or null for a guest. */
function loggedIn(jar) {
  return DEMO_CUSTOMERS[Number(jar.demo_customer) - 1] ?? null;
}

/** A local path to go back to; anything else (other hosts, `//x`) falls back to '/'. */
function localPath(value) {
  return typeof value === 'string' && value.startsWith('/') && !value.startsWith('//') && !value.startsWith('/\\') ? value : '/';
}

function createLiquid(root) {
  const liquid = new Liquid({
    root: [THEME],
    // `render 'growlytics'` finds the real snippet a merchant installs.
    partials: [join(root, 'shopify')],
    extname: '.liquid',
    cache: false, // edits to the snippet show on the next reload
  });
  // Shopify's `asset_url` points at the theme's CDN assets; here at dist/.
  liquid.registerFilter('asset_url', (name) => `/dist/${name}`);
  // Shopify's `json` prints nil as `null` and escapes <, > and & (liquidjs'
  // JSON.stringify would print nothing for nil and let `</script>` through).
  liquid.registerFilter('json', (value) => scriptJson(value));
  return liquid;
}

/**
 * Starts the demo storefront.
 * @param {object} [o]
 * @param {string} [o.host='127.0.0.1']
 * @param {number} [o.port=0]        0: any free port
 * @param {string} [o.endpoint]      the collector's /track/user URL, passed to the snippet
 * @param {string} [o.key='demo-key']
 * @param {string} [o.root]          repo root: dist/ and shopify/ are read from it
 * @param {Record<string, string | ((req, url) => string | Promise<string>)>} [o.pages]
 *        extra raw HTML pages by path, checked before the demo routes
 * @param {{ prefix: string, handle: Function }} [o.proxy]
 *        the App Proxy stand-in (demo/app-proxy.mjs): requests under `prefix`
 *        go to it, signed for the demo login; pages then render the snippet
 *        with `proxy: prefix` (no key), unless the visitor chose the direct
 *        route (/route-mode?mode=direct)
 * @param {(req, url) => string} [o.headStart]
 *        HTML put at the very start of every page's <head> (raw pages and
 *        demo routes alike): the browser tests' probe, which must run before
 *        any page script in every engine, including those without init scripts
 * @returns {Promise<{ origin: string, close: () => Promise<void> }>}
 */
export function startStorefront({ host = '127.0.0.1', port = 0, endpoint, key = 'demo-key', root = REPO, pages = {}, proxy, headStart } = {}) {
  const liquid = createLiquid(root);
  const dist = join(root, 'dist');
  const assets = join(THEME, 'assets');
  const dashboardUrl = endpoint ? new URL('/', endpoint).href : null;

  function send(res, status, body, headers = {}) {
    res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
    res.end(body);
  }

  function serveFile(res, base, rel) {
    let file, body;
    try {
      file = resolve(base, '.' + sep + decodeURIComponent(rel));
      if (!file.startsWith(base + sep)) return send(res, 403, 'forbidden');
      if (!statSync(file).isFile()) throw new Error('not a file');
      body = readFileSync(file);
    } catch {
      const hint = base === dist ? ' (run `npm run build`)' : '';
      return send(res, 404, `not found: ${rel}${hint}`, { 'Content-Type': 'text/plain; charset=utf-8' });
    }
    send(res, 200, body, { 'Content-Type': TYPES[extname(file)] || 'application/octet-stream' });
  }

  async function renderPage(req, res, url, template) {
    const jar = cookies(req);
    const customer = loggedIn(jar);
    if (template === 'account' && !customer) return send(res, 302, '', { Location: '/' }); // Shopify sends guests to the login page
    const consentParam = url.searchParams.get('consent');
    const consent = CONSENT_MODES[consentParam ?? jar.demo_consent_mode ?? ''] ?? '';
    const designMode = url.searchParams.get('editor') === '1';
    const returnTo = url.pathname + url.search;
    const header = contentForHeader({
      page: { index: 'home', product: 'product', account: 'account' }[template],
      customer,
      host: req.headers.host || host,
      path: url.pathname,
      consent,
      designMode,
    });
    const scope = {
      template,
      page_title: { index: 'Home', product: 'Growlytics mug', account: 'Account' }[template],
      demo_customers: DEMO_CUSTOMERS,
      return_to: returnTo,
      dashboard_url: dashboardUrl,
      consent_mode: consent,
      editor: designMode,
      dist_missing: !existsSync(join(dist, 'growlytics.min.js')),
      growlytics_key: key,
      growlytics_endpoint: endpoint,
      // Through the App Proxy stand-in unless the visitor chose the direct route.
      growlytics_proxy: proxy && jar.demo_route !== 'direct' ? proxy.prefix : null,
      route_modes: Boolean(proxy),
      // The forge control's target: a demo customer who is not the one logged in.
      forge_id: DEMO_CUSTOMERS.find((c) => c.id !== customer?.id).id,
    };
    // `customer` is global in Shopify: snippets rendered with `render` see it too.
    const globals = { customer };
    const contentForLayout = await liquid.renderFile('templates/page', scope, { globals });
    const html = await liquid.renderFile('theme', { ...scope, content_for_header: header, content_for_layout: contentForLayout }, { globals });
    send(res, 200, withHeadStart(html, req, url));
  }

  function withHeadStart(html, req, url) {
    if (!headStart || typeof html !== 'string') return html;
    const extra = headStart(req, url);
    // After <head ...> (not <header>), else after the doctype, else first.
    const at = /<head(?:\s[^>]*)?>/i.exec(html) ?? /^\s*<!doctype[^>]*>/i.exec(html);
    const i = at ? at.index + at[0].length : 0;
    return html.slice(0, i) + extra + html.slice(i);
  }

  async function handle(req, res) {
    const url = new URL(req.url, 'http://storefront');
    const path = url.pathname;
    if (proxy && path.startsWith(proxy.prefix + '/')) return proxy.handle(req, res, url, loggedIn(cookies(req))?.id ?? '');
    if (Object.hasOwn(pages, path)) {
      const page = pages[path];
      return send(res, 200, withHeadStart(typeof page === 'function' ? await page(req, url) : page, req, url));
    }
    if (path.startsWith('/dist/')) return serveFile(res, dist, path.slice('/dist/'.length));
    if (path.startsWith('/demo/assets/')) return serveFile(res, assets, path.slice('/demo/assets/'.length));
    const back = localPath(url.searchParams.get('return'));
    if (path === '/login') {
      const n = Number(url.searchParams.get('as'));
      if (!DEMO_CUSTOMERS[n - 1]) return send(res, 400, `no demo customer ${url.searchParams.get('as')} (1-${DEMO_CUSTOMERS.length})`);
      return send(res, 302, '', { Location: back, 'Set-Cookie': `demo_customer=${n}; Path=/; SameSite=Lax` });
    }
    if (path === '/logout') return send(res, 302, '', { Location: back, 'Set-Cookie': 'demo_customer=; Path=/; Max-Age=0' });
    if (path === '/consent-mode') {
      const mode = CONSENT_MODES[url.searchParams.get('mode')] ?? '';
      // Drop ?consent= from the way back, or it would override the new mode.
      const to = new URL(back, 'http://storefront');
      to.searchParams.delete('consent');
      return send(res, 302, '', { Location: to.pathname + to.search, 'Set-Cookie': `demo_consent_mode=${mode}; Path=/; SameSite=Lax${mode ? '' : '; Max-Age=0'}` });
    }
    if (path === '/route-mode') {
      const mode = url.searchParams.get('mode');
      if (!ROUTE_MODES.has(mode)) return send(res, 400, 'mode: proxy or direct');
      return send(res, 302, '', { Location: back, 'Set-Cookie': `demo_route=${mode}; Path=/; SameSite=Lax` });
    }
    if (Object.hasOwn(ROUTES, path)) return renderPage(req, res, url, ROUTES[path]);
    if (path === '/favicon.ico') return send(res, 204, '');
    send(res, 404, `<h1>404</h1><p>No page at ${scriptJson(path)}. Try <a href="/">the home page</a>.</p>`);
  }

  return listen(
    (req, res) =>
      handle(req, res).catch((e) => {
        console.error('storefront: request failed', e);
        if (!res.headersSent) send(res, 500, `<pre>storefront error: ${scriptJson(e.message)}</pre>`);
        else res.destroy();
      }),
    { host, port },
  );
}
