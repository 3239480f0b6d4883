// Scheduling pages: copy the calendar link and show only the place or video-link field that applies.
(function () {
  "use strict";

  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    var input = document.getElementById(button.getAttribute("data-copy-target"));
    var status = document.querySelector("[data-copy-status]");
    if (!input || !navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(input.value).then(function () {
        if (status) { status.textContent = gettext("Copied."); }
      }, function () {
        input.select();
        if (status) { status.textContent = gettext("Select the link and copy it."); }
      });
    });
  });

  var radios = document.querySelectorAll('input[name="modality"]');
  var location = document.getElementById("id_location");
  var joinUrl = document.getElementById("id_join_url");
  function groupOf(input) { return input ? input.closest("div") : null; }
  function sync() {
    var chosen = document.querySelector('input[name="modality"]:checked');
    if (!chosen || !location || !joinUrl) { return; }
    var video = chosen.value === "video";
    var locationGroup = groupOf(location);
    var joinGroup = groupOf(joinUrl);
    if (locationGroup) { locationGroup.hidden = video; }
    if (joinGroup) { joinGroup.hidden = !video; }
  }
  radios.forEach(function (radio) { radio.addEventListener("change", sync); });
  sync();

  // The "Repeat" part: the end choices only when the session repeats, and only the end field chosen.
  var frequency = document.getElementById("id_repeat-frequency");
  var endRadios = document.querySelectorAll('input[name="repeat-ends"]');
  function fieldOf(id) {
    var element = document.getElementById(id);
    return element ? element.closest(".field") : null;
  }
  function syncRepeat() {
    if (!frequency) { return; }
    var repeats = frequency.value !== "0" && frequency.value !== "";
    var ends = document.querySelector('input[name="repeat-ends"]:checked');
    var byDate = ends && ends.value === "until";
    var endsGroup = fieldOf("id_repeat-ends");
    var countGroup = fieldOf("id_repeat-count");
    var untilGroup = fieldOf("id_repeat-until");
    if (endsGroup) { endsGroup.hidden = !repeats; }
    if (countGroup) { countGroup.hidden = !repeats || byDate; }
    if (untilGroup) { untilGroup.hidden = !repeats || !byDate; }
  }
  if (frequency) { frequency.addEventListener("change", syncRepeat); }
  endRadios.forEach(function (radio) { radio.addEventListener("change", syncRepeat); });
  syncRepeat();
})();
