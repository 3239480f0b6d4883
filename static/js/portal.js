// Shared by every page, loaded first by templates/base.html (deferred scripts run in order): the "Print" buttons
// (no inline handlers under the CSP) and the CSRF token the other scripts send with fetch().
window.portal = (function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  // The token of the page's forms (every page a signed-in person sees has at least the sign-out form's).
  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  return { csrfToken: csrfToken };
})();
