// My check-ins: while a value is typed, show the change from the current value
// (read with the page's decimal and thousands separators), and count the rows
// that will be saved. The server checks everything again; this is only a guide.
(function () {
  "use strict";
  var form = document.querySelector("form[data-checkins]");
  if (!form) { return; }
  var dec = form.getAttribute("data-decimal") || ".";
  var grp = form.getAttribute("data-group") || ",";

  function parse(text) {
    var t = String(text || "").replace(/[\s\u00a0\u202f]/g, "").replace(/[^0-9.,\-\u2212]/g, "");
    if (!t) { return null; }
    t = t.split(grp).join("");
    if (t.split(dec).length > 2) { return null; }
    t = t.replace(dec, ".").replace("\u2212", "-");
    var n = Number(t);
    return isFinite(n) ? n : null;
  }
  function format(n) {
    var parts = Math.abs(n).toFixed(2).replace(/\.?0+$/, "").split(".");
    parts[0] = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, grp);
    return (n < 0 ? "\u2212" : "+") + parts.join(dec);
  }
  function update(card) {
    var input = card.querySelector(".ci-value input");
    var out = card.querySelector(".ci-delta");
    if (!input || !out) { return; }
    var now = parse(card.getAttribute("data-current"));
    var typed = parse(input.value);
    if (typed === null || now === null || input.value === input.defaultValue) { out.textContent = ""; return; }
    var change = typed - now;
    out.textContent = Math.abs(change) < 1e-12 ? "" : format(change);
  }
  function countDirty() {
    var n = 0;
    form.querySelectorAll(".ci-card").forEach(function (card) {
      var dirty = false;
      card.querySelectorAll("input, textarea, select").forEach(function (el) {
        if (el.type === "checkbox" || el.type === "hidden") { return; }
        if (el.tagName === "SELECT") {
          var opt = el.options[el.selectedIndex];
          if (opt && !opt.defaultSelected) { dirty = true; }
        } else if (el.value !== el.defaultValue) { dirty = true; }
      });
      card.classList.toggle("is-dirty", dirty);
      if (dirty) { n += 1; }
    });
    var status = form.querySelector(".savebar-status");
    if (status && n > 0) {
      status.textContent = (status.getAttribute("data-dirty-template") || "%(n)s").replace("%(n)s", String(n));
    }
  }
  form.addEventListener("input", function (event) {
    var card = event.target.closest && event.target.closest(".ci-card");
    if (card) { update(card); }
    countDirty();
  });
  form.addEventListener("change", countDirty);
})();
