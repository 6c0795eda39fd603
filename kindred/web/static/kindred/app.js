// Small progressive enhancements; every page works without JavaScript.
(function () {
  "use strict";
  // Put focus on the first field with an error so keyboard and screen-reader users
  // land where the problem is.
  document.addEventListener("DOMContentLoaded", function () {
    var invalid = document.querySelector("[aria-invalid=true]");
    if (invalid) { invalid.focus(); }
  });
  // Buttons that ask before doing something irreversible: data-confirm="question".
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });
})();
