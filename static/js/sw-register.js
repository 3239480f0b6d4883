// Registers the service worker (/sw.js, family_portal/pwa.py) that makes the portal installable and shows web push
// notifications. It keeps only static files and the offline page; see templates/pwa/sw.js.
(function () {
  "use strict";
  const script = document.currentScript;
  if (!("serviceWorker" in navigator) || !script) {
    return;
  }
  const url = script.getAttribute("data-sw-url") || "/sw.js";
  window.addEventListener("load", function () {
    navigator.serviceWorker.register(url, { scope: "/" }).catch(function () {
      // Without a worker the portal works as a plain website.
    });
  });
})();
