// The host side of Shopify's pixel sandboxes, on a page of the shop's origin
// (checkout, thank-you): it runs a pixel as Shopify does and relays its
// `browser.localStorage` / `sessionStorage` calls to this page's own storage,
// the same storage the theme snippet uses.
//
// - kind 'custom': the pasted script (dist/shopify/custom-pixel.js, its two
//   first lines edited as a merchant would) in an
//   <iframe sandbox="allow-scripts allow-forms" srcdoc>: an opaque origin,
//   so its requests carry `Origin: null` and its own localStorage throws.
//   The code runs inside a function given `api`, `analytics`, `browser`
//   and `init`, the lax sandbox's globals.
// - kind 'app': the extension's built script
//   (dist/shopify/web-pixel/dist/index.js) in a Worker that defines
//   `self.shopify.extend` (pixel-worker.js), with the settings
//   webPixelCreate would give it: { apiKey, endpoint }.
//
// GrowlyticsPixelHost.start({ kind, key, endpoint, init, src? }) resolves,
// once the pixel has registered, to
//   { publish(name, event), consent(customerPrivacy), errors, stop() }.
(function () {
  'use strict';

  var ASSETS = new URL('/demo/assets/', location.href).href;
  var SOURCES = {
    custom: '/dist/shopify/custom-pixel.js',
    app: '/dist/shopify/web-pixel/dist/index.js',
  };

  /** Runs one storage call for a sandbox, as Shopify's top frame does; answers by message. */
  function perform(message, reply) {
    var value = null;
    var error = null;
    try {
      var area = message.area === 'sessionStorage' ? window.sessionStorage : window.localStorage;
      if (message.op === 'length') value = area.length;
      else if (['getItem', 'setItem', 'removeItem', 'key', 'clear'].indexOf(message.op) >= 0) {
        value = area[message.op].apply(area, message.args || []);
      } else throw new Error('no storage method ' + message.op);
    } catch (e) {
      error = String(e && e.message || e);
    }
    reply({ type: 'storage-result', id: message.id, value: value === undefined ? null : value, error: error });
  }

  /** The merchant's edit: the key and the endpoint on the script's first two lines. */
  function edit(code, key, endpoint) {
    var lines = code.split('\n');
    if (lines[0].indexOf('const GROWLYTICS_KEY = ') !== 0 || lines[1].indexOf('const GROWLYTICS_ENDPOINT = ') !== 0) {
      throw new Error('custom-pixel.js does not open with the two lines a merchant edits');
    }
    lines[0] = 'const GROWLYTICS_KEY = ' + JSON.stringify(key) + ';';
    lines[1] = 'const GROWLYTICS_ENDPOINT = ' + JSON.stringify(endpoint) + ';';
    return lines.join('\n');
  }

  function json(value) {
    return JSON.stringify(value).replace(/</g, '\\u003c');
  }

  function startCustom(o, handle, onMessage) {
    return fetch(o.src || SOURCES.custom, { cache: 'no-store' })
      .then(function (res) { return res.text(); })
      .then(function (code) {
        var iframe = document.createElement('iframe');
        // What Shopify's lax sandbox sets: scripts and forms, no same-origin.
        iframe.setAttribute('sandbox', 'allow-scripts allow-forms');
        iframe.setAttribute('title', 'Growlytics custom pixel (sandboxed)');
        iframe.hidden = true;
        iframe.srcdoc = [
          '<!doctype html><meta charset="utf-8">',
          '<script src="' + ASSETS + 'pixel-sandbox.js"></script>',
          '<script>',
          'var __sandbox = growlyticsSandbox(' + json(o.init) + ', null, function (m) { parent.postMessage(m, "*"); });',
          'addEventListener("message", function (e) { if (e.source === parent) __sandbox.receive(e.data); });',
          '</script>',
          // The pasted code, alone in its script: a syntax error stays its own.
          '<script>(function (api, analytics, browser, init) {\n' +
            edit(code, o.key, o.endpoint).replace(/<\/script/gi, '<\\/script') +
            '\n})(__sandbox.api, __sandbox.api.analytics, __sandbox.api.browser, __sandbox.api.init);</script>',
          '<script>parent.postMessage({ type: "ready" }, "*");</script>',
        ].join('\n');
        window.addEventListener('message', function (e) {
          if (e.source === iframe.contentWindow) onMessage(e.data);
        });
        document.body.appendChild(iframe);
        handle._send = function (m) { if (iframe.contentWindow) iframe.contentWindow.postMessage(m, '*'); };
        handle.stop = function () { iframe.remove(); };
      });
  }

  function startApp(o, handle, onMessage) {
    var worker = new Worker(ASSETS + 'pixel-worker.js');
    worker.onmessage = function (e) { onMessage(e.data); };
    worker.onerror = function (e) { handle.errors.push('worker: ' + e.message); };
    handle._send = function (m) { worker.postMessage(m); };
    handle.stop = function () { worker.terminate(); };
    handle._send({
      type: 'start',
      init: o.init,
      settings: { apiKey: o.key, endpoint: o.endpoint },
      src: new URL(o.src || SOURCES.app, location.href).href,
    });
    return Promise.resolve();
  }

  window.GrowlyticsPixelHost = {
    start: function (o) {
      var handle = {
        kind: o.kind,
        errors: [],
        publish: function (name, event) {
          handle._send({ type: 'event', name: name, event: event });
        },
        consent: function (customerPrivacy) {
          handle._send({ type: 'consent', customerPrivacy: customerPrivacy });
        },
      };
      return new Promise(function (resolve, reject) {
        function onMessage(m) {
          if (!m || typeof m !== 'object') return;
          if (m.type === 'storage') perform(m, handle._send);
          else if (m.type === 'error') handle.errors.push(m.message);
          else if (m.type === 'ready') resolve(handle);
        }
        (o.kind === 'app' ? startApp : startCustom)(o, handle, onMessage).catch(reject);
      });
    },
  };
})();
