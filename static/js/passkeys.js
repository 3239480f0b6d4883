// Passkey buttons (allauth's static/mfa/js/webauthn.js) report a failure as an "allauth.error" event: a cancelled
// prompt, no passkey for this site on this device, a browser without passkeys. Say so in the page's alert line
// (templates/mfa/webauthn/snippets/scripts.html) instead of only in the console.
(function () {
  "use strict";
  document.addEventListener("allauth.error", function (event) {
    const line = document.querySelector("[data-passkey-error]");
    if (!line) { return; }
    event.preventDefault();
    line.textContent = gettext("The passkey did not work. Try again, or use another way to sign in.");
    line.hidden = false;
  });
})();
