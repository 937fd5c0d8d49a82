// The installed app: registers the service worker (/sw.js, scope "/"), and on My
// check-ins keeps check-ins typed offline in this browser (localStorage), then sends
// them once when the connection is back, each with the version of the key result it
// was typed against, so the server refuses to overwrite a newer check-in and the page
// shows what was saved and what was not.
(function () {
  "use strict";
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", {scope: "/"}).catch(function () { /* no offline shell */ });
  }
  var form = document.querySelector("form[data-checkins]");
  if (!form || !window.localStorage || !window.fetch) { return; }
  var base = location.pathname.replace(/\/$/, "") + "/offline/";
  var QUEUE = "okrkpi.queue:" + base, VERSIONS = "okrkpi.versions:" + base;
  var text = document.getElementById("pwa-text") || document.createElement("div");
  var flushing = false;

  function read(key, fallback) {
    try { return JSON.parse(localStorage.getItem(key) || "") || fallback; } catch (e) { return fallback; }
  }
  function write(key, value) { localStorage.setItem(key, JSON.stringify(value)); }
  function csrf() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; } catch (e) { return ""; }
  }
  function banner(message) {
    var el = form.querySelector(".offline-banner");
    if (!el) {
      el = document.createElement("p");
      el.className = "offline-banner";
      el.setAttribute("role", "status");
      form.insertBefore(el, form.firstChild);
    }
    el.textContent = message;
  }
  function loadVersions() {
    if (!navigator.onLine) { return; }
    fetch(base, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data && data.versions) { write(VERSIONS, data.versions); } })
      .catch(function () { /* offline: keep the versions already kept */ });
  }
  function changedRows() {
    var versions = read(VERSIONS, {});
    var items = [];
    form.querySelectorAll(".ci-card[id^='ci-']").forEach(function (card) {
      var pk = card.id.slice(3);
      function field(name) { return form.querySelector("[name='kr" + pk + "-" + name + "']"); }
      var value = field("value"), conf = field("confidence"), note = field("note"), confirm = field("confirm");
      function changed(el) {
        if (!el) { return false; }
        if (el.tagName === "SELECT") { var o = el.options[el.selectedIndex]; return !!o && !o.defaultSelected; }
        return el.value !== el.defaultValue;
      }
      if (!(changed(value) || changed(conf) || changed(note))) { return; }
      items.push({
        key_result: Number(pk), value: value ? value.value : "", confidence: conf ? conf.value : "",
        note: note ? note.value : "", confirm: !!(confirm && confirm.checked),
        seen: Object.prototype.hasOwnProperty.call(versions, pk) ? versions[pk] : null
      });
    });
    return items;
  }
  function show(html) {
    var dialog = document.createElement("dialog");
    dialog.className = "offline-dialog";
    dialog.innerHTML = html;
    var close = document.createElement("button");
    close.type = "button";
    close.textContent = text.getAttribute("data-close") || "OK";
    close.addEventListener("click", function () { location.reload(); });
    dialog.appendChild(close);
    document.body.appendChild(dialog);
    if (dialog.showModal) { dialog.showModal(); } else { dialog.setAttribute("open", ""); }
  }
  function flush() {
    var queue = read(QUEUE, []);
    if (flushing || !queue.length || !navigator.onLine) { return; }
    flushing = true;
    var batch = queue[0];
    fetch(base, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf(), "Accept": "application/json"},
      body: JSON.stringify(batch)
    }).then(function (r) {
      if (r.status >= 500) { throw new Error("server"); }
      // Answered (saved, refused or a conflict): never send this batch again.
      write(QUEUE, read(QUEUE, []).filter(function (b) { return b.key !== batch.key; }));
      return r.json().catch(function () { return {}; });
    }).then(function (data) {
      flushing = false;
      if (data && data.html) { show(data.html); }
      flush();
    }).catch(function () { flushing = false; });
  }
  form.addEventListener("submit", function (event) {
    if (navigator.onLine) { return; }
    event.preventDefault();
    var items = changedRows();
    if (!items.length) { return; }
    var queue = read(QUEUE, []);
    var key = (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random();
    queue.push({key: key, items: items});
    write(QUEUE, queue);
    banner(text.getAttribute("data-queued") || "Kept on this device; sent when you are back online.");
  }, true);
  window.addEventListener("online", flush);
  loadVersions();
  flush();

  // Web push: offered on My check-ins when the server has VAPID keys and the browser can.
  var vapid = text.getAttribute("data-vapid");
  if (!vapid || !("serviceWorker" in navigator) || !("PushManager" in window) || Notification.permission === "denied") {
    return;
  }
  function key(b64) {
    var raw = atob((b64 + "===".slice((b64.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(raw, function (c) { return c.charCodeAt(0); });
  }
  var button = document.createElement("button");
  button.type = "button";
  button.className = "secondary outline small push-subscribe";
  button.textContent = text.getAttribute("data-push") || "Reminders on this device";
  button.addEventListener("click", function () {
    navigator.serviceWorker.ready.then(function (registration) {
      return registration.pushManager.subscribe({userVisibleOnly: true, applicationServerKey: key(vapid)});
    }).then(function (subscription) {
      var slug = location.pathname.split("/")[2];
      return fetch("/push/subscriptions/", {
        method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRFToken": csrf()},
        body: JSON.stringify({org: slug, subscription: subscription.toJSON()})
      });
    }).then(function (r) { if (r.ok) { button.disabled = true; button.textContent = text.getAttribute("data-push-on") || "On"; } })
      .catch(function () { /* permission refused: nothing to store */ });
  });
  form.parentNode.insertBefore(button, form);
})();
