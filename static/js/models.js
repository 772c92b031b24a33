// Models page: refresh one key or all (side by side), with the progress of each key until every
// requested listing has come back.
(function () {
  "use strict";
  const btn = document.getElementById("refresh-all");
  if (!btn) return;
  const csrf = document.querySelector("input[name=csrfmiddlewaretoken]").value;
  const box = document.getElementById("refresh-progress");
  const text = document.getElementById("refresh-text");
  const list = document.getElementById("refresh-keys");
  let timer = null;
  let pollStarted = 0;
  let requested = null; // key ids asked for, or null: every key that is refreshing
  let answered = true;   // the refresh request has come back (before that, "done" may be the old state)
  const seen = {};       // key id -> seen refreshing since the request
  const GIVE_UP_MS = 120000;

  function keyState(s) {
    if (s.refreshing) { seen[s.key_id] = true; return { cls: "", label: "refreshing\u2026" }; }
    if (!answered && !seen[s.key_id]) return { cls: "", label: "waiting\u2026" };
    if (s.stale || s.error) return { cls: "bad", label: "failed: " + (s.error || "no answer") };
    return { cls: "ok", label: "done: " + s.count + " model" + (s.count === 1 ? "" : "s") };
  }

  function showProgress(status) {
    const mine = status.filter(function (s) { return requested ? requested.indexOf(s.key_id) >= 0 : s.refreshing; });
    const busy = mine.filter(function (s) { return s.refreshing; });
    box.hidden = false;
    list.replaceChildren.apply(list, mine.map(function (s) {
      const state = keyState(s);
      const li = document.createElement("li");
      li.dataset.keyId = s.key_id;
      const dot = document.createElement("span");
      dot.className = s.refreshing ? "spinner" : "dot " + state.cls;
      const name = document.createElement("strong");
      name.textContent = s.name;
      li.append(dot, " ", name, ": " + state.label);
      const row = document.querySelector("#listings-table tr[data-key-id='" + s.key_id + "'] .listing-state");
      if (row) row.textContent = state.label;
      return li;
    }));
    if (!answered) {
      text.textContent = "Refreshing " + mine.length + " key" + (mine.length === 1 ? "" : "s") + " side by side\u2026";
      return;
    }
    if (!busy.length) {
      text.textContent = "Done. Reloading\u2026";
      clearInterval(timer);
      timer = null;
      window.location.reload();
      return;
    }
    text.textContent = "Refreshing " + busy.length + " of " + mine.length + " key" + (mine.length === 1 ? "" : "s") + " side by side\u2026";
  }
  function poll() {
    if (Date.now() - pollStarted > GIVE_UP_MS) {
      clearInterval(timer);
      timer = null;
      text.textContent = "Still refreshing after two minutes: the background worker may be down. The page shows the last good lists.";
      return;
    }
    fetch(btn.dataset.statusUrl, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (d) { if (timer) showProgress(d.status); })
      .catch(function () { text.textContent = "Lost contact with the server; retrying\u2026"; });
  }
  function startPolling() {
    if (!timer) { pollStarted = Date.now(); timer = setInterval(poll, 500); }
  }
  function refresh(keyId, button) {
    const body = new FormData();
    if (keyId) body.append("key_id", keyId);
    button.disabled = true;
    box.hidden = false;
    text.textContent = "Asking Vertex for the model lists\u2026";
    requested = keyId ? [Number(keyId)] : Array.prototype.map.call(
      document.querySelectorAll("#listings-table tr[data-key-id]"), function (tr) { return Number(tr.dataset.keyId); });
    if (!requested.length) requested = null;
    answered = false;
    // Without a background worker the answer comes when every refresh is done: poll meanwhile.
    startPolling();
    fetch(btn.dataset.url, { method: "POST", body: body, headers: { "X-CSRFToken": csrf }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (d) {
        answered = true;
        if (d.error) { clearInterval(timer); timer = null; text.textContent = d.error; button.disabled = false; return; }
        requested = d.queued;
        showProgress(d.status);
      })
      .catch(function (err) { clearInterval(timer); timer = null; text.textContent = "Refresh failed: " + err.message; button.disabled = false; });
  }
  const params = new URLSearchParams(window.location.search);
  btn.addEventListener("click", function () { refresh(params.get("key") || "", btn); });
  document.querySelectorAll(".refresh-key").forEach(function (b) {
    b.addEventListener("click", function () { refresh(b.dataset.keyId, b); });
  });
  if (btn.dataset.refreshing) { box.hidden = false; startPolling(); }
})();
