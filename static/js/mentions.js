// "@" and part of a name in a comment or check-in note field (marked data-mentions) offers the
// organisation's matching members in a listbox under the field: arrows move, Enter or Tab
// picks, Escape closes, a click picks too. The pick writes "@Their Name"; the server stores it
// as the member's id, so the mention survives a rename. Without JavaScript "@Their Name" or
// "@their e-mail" typed by hand works the same.
(function () {
  "use strict";
  var TRIGGER = /(?:^|[\s(])@([^\s@]{0,30}(?: [^\s@]{1,30})?)$/;
  var seq = 0;

  function endpoint() {
    var m = window.location.pathname.match(/^\/o\/([^/]+)\//);
    return m ? "/o/" + m[1] + "/people/mention/" : null;
  }

  function setup(field) {
    if (field.dataset.mentionsReady) { return; }
    field.dataset.mentionsReady = "1";
    if (!field.id) { field.id = "mention-field-" + Math.random().toString(36).slice(2); }
    var list = document.createElement("ul");
    list.id = field.id + "-mentions";
    list.className = "mention-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", field.dataset.mentionsLabel || "@");
    list.hidden = true;
    field.insertAdjacentElement("afterend", list);
    field.setAttribute("aria-autocomplete", "list");
    field.setAttribute("aria-controls", list.id);
    var state = { start: -1, active: -1, people: [], timer: null };

    function close() {
      list.hidden = true;
      list.innerHTML = "";
      state.people = [];
      state.active = -1;
      field.removeAttribute("aria-activedescendant");
    }
    function highlight(index) {
      var options = list.querySelectorAll("[role=option]");
      if (!options.length) { return; }
      state.active = (index + options.length) % options.length;
      options.forEach(function (o, i) { o.setAttribute("aria-selected", i === state.active ? "true" : "false"); });
      var current = options[state.active];
      field.setAttribute("aria-activedescendant", current.id);
      current.scrollIntoView({ block: "nearest" });
    }
    function pick(index) {
      var person = state.people[index];
      if (!person || state.start < 0) { return; }
      var caret = field.selectionStart;
      var before = field.value.slice(0, state.start) + "@" + person.name + " ";
      field.value = before + field.value.slice(caret);
      field.setSelectionRange(before.length, before.length);
      close();
      field.dispatchEvent(new Event("input", { bubbles: true }));
      field.focus();
    }
    function show(people) {
      list.innerHTML = "";
      state.people = people;
      if (!people.length) { close(); return; }
      people.forEach(function (p, i) {
        var li = document.createElement("li");
        li.id = field.id + "-mention-" + p.id;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.textContent = p.name;
        li.addEventListener("mousedown", function (event) { event.preventDefault(); pick(i); });
        list.appendChild(li);
      });
      list.hidden = false;
      highlight(0);
    }
    function lookup() {
      var url = endpoint();
      var text = field.value.slice(0, field.selectionStart);
      var m = text.match(TRIGGER);
      if (!url || !m) { close(); return; }
      state.start = text.length - m[1].length - 1;
      var mine = ++seq;
      fetch(url + "?q=" + encodeURIComponent(m[1]), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { people: [] }; })
        .then(function (data) { if (mine === seq) { show(data.people || []); } })
        .catch(close);
    }
    field.addEventListener("input", function () {
      clearTimeout(state.timer);
      state.timer = setTimeout(lookup, 120);
    });
    field.addEventListener("keydown", function (event) {
      if (list.hidden) { return; }
      if (event.key === "ArrowDown") { event.preventDefault(); highlight(state.active + 1); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight(state.active - 1); }
      else if (event.key === "Enter" || event.key === "Tab") { event.preventDefault(); pick(state.active); }
      else if (event.key === "Escape") { event.preventDefault(); event.stopPropagation(); close(); }
    });
    field.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  function setupAll(root) { (root || document).querySelectorAll("[data-mentions]").forEach(setup); }
  document.addEventListener("htmx:afterSwap", function (event) { setupAll(event.target); });
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", function () { setupAll(); }); } else { setupAll(); }
})();
