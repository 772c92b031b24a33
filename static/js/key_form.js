// Key form: region note, instant credential check, deployments/allowed editors, live preview, Test connection.
(function () {
  "use strict";
  const form = document.getElementById("key-form");
  if (!form) return;
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;

  function post(url, body) {
    return fetch(url, { method: "POST", body: body, headers: { "X-CSRFToken": csrf }, credentials: "same-origin" });
  }

  // ---- region trade-off note
  const region = document.getElementById("id_region");
  const note = document.getElementById("region-note");
  const noteText = document.getElementById("region-note-text");
  const notes = JSON.parse(note.dataset.notes || "{}");
  function updateNote() {
    const v = region.value;
    noteText.textContent = v === "global" ? notes.global : (v === "us" || v === "eu") ? notes.multi : notes.regional;
  }
  region.addEventListener("change", function () { updateNote(); schedulePreview(); });
  updateNote();

  // ---- credentials: validated at once, then shown only as identity + fingerprint
  const cred = document.getElementById("id_credentials");
  const credFile = document.getElementById("id_credentials_file");
  const credStatus = document.getElementById("cred-status");
  const credIdentity = document.getElementById("cred-identity");
  const credInput = document.getElementById("cred-input");
  const useAdc = document.getElementById("id_use_adc");
  let credTimer = null;

  function showIdentity(data) {
    document.getElementById("cred-email").textContent = data.client_email;
    document.getElementById("cred-keyid").textContent = data.private_key_id;
    document.getElementById("cred-fp").textContent = data.fingerprint;
    document.getElementById("cred-project").textContent = data.project_id || "(not in the file)";
    credIdentity.hidden = false;
    credInput.hidden = true;
    const projectField = document.getElementById("id_project_id");
    if (data.project_id && !projectField.value) projectField.value = data.project_id;
  }

  function checkCredential() {
    const raw = cred.value.trim();
    if (!raw) { credStatus.textContent = ""; return; }
    const body = new FormData();
    body.append("credentials", raw);
    credStatus.textContent = "Checking\u2026";
    post(form.dataset.checkUrl, body).then(function (r) { return r.json(); }).then(function (data) {
      const fieldBox = cred.closest(".field");
      if (data.ok) {
        fieldBox.classList.remove("has-error");
        cred.removeAttribute("aria-invalid");
        credStatus.textContent = "Valid service account.";
        credStatus.classList.remove("field-error");
        useAdc.checked = false;
        showIdentity(data);
      } else {
        fieldBox.classList.add("has-error");
        cred.setAttribute("aria-invalid", "true");
        credStatus.textContent = data.error;
        credStatus.classList.add("field-error");
      }
    }).catch(function () { credStatus.textContent = "Could not check the credential; it will be checked on save."; });
  }
  cred.addEventListener("input", function () { clearTimeout(credTimer); credTimer = setTimeout(checkCredential, 400); });
  credFile.addEventListener("change", function () {
    const file = credFile.files[0];
    if (!file) return;
    file.text().then(function (text) { cred.value = text.trim(); credFile.value = ""; checkCredential(); });
  });
  document.getElementById("cred-replace").addEventListener("click", function () {
    cred.value = "";
    credIdentity.hidden = true;
    credInput.hidden = false;
    credStatus.textContent = "";
    cred.focus();
  });

  // ---- row editors
  function wireRow(row) {
    row.querySelector(".remove-row").addEventListener("click", function () {
      const body = row.parentElement;
      row.remove();
      refreshEmpty();
      schedulePreview();
      const next = body.querySelector("tr:not(.editor-empty) input");
      if (next) next.focus();
    });
    row.querySelectorAll("input, select").forEach(function (el) {
      el.addEventListener("input", schedulePreview);
      el.addEventListener("change", schedulePreview);
    });
  }
  function refreshEmpty() {
    document.getElementById("deployments-empty").hidden = !!document.querySelector("#deployment-rows .deployment-row");
    document.getElementById("allowed-empty").hidden = !!document.querySelector("#allowed-rows .allowed-row");
  }
  function addRow(templateId, bodyId, emptyId) {
    const tpl = document.getElementById(templateId);
    const row = tpl.content.firstElementChild.cloneNode(true);
    const body = document.getElementById(bodyId);
    body.insertBefore(row, document.getElementById(emptyId));
    wireRow(row);
    refreshEmpty();
    row.querySelector("input").focus();
    return row;
  }
  document.querySelectorAll(".deployment-row, .allowed-row").forEach(wireRow);
  document.getElementById("add-deployment").addEventListener("click", function () {
    addRow("deployment-row-template", "deployment-rows", "deployments-empty");
  });
  document.getElementById("add-allowed").addEventListener("click", function () {
    addRow("allowed-row-template", "allowed-rows", "allowed-empty");
  });
  // Picking a suggested target fills an empty alias with the model's base name.
  document.getElementById("deployment-rows").addEventListener("change", function (ev) {
    if (ev.target.name !== "dep_target") return;
    const alias = ev.target.closest("tr").querySelector("input[name=dep_alias]");
    if (!alias.value.trim() && ev.target.value.trim()) alias.value = ev.target.value.trim().split("@")[0];
  });

  // ---- live preview of the merged model list
  const preview = document.getElementById("preview");
  const spinner = document.getElementById("preview-spinner");
  let previewTimer = null;
  let previewSeq = 0;
  function schedulePreview() { clearTimeout(previewTimer); previewTimer = setTimeout(loadPreview, 300); }
  function loadPreview() {
    const body = new FormData();
    body.append("key_id", form.dataset.keyId || "");
    body.append("region", region.value);
    body.append("project_id", document.getElementById("id_project_id").value);
    form.querySelectorAll("[name=dep_alias],[name=dep_target],[name=dep_region],[name=allowed]").forEach(function (el) {
      body.append(el.name, el.value);
    });
    const seq = ++previewSeq;
    spinner.hidden = false;
    post(form.dataset.previewUrl, body).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.text();
    }).then(function (html) {
      if (seq === previewSeq) preview.innerHTML = html;
    }).catch(function (err) {
      if (seq === previewSeq) preview.textContent = "The preview could not be computed (" + err.message + ").";
    }).finally(function () { if (seq === previewSeq) spinner.hidden = true; });
  }
  loadPreview();

  // ---- Test connection
  const testBtn = document.getElementById("test-connection");
  const testOut = document.getElementById("test-result");
  if (testBtn) {
    testBtn.addEventListener("click", function () {
      testBtn.disabled = true;
      testOut.hidden = false;
      testOut.className = "alert info";
      testOut.textContent = "Minting a token and listing models\u2026";
      const body = new FormData();
      body.append("key_id", form.dataset.keyId || "");
      ["project_id", "project_number", "region", "credentials"].forEach(function (name) {
        body.append(name, form.elements[name].value);
      });
      if (useAdc.checked) body.append("use_adc", "on");
      post(testBtn.dataset.url, body).then(function (r) { return r.json(); }).then(function (d) {
        testOut.replaceChildren();
        const title = document.createElement("strong");
        const detail = document.createElement("div");
        if (d.ok) {
          testOut.className = "alert ok";
          title.textContent = "Connection works. ";
          detail.textContent = "Token obtained" + (d.token_latency_ms != null ? " in " + Math.round(d.token_latency_ms) + " ms" : "") +
            "; List Models answered " + d.list_status + " in " + Math.round(d.list_latency_ms || 0) + " ms with " +
            d.model_count + " custom model" + (d.model_count === 1 ? "" : "s") + ".";
        } else {
          testOut.className = "alert bad";
          title.textContent = d.fields ? "Fix these first. " : d.token_ok ? "Token minted, but listing models failed. " : "No token could be minted. ";
          detail.textContent = (d.list_status ? "HTTP " + d.list_status + ": " : "") + (d.error || "Unknown error");
          detail.className = "mono";
        }
        testOut.append(title, detail);
      }).catch(function (err) {
        testOut.className = "alert bad";
        testOut.textContent = "The test could not run: " + err.message;
      }).finally(function () { testBtn.disabled = false; });
    });
  }

  // ---- delete confirmation
  const del = document.getElementById("delete-form");
  if (del) del.addEventListener("submit", function (ev) { if (!window.confirm(del.dataset.confirm)) ev.preventDefault(); });

  // Move focus to the first field with an error after a refused save.
  const firstInvalid = form.querySelector("[aria-invalid=true]");
  if (firstInvalid) firstInvalid.focus();
})();
