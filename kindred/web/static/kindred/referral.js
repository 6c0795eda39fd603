// Referral forms: the "which offices could you get to" question matters only to someone
// who would meet in person (or either way), so it is hidden while "by video" is chosen.
// Without JavaScript it is always shown (and the service ignores it for video only).
(function () {
  "use strict";
  function update(form) {
    var chosen = form.querySelector("input[name=preferred_modality]:checked");
    var value = chosen ? chosen.value : "";
    form.querySelectorAll("[data-shown-for-modality]").forEach(function (block) {
      var wanted = block.getAttribute("data-shown-for-modality").split(" ");
      block.hidden = value !== "" && wanted.indexOf(value) === -1;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.referral-form").forEach(function (form) {
      update(form);
      form.addEventListener("change", function (event) {
        if (event.target && event.target.name === "preferred_modality") { update(form); }
      });
    });
  });
})();
