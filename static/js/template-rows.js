// The template page's key-result rows: add one (up to the formset's maximum) or remove one in
// place. Rows are renumbered so the formset's names stay kr-0…kr-n and TOTAL_FORMS counts them.
// Without JavaScript the rows the template brought stay, and clearing a title leaves one out.
(function () {
  "use strict";
  function renumber(body, total) {
    var rows = body.querySelectorAll("tr.kr-row");
    rows.forEach(function (row, index) {
      row.querySelectorAll("[name], [id], label[for]").forEach(function (el) {
        ["name", "id", "for"].forEach(function (attr) {
          var value = el.getAttribute(attr);
          if (value) { el.setAttribute(attr, value.replace(/kr-(\d+|__prefix__)-/, "kr-" + index + "-")); }
        });
      });
    });
    total.value = rows.length;
    return rows.length;
  }
  function sync(add, body, total) {
    var count = renumber(body, total);
    add.hidden = count >= parseInt(add.dataset.max || "5", 10);
    body.querySelectorAll(".kr-remove").forEach(function (b) { b.disabled = count <= 1; });
  }
  function start() {
    var add = document.getElementById("kr-add");
    var body = document.getElementById("kr-rows");
    var template = document.getElementById("kr-row-template");
    var total = document.querySelector("input[name=kr-TOTAL_FORMS]");
    if (!add || !body || !template || !total) { return; }
    add.addEventListener("click", function () {
      body.appendChild(template.content.cloneNode(true));
      sync(add, body, total);
      var rows = body.querySelectorAll("tr.kr-row");
      var first = rows[rows.length - 1].querySelector("input[type=text], input:not([type])");
      if (first) { first.focus(); }
    });
    body.addEventListener("click", function (event) {
      var button = event.target.closest(".kr-remove");
      if (!button) { return; }
      var row = button.closest("tr.kr-row");
      var next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      sync(add, body, total);
      var focus = next && next.querySelector("input");
      (focus || add).focus();
    });
    sync(add, body, total);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
