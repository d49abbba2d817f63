// The app pixel's sandbox: a dedicated Worker (Shopify's strict sandbox runs
// app pixels in a web worker: no DOM, no localStorage). It defines the one
// Shopify global the built extension needs, `self.shopify.extend`, then
// loads the extension's built script as a classic worker script. The host
// page sends { type: 'start', init, settings, src } first, then storage
// answers, events and consent changes.
importScripts('pixel-sandbox.js');

var sandbox = null;

self.addEventListener('message', function (e) {
  var message = e.data;
  if (sandbox) return sandbox.receive(message);
  if (!message || message.type !== 'start') return;
  sandbox = self.growlyticsSandbox(message.init, message.settings, function (m) { self.postMessage(m); });
  self.shopify = {
    extend: function (extensionPoint, extend) {
      if (extensionPoint === 'WebPixel::Render') extend(sandbox.api);
    },
  };
  try {
    importScripts(message.src);
    self.postMessage({ type: 'ready' });
  } catch (error) {
    self.postMessage({ type: 'error', message: 'loading ' + message.src + ': ' + error });
    self.postMessage({ type: 'ready' });
  }
});
