// Small progressive enhancements; every page works without JavaScript.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("[data-autosubmit]") && el.form) { el.form.submit(); }
  });
  // Close an open dropdown when clicking elsewhere.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.dropdown[open]").forEach(function (d) {
      if (!d.contains(event.target)) { d.removeAttribute("open"); }
    });
  });
  // Confirm destructive htmx actions that carry data-confirm.
  document.addEventListener("htmx:confirm", function (event) {
    var msg = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (msg) { event.preventDefault(); if (window.confirm(msg)) { event.detail.issueRequest(); } }
  });
})();
// Forms that ask before submitting (data-confirm-form="question").
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute && form.getAttribute("data-confirm-form");
  if (question && !window.confirm(question)) { event.preventDefault(); }
});
// Buttons that print the page (data-print): the print stylesheet makes the report.
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-print]");
  if (button) { event.preventDefault(); window.print(); }
});
// A table wider than the screen scrolls inside its frame: when nothing in it takes the focus,
// the frame does (named after the table's caption), so the keyboard can scroll it too.
(function () {
  "use strict";
  var FOCUSABLE = "a[href], button, input, select, textarea, summary, [tabindex]";
  function frame() {
    document.querySelectorAll(".table-wrap").forEach(function (wrap) {
      var scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
      if (scrolls && !wrap.querySelector(FOCUSABLE)) {
        var caption = wrap.querySelector("caption");
        wrap.tabIndex = 0;
        wrap.setAttribute("role", "region");
        if (caption) { wrap.setAttribute("aria-label", caption.textContent.trim()); }
      } else if (!scrolls && wrap.getAttribute("role") === "region") {
        wrap.removeAttribute("tabindex");
        wrap.removeAttribute("role");
        wrap.removeAttribute("aria-label");
      }
    });
  }
  document.addEventListener("DOMContentLoaded", frame);
  document.addEventListener("htmx:afterSettle", frame);
  var pending = null;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(frame, 200);
  });
})();
