// Models page: refresh one key or all, show progress until every requested listing has come back.
(function () {
  "use strict";
  const btn = document.getElementById("refresh-all");
  if (!btn) return;
  const csrf = document.querySelector("input[name=csrfmiddlewaretoken]").value;
  const box = document.getElementById("refresh-progress");
  const text = document.getElementById("refresh-text");
  let timer = null;
  let pollStarted = 0;
  const GIVE_UP_MS = 120000;

  function showProgress(status) {
    const busy = status.filter(function (s) { return s.refreshing; });
    if (!busy.length) {
      text.textContent = "Done. Reloading\u2026";
      clearInterval(timer);
      timer = null;
      window.location.reload();
      return;
    }
    box.hidden = false;
    text.textContent = "Refreshing " + busy.map(function (s) { return s.name; }).join(", ") + "\u2026";
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
      .then(function (d) { showProgress(d.status); })
      .catch(function () { text.textContent = "Lost contact with the server; retrying\u2026"; });
  }
  function refresh(keyId, button) {
    const body = new FormData();
    if (keyId) body.append("key_id", keyId);
    button.disabled = true;
    box.hidden = false;
    text.textContent = "Asking Vertex for the model lists\u2026";
    fetch(btn.dataset.url, { method: "POST", body: body, headers: { "X-CSRFToken": csrf }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (d) {
        if (d.error) { text.textContent = d.error; button.disabled = false; return; }
        showProgress(d.status);
        if (!timer) { pollStarted = Date.now(); timer = setInterval(poll, 1000); }
      })
      .catch(function (err) { text.textContent = "Refresh failed: " + err.message; button.disabled = false; });
  }
  const params = new URLSearchParams(window.location.search);
  btn.addEventListener("click", function () { refresh(params.get("key") || "", btn); });
  document.querySelectorAll(".refresh-key").forEach(function (b) {
    b.addEventListener("click", function () { refresh(b.dataset.keyId, b); });
  });
  if (btn.dataset.refreshing) { box.hidden = false; pollStarted = Date.now(); timer = setInterval(poll, 1000); }
})();
