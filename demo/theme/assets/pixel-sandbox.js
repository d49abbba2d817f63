// Inside a pixel sandbox (the custom pixel's iframe, the app pixel's worker):
// a stand-in for Shopify's Web Pixels API, with its real names and shapes
// (@shopify/web-pixels-extension: ExtensionApi, Browser, RegisterInit). As in
// Shopify, everything the pixel gets crosses a postMessage boundary: events
// are structured clones, and `browser.localStorage` / `sessionStorage` are
// asynchronous calls the host page performs on the shop's own storage.
//
// growlyticsSandbox(init, settings, post) -> { api, receive(message) }
//   post(message): sends a message to the host page.
//   receive(message): what the host sent (storage answers, events, consent).
// Errors that escape the pixel (a subscriber that throws, an unhandled
// rejection) are reported to the host as { type: 'error' }: a test asserts
// there are none.
(function (self) {
  'use strict';

  self.growlyticsSandbox = function (init, settings, post) {
    var subscribers = {};
    var consentSubscribers = [];
    var pending = {};
    var seq = 0;

    function report(error) {
      post({ type: 'error', message: String((error && (error.stack || error.message)) || error) });
    }
    self.addEventListener('error', function (e) { report(e.error || e.message); });
    self.addEventListener('unhandledrejection', function (e) { report(e.reason); });

    // One of Shopify's BrowserLocalStorage / BrowserSessionStorage: the Web
    // Storage methods, each answering a Promise, run by the host page.
    function storage(area) {
      function method(op) {
        return function () {
          var args = Array.prototype.slice.call(arguments);
          return new Promise(function (resolve, reject) {
            var id = ++seq;
            pending[id] = [resolve, reject];
            post({ type: 'storage', id: id, area: area, op: op, args: args });
          });
        };
      }
      return {
        getItem: method('getItem'),
        setItem: method('setItem'),
        removeItem: method('removeItem'),
        key: method('key'),
        length: method('length'),
        clear: method('clear'),
      };
    }

    function call(callback, payload) {
      // Each subscriber alone: one that throws is reported, the others still run.
      try {
        callback(payload);
      } catch (error) {
        report(error);
      }
    }

    var api = {
      analytics: {
        subscribe: function (name, callback) {
          (subscribers[name] = subscribers[name] || []).push(callback);
          return function () {
            var list = subscribers[name] || [];
            var i = list.indexOf(callback);
            if (i >= 0) list.splice(i, 1);
            return i >= 0;
          };
        },
      },
      browser: {
        localStorage: storage('localStorage'),
        sessionStorage: storage('sessionStorage'),
      },
      init: init,
      settings: settings || {},
      customerPrivacy: {
        subscribe: function (name, callback) {
          if (name === 'visitorConsentCollected') consentSubscribers.push(callback);
          return function () { return true; };
        },
      },
    };

    function receive(message) {
      if (!message || typeof message !== 'object') return;
      if (message.type === 'storage-result') {
        var entry = pending[message.id];
        delete pending[message.id];
        if (entry) message.error ? entry[1](new Error(message.error)) : entry[0](message.value);
      } else if (message.type === 'event') {
        // The event as Shopify delivers it: name, data, context, id, timestamp…
        (subscribers[message.name] || []).slice().forEach(function (callback) { call(callback, message.event); });
        (subscribers.all_events || []).slice().forEach(function (callback) { call(callback, message.event); });
      } else if (message.type === 'consent') {
        consentSubscribers.slice().forEach(function (callback) {
          call(callback, { customerPrivacy: message.customerPrivacy });
        });
      }
    }

    return { api: api, receive: receive };
  };
})(self);
