// Live lesson preview: posts the Markdown to the server, which returns nh3-sanitised HTML, and shows it.
// Without JavaScript the form's "Preview" button does the same with a full page load.
(function () {
  "use strict";
  const source = document.querySelector("[data-markdown-source]");
  const panel = document.getElementById("lesson-preview");
  const form = source && source.form;
  if (!source || !panel || !form || !panel.dataset.previewUrl) return;
  const status = document.getElementById("lesson-preview-status");
  let timer = null;
  let latest = 0;

  function refresh() {
    const ticket = ++latest;
    const body = new FormData();
    body.append("body", source.value);
    fetch(panel.dataset.previewUrl, {
      method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": window.portal.csrfToken() }, body: body,
    }).then(function (response) {
      return response.text().then(function (html) { return { ok: response.ok, html: html }; });
    }).then(function (result) {
      if (ticket !== latest) return; // an older answer arriving late
      // The server has already sanitised this HTML with the lesson allowlist (education/markdown.py).
      panel.innerHTML = result.html;
      if (status) status.textContent = result.ok ? "" : gettext("The preview could not be updated.");
    }).catch(function () {
      if (status) status.textContent = gettext("The preview could not be updated. Use the Preview button.");
    });
  }

  source.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  });
  panel.hidden = false;
  if (status) status.textContent = gettext("The preview updates as you type.");
})();
