// The account page's "Notifications on this device" section (notifications/push_views.py): turning push on asks
// the browser's permission, subscribes with the portal's VAPID public key and posts the subscription; turning it
// off unsubscribes and tells the portal. A subscription the browser still has is posted again on each visit, so
// it follows the current sign-in (signing out of a device removes it on the server).
(function () {
  "use strict";
  const section = document.querySelector("[data-push]");
  if (!section) {
    return;
  }
  const onButton = section.querySelector("[data-push-on]");
  const offButton = section.querySelector("[data-push-off]");

  function show(state) {
    section.querySelectorAll("[data-push-state]").forEach(function (element) {
      element.hidden = element.getAttribute("data-push-state") !== state;
    });
    onButton.hidden = !(state === "off" || state === "error" || state === "blocked");
    offButton.hidden = state !== "on";
  }

  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    show("unsupported");
    return;
  }

  function applicationServerKey(base64url) {
    const base64 = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    const raw = window.atob(base64);
    const bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) {
      bytes[i] = raw.charCodeAt(i);
    }
    return bytes;
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": window.portal.csrfToken() },
      body: JSON.stringify(body),
    }).then(function (response) {
      if (!response.ok) {
        throw new Error("push endpoint answered " + response.status);
      }
    });
  }

  function current() {
    return navigator.serviceWorker.ready.then(function (registration) {
      return registration.pushManager.getSubscription().then(function (subscription) {
        return { registration: registration, subscription: subscription };
      });
    });
  }

  function refresh() {
    return current().then(function (found) {
      if (found.subscription) {
        return post(section.getAttribute("data-subscribe-url"), found.subscription.toJSON()).then(function () {
          show("on");
        });
      }
      show(Notification.permission === "denied" ? "blocked" : "off");
    });
  }

  onButton.addEventListener("click", function () {
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") {
        show("blocked");
        return null;
      }
      return current().then(function (found) {
        return found.subscription || found.registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: applicationServerKey(section.getAttribute("data-vapid-key")),
        });
      }).then(function (subscription) {
        return post(section.getAttribute("data-subscribe-url"), subscription.toJSON());
      }).then(function () {
        show("on");
      });
    }).catch(function () { show("error"); });
  });

  offButton.addEventListener("click", function () {
    current().then(function (found) {
      if (!found.subscription) {
        return null;
      }
      const endpoint = found.subscription.endpoint;
      return found.subscription.unsubscribe().then(function () {
        return post(section.getAttribute("data-unsubscribe-url"), { endpoint: endpoint });
      });
    }).then(function () { show("off"); }).catch(function () { show("error"); });
  });

  refresh().catch(function () { show("error"); });
})();
