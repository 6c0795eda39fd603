// The public directory: show each group's meeting time in the visitor's own time zone.
// The page already says it in the group's zone (rendered on the server); this only adds
// the visitor's view of the same moment, so nothing is lost without JavaScript.
(function () {
  "use strict";
  var visitorZone;
  try {
    visitorZone = new Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    return;
  }
  if (!visitorZone) { return; }
  var format = new Intl.DateTimeFormat(undefined, {
    weekday: "long", hour: "numeric", minute: "2-digit", timeZoneName: "short"
  });
  function rewrite() {
    var times = document.querySelectorAll("time[data-local-time]");
    Array.prototype.forEach.call(times, function (el) {
      if (el.getAttribute("data-zone") === visitorZone || el.hasAttribute("data-rewritten")) {
        return;
      }
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when.getTime())) { return; }
      var original = el.textContent;
      el.textContent = format.format(when) + " " + (el.getAttribute("data-your-time") || "");
      el.setAttribute("data-rewritten", "");
      var note = document.createElement("span");
      note.className = "muted slot-group-time";
      note.textContent = " (" + (el.getAttribute("data-group-time") || "") + " " + original + ")";
      el.parentNode.insertBefore(note, el.nextSibling);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", rewrite);
  } else {
    rewrite();
  }
})();
