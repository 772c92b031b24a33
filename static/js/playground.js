// Playground: multi-turn chat, streamed answers, route/latency/usage beside each answer, compare two models.
(function () {
  "use strict";
  const root = document.getElementById("playground");
  if (!root) return;
  const csrf = document.querySelector("input[name=csrfmiddlewaretoken]").value;
  const $ = function (id) { return document.getElementById(id); };
  const modelSel = $("pg-model"), model2Sel = $("pg-model2"), compare = $("pg-compare");
  const panesBox = $("panes"), input = $("pg-input"), sendBtn = $("pg-send");
  let panes = [];
  let busy = 0;
  let aborter = null;
  const stopBtn = $("pg-stop");

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  function ms(v) { return v == null ? "\u2013" : (v >= 1000 ? (v / 1000).toFixed(2) + " s" : Math.round(v) + " ms"); }

  function makePane(model) {
    const node = $("pane-template").content.firstElementChild.cloneNode(true);
    const pane = { model: model, history: [], node: node, lastRequest: null };
    node.querySelector(".pane-model").textContent = model;
    node.querySelector(".copy-curl").addEventListener("click", function () { copySnippet(pane, "curl"); });
    node.querySelector(".copy-python").addEventListener("click", function () { copySnippet(pane, "python"); });
    node.querySelector(".copy-anthropic").addEventListener("click", function () { copySnippet(pane, "anthropic"); });
    node.querySelector(".copy-claude-code").addEventListener("click", function () { copySnippet(pane, "claude-code"); });
    return pane;
  }

  function resetPanes() {
    panes = [makePane(modelSel.value)];
    if (compare.checked) panes.push(makePane(model2Sel.value));
    panesBox.replaceChildren.apply(panesBox, panes.map(function (p) { return p.node; }));
    panesBox.classList.toggle("compare", panes.length > 1);
  }

  function syncPaneModels() {
    // Changing the model keeps the conversation; the next answer comes from the new model.
    if (!panes.length) return resetPanes();
    if (compare.checked !== (panes.length > 1)) return resetPanes();
    panes[0].model = modelSel.value;
    panes[0].node.querySelector(".pane-model").textContent = modelSel.value;
    if (panes[1]) {
      panes[1].model = model2Sel.value;
      panes[1].node.querySelector(".pane-model").textContent = model2Sel.value;
    }
  }
  const full1 = $("pg-model-full"), full2 = $("pg-model2-full");
  modelSel.addEventListener("change", function () { showFullName(modelSel, full1); syncPaneModels(); });
  model2Sel.addEventListener("change", function () { showFullName(model2Sel, full2); syncPaneModels(); });
  showFullName(modelSel, full1);
  showFullName(model2Sel, full2);
  compare.addEventListener("change", function () { $("pg-model2-field").hidden = !compare.checked; resetPanes(); });
  // Pinning a key: only the models that key serves stay selectable.
  function filterByKey() {
    const keyId = $("pg-key").value;
    [modelSel, model2Sel].forEach(function (sel) {
      Array.prototype.forEach.call(sel.options, function (opt) {
        const served = !keyId || (" " + opt.dataset.keys + " ").indexOf(" " + keyId + " ") >= 0;
        opt.disabled = !served;
        opt.hidden = !served;
      });
      if (sel.selectedOptions[0] && sel.selectedOptions[0].disabled) {
        const first = Array.prototype.find.call(sel.options, function (o) { return !o.disabled; });
        if (first) sel.value = first.value;
      }
      showFullName(sel, sel === modelSel ? full1 : full2);
    });
    syncPaneModels();
  }
  $("pg-key").addEventListener("change", filterByKey);
  $("new-chat").addEventListener("click", function () { resetPanes(); input.focus(); });

  function addMessage(pane, role, text) {
    const transcript = pane.node.querySelector(".transcript");
    const empty = transcript.querySelector(".pane-empty");
    if (empty) empty.remove();
    const m = el("div", "msg " + role);
    m.append(el("span", "who", role === "user" ? "You" : role === "assistant" ? pane.model : "Error"), el("span", "body", text));
    transcript.append(m);
    transcript.scrollTop = transcript.scrollHeight;
    return m;
  }

  function showFieldErrors(errors) {
    document.querySelectorAll("[id^=err-]").forEach(function (e) { e.hidden = true; e.textContent = ""; });
    Object.keys(errors || {}).forEach(function (name) {
      const target = $("err-" + name) || $("err-messages");
      target.textContent = errors[name];
      target.hidden = false;
    });
  }

  function routeText(route, attempts, failovers) {
    // A failed call may have no route (refused before any key was tried) or only attempts.
    const last = attempts.length ? attempts[attempts.length - 1] : {};
    const key = route.key_name || last.key_name || last.key_id;
    const region = route.region || last.region;
    if (!key && !region) return "none: no key was tried";
    return [key, region].filter(Boolean).join(" \u00b7 ") +
      (failovers ? " (" + failovers + " failover" + (failovers > 1 ? "s" : "") + ")" : "");
  }

  function renderRoute(pane, d) {
    const box = pane.node.querySelector(".route");
    box.hidden = false;
    const route = d.route || {};
    const attempts = d.attempts || [];
    const failovers = attempts.filter(function (a) { return a.failover; }).length;
    box.querySelector(".m-route").textContent = routeText(route, attempts, failovers);
    box.querySelector(".m-ttft").textContent = ms(d.ttft_ms);
    box.querySelector(".m-latency").textContent = ms(d.latency_ms);
    const u = d.usage;
    box.querySelector(".m-usage").textContent = u ? (u.prompt_tokens + " in / " + u.completion_tokens + " out") : "\u2013";
    const dropped = (route.betas_dropped || []).length ? " \u00b7 betas dropped: " + route.betas_dropped.join(", ") : "";
    box.querySelector(".m-host").textContent = (route.host ? "Host " + route.host + (route.target ? " \u00b7 target " + route.target : "") : "") + dropped;
    const tbody = box.querySelector(".m-attempts");
    tbody.replaceChildren();
    attempts.forEach(function (a, i) {
      // Four narrow columns, so that Status and Latency stay visible in a Compare pane.
      const tr = el("tr", "attempt");
      const ok = a.status && a.status < 400;
      const where = el("td", "where-cell");
      where.append(el("div", "", [a.key_name || a.key_id || "", a.region || ""].filter(Boolean).join(" \u00b7 ")));
      if (a.target) where.append(el("div", "sub mono", a.target));
      const statusCell = el("td", "status-cell");
      statusCell.append(el("span", "badge " + (ok ? "ok" : "bad"), a.status ? String(a.status) : "no answer"));
      if (a.failover) statusCell.append(" ", el("span", "badge warn", "failover"));
      if (a.error) { const err = el("div", "sub", a.error); err.title = a.error; statusCell.append(err); }
      tr.append(el("td", "", String(i + 1)), where, statusCell, el("td", "num", ms(a.latency_ms)));
      tbody.append(tr);
    });
    if (!attempts.length) {
      const tr = el("tr", "attempt-none");
      const td = el("td", "muted", "No upstream attempt: the gateway answered before any key was tried.");
      td.colSpan = 4;
      tr.append(td);
      tbody.append(tr);
    }
    box.querySelector(".m-raw-request").textContent = JSON.stringify(d.raw_request || pane.lastRequest, null, 2);
    box.querySelector(".m-raw-response").textContent = JSON.stringify(d.raw_response != null ? d.raw_response : null, null, 2);
  }

  // After Stop the stream ends before its "done" event: show what the browser measured at once, then
  // the route, attempts and timings the request log recorded for the stopped call.
  function renderStopped(pane, measured) {
    renderRoute(pane, { route: {}, attempts: [], ttft_ms: measured.ttft_ms, latency_ms: measured.latency_ms });
    const box = pane.node.querySelector(".route");
    box.querySelector(".m-route").textContent = "looking it up in the request log\u2026";
    box.querySelector(".m-attempts").replaceChildren();
    let tries = 0;
    const stoppedAt = performance.now();
    const url = function () {
      return root.dataset.stoppedUrl + "?model=" + encodeURIComponent(pane.model) + "&within_ms=" +
        Math.round(performance.now() - stoppedAt + measured.latency_ms);
    };
    (function lookUp() {
      tries += 1;
      fetch(url(), { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (d) {
        if (d.found && d.id !== pane.lastStoppedId) {
          pane.lastStoppedId = d.id;
          renderRoute(pane, d);
          box.querySelector(".m-host").textContent += " \u00b7 stopped (logged as " + d.status + ")";
        } else if (tries < 12) {
          setTimeout(lookUp, 500);
        } else {
          box.querySelector(".m-route").textContent = "not logged yet: see the request log";
        }
      }).catch(function () { box.querySelector(".m-route").textContent = "see the request log"; });
    })();
  }

  function showFullName(sel, out) {
    const opt = sel.selectedOptions[0];
    out.textContent = opt ? opt.title || opt.textContent : "";
  }

  function setState(pane, text, cls) {
    const s = pane.node.querySelector(".pane-state");
    s.textContent = text;
    s.className = "badge pane-state " + (cls || "");
  }

  function payloadFor(pane) {
    return {
      model: pane.model,
      key_id: $("pg-key").value,
      system: $("pg-system").value,
      temperature: $("pg-temperature").value,
      max_tokens: $("pg-max-tokens").value,
      stream: $("pg-stream").checked,
      messages: pane.history.slice(),
    };
  }

  async function sendTo(pane) {
    const body = payloadFor(pane);
    const bubble = addMessage(pane, "assistant", "");
    const text = bubble.querySelector(".body");
    bubble.classList.add("streaming");
    setState(pane, "sending\u2026", "info");
    let answer = "";
    let finished = false;
    const sentAt = performance.now();
    let firstAt = null;
    try {
      const resp = await fetch(root.dataset.sendUrl, {
        method: "POST", credentials: "same-origin", signal: aborter ? aborter.signal : undefined,
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify(body),
      });
      if (!resp.ok) {
        let detail = "HTTP " + resp.status;
        try { const j = await resp.json(); showFieldErrors(j.errors); detail = Object.values(j.errors || {}).join(" "); } catch (e) { /* not JSON */ }
        throw new Error(detail);
      }
      const reader = resp.body.getReader();
      const decoder = new TextDecoder();
      let buf = "";
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) break;
        buf += decoder.decode(chunk.value, { stream: true });
        let nl;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (!line) continue;
          const ev = JSON.parse(line);
          if (ev.event === "start") { pane.lastRequest = ev.request; setState(pane, "streaming", "info"); }
          else if (ev.event === "delta") { if (firstAt == null) firstAt = performance.now(); answer += ev.text; text.textContent = answer; }
          else if (ev.event === "done") {
            finished = true;
            text.textContent = ev.text || answer;
            pane.history.push({ role: "assistant", content: ev.text || answer });
            renderRoute(pane, ev);
            setState(pane, "done", "ok");
          } else if (ev.event === "error") {
            finished = true;
            renderRoute(pane, ev);
            bubble.classList.remove("assistant");
            bubble.classList.add("error");
            bubble.querySelector(".who").textContent = "Error " + ev.status;
            text.textContent = (ev.partial ? ev.partial + "\n\n" : "") + ev.message;
            pane.history.pop();  // the unanswered user turn: send it again after fixing things
            setState(pane, "failed", "bad");
          }
        }
      }
      if (!finished) throw new Error("The answer stopped before it was complete.");
    } catch (err) {
      if (err.name === "AbortError") {
        // Stopped by the user: keep what arrived, as the answer of this turn.
        if (answer) pane.history.push({ role: "assistant", content: answer });
        else pane.history.pop();
        if (!answer) text.textContent = "(stopped before the first word)";
        setState(pane, "stopped", "warn");
        renderStopped(pane, { ttft_ms: firstAt == null ? null : firstAt - sentAt, latency_ms: performance.now() - sentAt });
        return;
      }
      bubble.classList.remove("assistant");
      bubble.classList.add("error");
      bubble.querySelector(".who").textContent = "Error";
      text.textContent = err.message;
      if (!finished && pane.history.length && pane.history[pane.history.length - 1].role === "user") pane.history.pop();
      setState(pane, "failed", "bad");
    } finally {
      bubble.classList.remove("streaming");
    }
  }

  $("composer").addEventListener("submit", async function (ev) {
    ev.preventDefault();
    const msg = input.value.trim();
    if (!msg || busy) return;
    showFieldErrors({});
    if (!panes.length) resetPanes();
    panes.forEach(function (p) { p.history.push({ role: "user", content: msg }); addMessage(p, "user", msg); });
    input.value = "";
    busy = panes.length;
    sendBtn.disabled = true;
    aborter = new AbortController();
    stopBtn.hidden = false;
    await Promise.all(panes.map(function (p) { return sendTo(p).finally(function () { busy -= 1; }); }));
    aborter = null;
    stopBtn.hidden = true;
    sendBtn.disabled = false;
    input.focus();
  });
  stopBtn.addEventListener("click", function () { if (aborter) aborter.abort(); });
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); $("composer").requestSubmit(); }
  });

  // ---- "copy as" curl, Python (openai SDK), Python (anthropic SDK) and Claude Code, for the gateway's API
  function apiRequest(pane) {
    const req = JSON.parse(JSON.stringify(pane.lastRequest || {}));
    if (!pane.lastRequest) {
      const p = payloadFor(pane);
      req.model = p.model;
      req.messages = (p.system ? [{ role: "system", content: p.system }] : []).concat(p.messages);
    }
    return req;
  }
  function pyValue(v) {
    return JSON.stringify(v, null, 4).replace(/\btrue\b/g, "True").replace(/\bfalse\b/g, "False").replace(/\bnull\b/g, "None");
  }
  function anthropicSnippet(req) {
    // The Messages API keeps the system prompt apart from the turns and needs max_tokens.
    const system = req.messages.filter(function (m) { return m.role === "system"; }).map(function (m) { return m.content; }).join("\n");
    const turns = req.messages.filter(function (m) { return m.role !== "system"; });
    const args = ["    model=" + JSON.stringify(req.model), "    max_tokens=" + (req.max_tokens || 1024)];
    if (system) args.push("    system=" + JSON.stringify(system));
    args.push("    messages=" + pyValue(turns).replace(/\n/g, "\n    "));
    let code = "import os\n\nimport anthropic\n\nclient = anthropic.Anthropic(\n    base_url=" +
      JSON.stringify(window.location.origin) + ",\n    api_key=os.environ[\"VERTEX_GATEWAY_TOKEN\"],\n)\n";
    if (req.stream) {
      code += "with client.messages.stream(\n" + args.join(",\n") + ",\n) as stream:\n" +
        "    for text in stream.text_stream:\n        print(text, end=\"\", flush=True)\nprint()\n";
    } else {
      code += "message = client.messages.create(\n" + args.join(",\n") + ",\n)\nprint(message.content[0].text)\n";
    }
    return code;
  }
  function claudeCodeSnippet(req) {
    const turns = req.messages.filter(function (m) { return m.role === "user"; });
    const prompt = turns.length ? String(turns[turns.length - 1].content) : "Hello";
    return "export ANTHROPIC_BASE_URL=" + window.location.origin + "\n" +
      "export ANTHROPIC_AUTH_TOKEN=\"$VERTEX_GATEWAY_TOKEN\"\n" +
      "export ANTHROPIC_MODEL=" + JSON.stringify(req.model) + "\n" +
      "export ANTHROPIC_SMALL_FAST_MODEL=" + JSON.stringify(req.model) + "\n" +
      "claude -p '" + prompt.replace(/'/g, "'\\''") + "'";
  }
  function snippet(pane, kind) {
    const base = window.location.origin + "/v1";
    const req = apiRequest(pane);
    if (kind === "anthropic") return anthropicSnippet(req);
    if (kind === "claude-code") return claudeCodeSnippet(req);
    if (kind === "curl") {
      const json = JSON.stringify(req, null, 2).replace(/'/g, "'\\''");
      return "curl " + (req.stream ? "-N " : "") + base + "/chat/completions \\\n" +
        "  -H \"Authorization: Bearer $VERTEX_GATEWAY_TOKEN\" \\\n" +
        "  -H \"Content-Type: application/json\" \\\n" +
        "  -d '" + json + "'";
    }
    const args = ["    model=" + JSON.stringify(req.model), "    messages=" + pyValue(req.messages).replace(/\n/g, "\n    ")];
    if (req.temperature != null) args.push("    temperature=" + req.temperature);
    if (req.max_tokens != null) args.push("    max_tokens=" + req.max_tokens);
    let code = "import os\n\nfrom openai import OpenAI\n\nclient = OpenAI(\n    base_url=" + JSON.stringify(base) +
      ",\n    api_key=os.environ[\"VERTEX_GATEWAY_TOKEN\"],\n)\n";
    if (req.stream) {
      args.push("    stream=True", "    stream_options={\"include_usage\": True}");
      code += "stream = client.chat.completions.create(\n" + args.join(",\n") + ",\n)\n" +
        "for chunk in stream:\n    if chunk.choices and chunk.choices[0].delta.content:\n" +
        "        print(chunk.choices[0].delta.content, end=\"\", flush=True)\nprint()\n";
    } else {
      code += "completion = client.chat.completions.create(\n" + args.join(",\n") + ",\n)\n" +
        "print(completion.choices[0].message.content)\n";
    }
    return code;
  }
  function copySnippet(pane, kind) {
    const text = snippet(pane, kind);
    const pre = pane.node.querySelector(".copy-preview");
    const status = pane.node.querySelector(".copy-status");
    pre.textContent = text;
    pre.hidden = false;
    const done = function (msg) { status.textContent = msg; };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(function () { done("Copied. Set VERTEX_GATEWAY_TOKEN to an API token from Settings."); },
        function () { done("Select the text below to copy it."); });
    } else {
      done("Select the text below to copy it.");
    }
  }

  resetPanes();
})();
