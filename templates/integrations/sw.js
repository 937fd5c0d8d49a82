/* okrkpi's service worker ({{ version }}): keeps the app's shell for offline use, shows
   the offline page when a page cannot be reached, and shows push reminders. Check-ins
   typed offline are queued by the page itself (static/js/pwa.js), not here. */
"use strict";
var CACHE = "okrkpi-shell-{{ version }}";
var PAGES = "okrkpi-pages";
var SHELL = {{ shell_json|safe }};
var OFFLINE = "{{ offline_url }}";

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(SHELL); }).then(function () {
    return self.skipWaiting();
  }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n.indexOf("okrkpi-shell-") === 0 && n !== CACHE; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || url.pathname.indexOf("/api/") === 0) { return; }
  if (request.mode === "navigate") {
    // Pages: the network first; the last copy of a page (My check-ins) or the offline page when it fails.
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok && url.pathname.indexOf("/check-ins/") !== -1) {
        var copy = response.clone();
        caches.open(PAGES).then(function (cache) { cache.put(request, copy); });
      }
      return response;
    }).catch(function () {
      return caches.match(request).then(function (hit) { return hit || caches.match(OFFLINE); });
    }));
    return;
  }
  if (SHELL.indexOf(url.pathname) !== -1) {
    event.respondWith(caches.match(request).then(function (hit) { return hit || fetch(request); }));
  }
});

self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {body: event.data && event.data.text()}; }
  event.waitUntil(self.registration.showNotification(data.title || "okrkpi", {
    body: data.body || "", tag: data.tag || undefined, data: {url: data.url || "/"}, icon: SHELL[SHELL.length - 2]
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var target = (event.notification.data && event.notification.data.url) || "/";
  event.waitUntil(self.clients.openWindow(target));
});
