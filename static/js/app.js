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
