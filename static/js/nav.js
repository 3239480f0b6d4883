// Phone menu (templates/base.html): the "Menu" button shows and hides the main navigation's links. On wide screens
// the button is hidden and the links form a bar; without JavaScript the links are simply listed (css/no-js.css).
(function () {
  "use strict";
  const toggle = document.querySelector("[data-nav-toggle]");
  const menu = toggle && document.getElementById(toggle.getAttribute("aria-controls"));
  if (!menu) return;
  const nav = toggle.closest("nav") || toggle.parentElement;
  const isOpen = function () { return toggle.getAttribute("aria-expanded") === "true"; };
  function setOpen(open) {
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  }
  toggle.addEventListener("click", function () { setOpen(!isOpen()); });
  // Escape closes the menu and puts focus back on its button.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !isOpen()) return;
    setOpen(false);
    if (nav.contains(document.activeElement)) toggle.focus();
  });
  // A tap elsewhere on the page, or Tab past the last link, closes it.
  document.addEventListener("click", function (event) {
    if (isOpen() && !nav.contains(event.target)) setOpen(false);
  });
  nav.addEventListener("focusout", function (event) {
    if (isOpen() && event.relatedTarget && !nav.contains(event.relatedTarget)) setOpen(false);
  });
})();
