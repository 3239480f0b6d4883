// Reading-level hint for a progress summary as the counselor writes: posts the three parts and the language to the
// server, which measures them (education/readability.py) and returns the hint's HTML (escaped by the template).
// Without JavaScript the form's "Check reading level" button does the same with a full page load.
(function () {
  "use strict";
  const panel = document.getElementById("summary-reading");
  const form = panel && panel.closest("form");
  if (!panel || !form || !panel.dataset.readingUrl) return;
  const names = ["attendance", "working_on", "how_to_help", "language"];
  let timer = null;
  let latest = 0;

  function refresh() {
    const ticket = ++latest;
    const body = new FormData();
    names.forEach(function (name) {
      const field = form.elements.namedItem(name);
      if (field) body.append(name, field.value);
    });
    fetch(panel.dataset.readingUrl, {
      method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": window.portal.csrfToken() }, body: body,
    }).then(function (response) {
      return response.ok ? response.text() : null;
    }).then(function (html) {
      if (ticket !== latest || html === null) return; // an older answer arriving late, or an error: keep the last hint
      panel.innerHTML = html;
    }).catch(function () { /* keep the last hint; the Check button still works */ });
  }

  names.forEach(function (name) {
    const field = form.elements.namedItem(name);
    if (!field) return;
    field.addEventListener(name === "language" ? "change" : "input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 600);
    });
  });
})();
