/* Keeps "my week" and "my bookings" readable offline: network first, the last copy when offline.
   Only those pages and the static files are kept; the login page forgets the pages (app.js). */
"use strict";
var PAGES = "jiamenkou-pages";  // someone's own pages: the login page deletes it (app.js)
var STATIC = "jiamenkou-static-v1";
var OFFLINE_PAGES = [/^\/my\/week(\/[^/]+)?$/, /^\/my\/bookings$/];

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

function keepsOffline(url) {
  if (url.origin !== self.location.origin) return false;
  if (url.pathname.indexOf("/static/") === 0) return true;
  return OFFLINE_PAGES.some(function (pattern) { return pattern.test(url.pathname); });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || !keepsOffline(url)) return;
  event.respondWith(fetch(request).then(function (response) {
    if (response.ok && !response.redirected) {
      var copy = response.clone();
      var kept = url.pathname.indexOf("/static/") === 0 ? STATIC : PAGES;
      caches.open(kept).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(request).then(function (cached) {
      return cached || Response.error();
    });
  }));
});
