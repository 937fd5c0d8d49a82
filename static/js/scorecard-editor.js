// Scorecard editor: live validation of weights, and each KPI's share of its perspective.
// The server checks everything again on save; this only tells the user before they press it.
(function () {
  "use strict";
  function messages() {
    var form = document.querySelector("form[data-weights]");
    var d = form ? form.dataset : {};
    return {
      invalid: d.msgInvalid || "A weight is a number, such as 1 or 2.5.",
      negative: d.msgNegative || "A weight cannot be negative.",
      max: d.msgMax || "A weight is at most 1000.",
      share: d.msgShare || "{share} of its perspective",
      zero: d.msgZero || "does not count"
    };
  }
  function parse(text) {
    var t = String(text).trim().replace(",", ".");
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return null;
    var n = Number(t);
    return isFinite(n) ? n : null;
  }
  function problem(input, msg) {
    var n = parse(input.value);
    if (n === null) return msg.invalid;
    if (n < 0) return msg.negative;
    if (n > 1000) return msg.max;
    return "";
  }
  function note(input) {
    var el = input.parentElement.querySelector("[data-weight-note]");
    if (!el) {
      el = document.createElement("small");
      el.setAttribute("data-weight-note", "");
      input.insertAdjacentElement("afterend", el);
    }
    return el;
  }
  function refresh() {
    var msg = messages();
    var inputs = Array.prototype.slice.call(document.querySelectorAll("input[data-weight]"));
    var totals = {};
    inputs.forEach(function (input) {
      var row = input.closest("[data-row]");
      var select = row ? row.querySelector("select") : null;
      if (!select) return;
      var n = parse(input.value);
      if (n !== null && n > 0) totals[select.value] = (totals[select.value] || 0) + n;
    });
    var bad = false;
    inputs.forEach(function (input) {
      var err = problem(input, msg);
      var el = note(input);
      if (err) {
        bad = true;
        input.setAttribute("aria-invalid", "true");
        el.className = "error-text";
        el.textContent = err;
        return;
      }
      input.removeAttribute("aria-invalid");
      el.className = "muted";
      var row = input.closest("[data-row]");
      var select = row ? row.querySelector("select") : null;
      if (!select) { el.textContent = ""; return; }
      var n = parse(input.value);
      var total = totals[select.value] || 0;
      el.textContent = n > 0 && total > 0 ? msg.share.replace("{share}", Math.round((100 * n) / total) + "%") : msg.zero;
    });
    document.querySelectorAll("form[data-weights] button[type=submit]:not([formaction])").forEach(function (b) {
      b.disabled = bad;
    });
  }
  document.addEventListener("input", function (e) {
    if (e.target.matches && (e.target.matches("input[data-weight]") || e.target.matches("[data-row] select"))) refresh();
  });
  document.addEventListener("change", function (e) {
    if (e.target.matches && e.target.matches("[data-row] select")) refresh();
  });
  document.addEventListener("DOMContentLoaded", refresh);
})();
