// Forms that fit what is chosen: the owner pickers follow the owner type, and a
// milestone key result asks for no unit, start or target. Without JavaScript
// every field shows and the server ignores the ones that do not apply.
(function () {
  "use strict";
  function toggle(form, name, show) {
    var wrap = form.querySelector(".field-" + name);
    if (wrap) { wrap.hidden = !show; }
  }
  function sync(form) {
    var type = form.querySelector("input[name=owner_type]:checked");
    if (type) {
      toggle(form, "owner_team", type.value === "team");
      toggle(form, "owner_user", type.value === "person");
    }
    var kind = form.querySelector("select[name=kind]");
    if (kind) {
      var milestone = kind.value === "milestone";
      ["unit", "start_value", "target_value", "kpi"].forEach(function (name) { toggle(form, name, !milestone); });
      var unit = form.querySelector("input[name=unit]");
      if (unit) { unit.placeholder = kind.value === "percent" ? "%" : (kind.value === "currency" ? "VND" : ""); }
    }
  }
  function syncAll() { document.querySelectorAll("form").forEach(sync); }
  document.addEventListener("change", function (event) { if (event.target.form) { sync(event.target.form); } });
  document.addEventListener("htmx:afterSwap", syncAll);
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", syncAll); } else { syncAll(); }
})();
