// Idle logoff warning (AUTH-10): warn before the server's idle timeout, offer "Stay signed in".
(function () {
  "use strict";
  const body = document.body;
  const timeout = Number(body.dataset.idleTimeout || 0) * 1000;
  const warning = Number(body.dataset.idleWarning || 0) * 1000;
  // Time left when the page was served (the server stamps activity at most once a minute).
  const left = Number(body.dataset.idleLeft || body.dataset.idleTimeout || 0) * 1000;
  const dialog = document.getElementById("idle-dialog");
  if (!timeout || !dialog) return;
  let warnTimer, logoutTimer;
  function schedule(period) {
    clearTimeout(warnTimer);
    clearTimeout(logoutTimer);
    warnTimer = setTimeout(function () {
      if (!dialog.open) dialog.showModal();
      document.getElementById("idle-stay").focus();
    }, Math.max(period - warning, 0));
    logoutTimer = setTimeout(function () {
      // The server has already ended the session; reloading shows the sign-in page.
      window.location.reload();
    }, period + 1000);
  }
  document.getElementById("idle-stay").addEventListener("click", function () {
    fetch(body.dataset.keepAliveUrl, {
      method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": window.portal.csrfToken() },
    }).then(function (response) {
      if (response.ok) { dialog.close(); schedule(timeout); } else { window.location.reload(); }
    });
  });
  schedule(left);
})();
