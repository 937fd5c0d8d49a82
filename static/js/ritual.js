// The cycle report's print button (no inline script: the content security policy forbids it).
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-print]");
  if (button) { window.print(); }
});
// The close review answers a refused grade or retrospective with 400 and the objective's block,
// its message next to the field and what was typed kept: show it (htmx leaves 4xx unswapped).
document.addEventListener("htmx:beforeSwap", function (event) {
  var target = event.detail.target;
  if (event.detail.xhr.status === 400 && target && target.closest && target.closest(".close-objective")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
