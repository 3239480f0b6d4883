{% autoescape off %}// Family Portal service worker (family_portal/pwa.py). Served from /sw.js so its scope is the whole site.
// Cache Storage holds ONLY static files (/static/...) and the offline page: never a signed-in page, an API or JSON
// answer, or any navigation response. Navigations go to the network; only when the network fails is the offline
// page shown. Web push: "push" shows the payload's neutral title and text, a click opens its same-origin address.
"use strict";

const CONFIG = {{ config }};
const CACHE = "family-portal-static-" + CONFIG.version;

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      return cache.addAll(CONFIG.precache.map(function (url) {
        return new Request(url, { credentials: "same-origin", cache: "reload" });
      }));
    }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("family-portal-") === 0 && name !== CACHE;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function isStatic(url) {
  return url.origin === self.location.origin && url.pathname.indexOf(CONFIG.staticPrefix) === 0;
}

// Static files: answer from the cache when there, and refresh the copy from the network in the background.
function staticFile(request) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(request).then(function (cached) {
      const fresh = fetch(request).then(function (response) {
        if (response.ok && response.type === "basic") {
          cache.put(request, response.clone());
        }
        return response;
      });
      if (cached) {
        fresh.catch(function () { return null; });
        return cached;
      }
      return fresh;
    });
  });
}

// Pages: always the network, never stored; the offline page only when the network fails.
function navigation(request) {
  return fetch(request).catch(function () {
    return caches.open(CACHE).then(function (cache) {
      return cache.match(CONFIG.offlineUrl, { ignoreVary: true, ignoreSearch: true });
    }).then(function (offline) {
      return offline || Response.error();
    });
  });
}

self.addEventListener("fetch", function (event) {
  const request = event.request;
  if (request.method !== "GET") {
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(navigation(request));
    return;
  }
  const url = new URL(request.url);
  if (isStatic(url)) {
    event.respondWith(staticFile(request));
  }
  // Anything else (JSON, the JavaScript catalogue, WebSockets, other sites) is left to the browser, uncached.
});

function sameOriginUrl(value) {
  try {
    const url = new URL(value || "/", self.location.origin);
    return url.origin === self.location.origin ? url.href : self.location.origin + "/";
  } catch (error) {
    return self.location.origin + "/";
  }
}

self.addEventListener("push", function (event) {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (error) {
    data = {};
  }
  const title = typeof data.title === "string" && data.title ? data.title : "Family Portal";
  const options = {
    body: typeof data.body === "string" ? data.body : "",
    icon: CONFIG.icon,
    badge: CONFIG.icon,
    tag: typeof data.tag === "string" ? data.tag : "family-portal",
    lang: typeof data.lang === "string" ? data.lang : "",
    data: { url: sameOriginUrl(data.url) },
  };
  event.waitUntil(self.registration.showNotification(title, options));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  const target = sameOriginUrl(event.notification.data && event.notification.data.url);
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
      for (const client of windows) {
        if (client.url === target && "focus" in client) {
          return client.focus();
        }
      }
      return self.clients.openWindow(target);
    })
  );
});
{% endautoescape %}
