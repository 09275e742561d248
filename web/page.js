// page.js wires the page's controls and text to the Go program, and offers
// the page API, window.ttt, to scripts, tests and (through postMessage) to
// pages that embed this one, in index.html and in the compact embed.html.
// The Go program (app.wasm, built from wasm/) runs in the canvas frame
// (view.html); it exposes globalThis.tttCore there and calls back the tttReady,
// tttOnFrame, tttProgress and tttFatal functions defined here.
//
// window.ttt (every method but state returns a Promise):
//   ttt.ready                     Promise of {backend, adapter, reason, gpu, gpu_message, notice, first_frame_ms}:
//                                 the first frame is up and the page answers; the run starts on the CPU
//   ttt.gpuReady                  Promise of the same, once the GPU has been looked for in the background
//                                 and, if the scenario asks for it and its kernels passed their self-test,
//                                 the run has moved there ("auto" keeps the CPU over a software adapter)
//   ttt.replay(caseJSON, backend, form?)
//                                 Promise of the object that `ttt replay` prints (caseJSON: string or object;
//                                 backend "webgpu"/"gpu" or "cpu"; form defaults to the case's scheme)
//   ttt.setConfig(partial)        change scenario fields ({model, form, b, lr, width, ln, seed, input, text,
//                                 backend ("auto", "gpu"/"webgpu", "cpu"), speed, opt, beta, wd}); restarts the
//                                 run; rejects naming a bad field
//   ttt.play(), ttt.pause()       start and stop playing at the scenario's speed (speed 1000: as fast as the
//                                 device computes); the page computes ahead of what it shows
//   ttt.step(n = 1 | "batch")     show n more tokens, or up to the end of the mini-batch
//   ttt.seek(t), ttt.reset()      scrub to token t; start again
//   ttt.setBackend(name)          "auto", "gpu"/"webgpu" or "cpu", keeping the run's history
//   ttt.setCheck(on)              compare every GPU step with the CPU (state().check)
//   ttt.setView({smooth, scale, delta, panel, head})  drawing only: loss smoothing, "fixed"/"frame" colour
//                                 scale, ΔW, the one-step panel and the head it shows
//   ttt.explainStep({head, advance, narrate})
//                                 Promise of one head's step on the shown token (advance: step one token
//                                 first): {t, head, token, i, b, start, k, v, target, pred, error, G, lr, s,
//                                 own, dW, W_prev, W, loss_start, loss_before, loss_after, note, captions:
//                                 [{part, text}]}; the canvas walks its parts (narrate, default true)
//   ttt.compareOptimizers({backend, tokens, z})
//                                 Promise of {backend, adapter, T, tokens, w0, curves: [{name, label, before,
//                                 after, z?}]}: the stream form with GD, momentum, Adam and GD + weight decay
//                                 on the scenario's tokens (backend "cpu", "gpu"/"webgpu" or "" for the run's;
//                                 tokens: the first n, 0 for all; z: include every z_t, [T][D])
//   ttt.embedCode(url?)           Promise of the embed snippet of the page at url (default: this one),
//                                 exactly the html of the site's /oembed for that URL
//   ttt.simulateDeviceLoss()      release the GPU device as a lost one would be; the run moves to the CPU
//   ttt.state({weights})          {t, done, total, point, backend, adapter, reason, scenario, query, tokens,
//                                  loss_w0, loss_start, loss_before, loss_after (per token shown),
//                                  w_checksum, heads, d, b, tokens_per_s, check, recall, occurrence, weights?}
//
// Experiments (added to window.ttt by lab.js; every number measured in this browser):
//   ttt.experiments               the names, in page order, once ready: ["equivalence", "lanes", "race", "sweep", "cost"]
//   ttt.experimentInfo()          [{name, title, description, defaults}] from the Go registry (package experiment)
//   ttt.experiment(name, params?, {backend}?)
//                                 Promise of {experiment, spec, backend, adapter, headline, summary, tables, notes,
//                                 seconds, query}; params override the spec's defaults ({d, t, b, runs, seed, bs, pairs,
//                                 min_t, max_t}); backend "webgpu"/"gpu", "cpu" or "" (the GPU if there is one);
//                                 pauses playback first (it would share the device); rejects naming a bad
//                                 field, or with "cancelled"
//   ttt.cancel()                  cancel the running experiment (Promise of whether one was running)
//   ttt.experimentProgress()      {running, done, total, what}
//   ttt.experimentCSV()           Promise of the last result as CSV: experiment,table,row,column,value
//   ttt.lastExperiment()          the last result, or null
// The language model (web/lm.js draws its controls; ?mode=lm&lmtext=…, or a saved scenario's lm, opens it):
//   ttt.lm(text, {backend, model, weights})
//                                 read text through the character-level TTT language model and show it
//                                 (backend "auto" | "webgpu" | "cpu"; model "pretrained", the one trained
//                                 on Moby-Dick, or "untrained", the same shape at initialisation); Promise of
//                                 {model, backend, adapter, reason, tokens: [characters], done, t,
//                                  probs_top: [[{char, p}]] (after character i, the 5 likeliest next),
//                                  loss: [−ln p(character i+1)] (nats), bits_per_char, weights_checksum,
//                                  layers, heads, d, weights?: [layer][head] {W, b}}; rejects naming a
//                                 character outside the model's vocabulary, an empty or too long text
//   ttt.lmState({weights})        the same object for the current text (null before one), t at the scrubber
//   ttt.lmSeek(t)                 show character t (W, prediction); Promise of lmState()
//   ttt.setMode(mode)             "layer" or "lm": what the canvas draws
//
// postMessage: a frame host sends {ttt: "call", id, method, args: [...]} with
// one of the methods above (or "ready"); the page answers the sender's
// window at the sender's origin with {ttt: "reply", id, ok, result | error}.
// Any origin may call: every method only computes in the reader's browser
// and reads nothing private. The page also posts {ttt: "height", height}
// (its preferred height in CSS pixels) and {ttt: "ready", ...} to its parent
// when it is framed.
"use strict";
(function () {
  // index.html?embed=1 is the same-origin way to the compact view, which
  // lives in embed.html (the document other sites may frame).
  if (document.body && document.body.dataset.mode === "page" && new URLSearchParams(location.search).get("embed") === "1") {
    location.replace("embed.html" + location.search);
    return;
  }
  const isEmbedDoc = () => document.body && document.body.dataset.mode === "embed";

  // The Go program calls these on its host.
  if (!window.tttHost) window.tttHost = window;

  let coreWin = null; // the window whose tttCore is the Go program
  let resolveReady, rejectReady, resolveGPU, rejectGPU;
  const ready = new Promise((res, rej) => { resolveReady = res; rejectReady = rej; });
  ready.catch(() => {});
  const gpuReady = new Promise((res, rej) => { resolveGPU = res; rejectGPU = rej; });
  gpuReady.catch(() => {});
  let resolveCore;
  const coreReady = new Promise((res) => { resolveCore = res; });
  let last = null; // the latest frame summary

  function core() {
    const w = coreWin || window;
    return w.tttCore;
  }
  async function call(method, ...args) {
    await coreReady;
    const fn = core()[method];
    if (typeof fn !== "function") throw new Error(`ttt.${method}: no such method`);
    const out = await fn(...args);
    return typeof out === "string" ? JSON.parse(out) : out;
  }

  // The API calls WebGPU "webgpu" (replay, setBackend, lm) or "gpu"; the
  // scenario names it "gpu".
  function scenarioBackend(patch) {
    return patch.backend === "webgpu" ? Object.assign({}, patch, { backend: "gpu" }) : patch;
  }

  const api = {
    ready,
    gpuReady,
    replay: (c, backend, form) => call("replay", typeof c === "string" ? c : JSON.stringify(c), backend || "", form || ""),
    setConfig: (patch) => call("setConfig", JSON.stringify(scenarioBackend(patch || {}))),
    play: () => call("play"),
    pause: () => call("pause"),
    step: (n) => call("step", n === undefined ? 1 : n),
    seek: (t) => call("seek", t),
    reset: () => call("reset"),
    setBackend: (name) => call("setBackend", String(name)),
    setCheck: (on) => call("setCheck", !!on),
    setView: (v) => call("setView", Object.assign(currentView(), v || {})),
    simulateDeviceLoss: () => call("simulateDeviceLoss"),
    compareOptimizers: (o) => call("compareOptimizers", JSON.stringify(o || {})),
    embedCode: (url) => coreReady.then(() => embedCode(url)),
    explainStep: (o) => call("explainStep", JSON.stringify(o || {})),
    // After the GPU is probed: until then every run starts on the CPU.
    lm: (text, opts) => gpuReady.then(() => call("lm", String(text), JSON.stringify(opts || {}))),
    lmSeek: (t) => call("lmSeek", t),
    setMode: (mode) => call("setMode", String(mode)),
    lmState: (opts) => {
      const c = core();
      const s = c && c.lmState ? c.lmState(!!(opts && opts.weights)) : null;
      return s ? JSON.parse(s) : null;
    },
    state: (opts) => {
      const c = core();
      if (!c) return null;
      const s = c.state(!!(opts && opts.weights));
      return s ? JSON.parse(s) : null;
    },
  };
  window.ttt = api;

  // ---- callbacks from the Go program ----
  window.tttProgress = (loaded, total) => {
    const bar = $("load-progress"), text = $("load-text");
    if (!bar) return;
    if (total > 0) { bar.max = total; bar.value = Math.min(loaded, total); } else { bar.removeAttribute("value"); }
    text.textContent = total > 0 ? `${mb(loaded)} of ${mb(total)} MB` : `${mb(loaded)} MB`;
  };
  window.tttReady = (json) => {
    const r = JSON.parse(json);
    window.tttTimings.ready = performance.now();
    resolveReady(r);
    postParent(Object.assign({ ttt: "ready" }, r));
    if (r.notice) showError(r.notice);
    maybeAutoplay();
  };
  window.tttOnFrame = (json) => {
    if (!coreWin) {
      coreWin = ($("view") && $("view").contentWindow) || window;
      resolveCore();
      const l = $("loading");
      if (l) l.hidden = true;
    }
    const t0 = performance.now();
    last = JSON.parse(json);
    render(last);
    // What updating the page's text costs (the browser benchmark reads it).
    const tm = window.tttTimings;
    tm.renders = (tm.renders || 0) + 1;
    tm.renderMs = (tm.renderMs || 0) + performance.now() - t0;
  };
  // The value under the pointer on the canvas, as text beside it.
  window.tttHover = (text) => {
    const el = $("hover");
    if (el) el.textContent = text;
  };
  // The canvas's W / ΔW switch was clicked: the Display control follows.
  window.tttView = (json) => {
    const v = JSON.parse(json), el = $("delta");
    if (el) el.value = v.delta ? "dw" : "w";
  };
  window.tttGPUReady = (json) => {
    window.tttTimings.gpuReady = performance.now();
    resolveGPU(JSON.parse(json));
  };
  // Milliseconds from navigation to the first frame the canvas drew, to
  // ttt.ready and to ttt.gpuReady.
  window.tttTimings = window.tttTimings || {}; // compile.js may have begun it
  window.tttFirstFrame = () => {
    // The canvas's frame (load.js, tttDrew) has removed its loading picture.
    window.tttTimings.firstFrame = performance.now();
  };
  window.tttFatal = (msg) => {
    showError("The layer stopped: " + msg);
    rejectReady(new Error(msg));
    rejectGPU(new Error(msg));
  };

  // ---- the DOM ----
  const $ = (id) => document.getElementById(id);
  const mb = (n) => (n / 1e6).toFixed(1);

  function showError(msg) {
    const e = $("error");
    if (!e) return;
    e.textContent = msg;
    e.hidden = !msg;
  }

  // setText changes an element's text only when it differs: while playing
  // the page renders every frame the canvas draws, and each change costs
  // the browser style, layout and paint.
  function setText(el, text) {
    if (el && el.textContent !== text) el.textContent = text;
  }

  function render(f) {
    const play = $("play");
    if (play) {
      setText(play, f.playing ? "Pause" : "Play");
      play.setAttribute("aria-pressed", f.playing ? "true" : "false");
    }
    const scrub = $("scrub");
    if (scrub && document.activeElement !== scrub) {
      scrub.max = String(f.total); // seeking past the tokens computed stops at the last one
      scrub.value = String(f.t);
    }
    setText($("scrub-out"), `${f.t} / ${f.total}`);
    // The summary shows the same t as the scrubber and the canvas. It is a
    // live region that is quiet while playing (a token every frame would
    // drown a screen reader); a step or a pause is spoken.
    const summary = $("summary");
    summary.setAttribute("aria-live", f.playing ? "off" : "polite");
    setText(summary, sentence(f));
    setText($("backend"), backendText(f));
    setText($("input-desc"), f.input);
    if (f.error) showError(f.error); else if (!f.notice) showError("");
    syncForm(f.scenario);
    syncURL(f.query);
    document.querySelectorAll("#formulas .form").forEach((el) => { el.hidden = el.dataset.form !== f.scenario.form; });
  }

  function sentence(f) {
    let s;
    if (f.t === 0) {
      s = `Ready: ${f.input}. Press play or → to feed the layer its first token.`;
    } else {
      const l = f.loss;
      s = `Token ${f.t} of ${f.total}, “${f.token}”: loss before the step ${l.before.toFixed(3)}, after ${l.after.toFixed(3)}; the untrained weights W0 would score ${l.w0.toFixed(3)}.`;
      if (f.recall && f.recall.asked > 0) s += ` Recall: ${f.recall.right} of ${f.recall.asked} questions right.`;
      if (f.point !== f.t) s += ` The ${f.scenario.form} form shows W at the last mini-batch end (token ${f.point}).`;
    }
    s += ` ${backendShort(f)}, ${Math.round(f.tokens_per_s)} tokens/s ${f.playing ? "shown" : "(the last playing rate, or the device's)"}.`;
    if (f.check) s += ` Max |GPU − CPU| ${f.check.last.toExponential(1)}.`;
    return s;
  }
  function backendShort(f) {
    return f.backend === "cpu" ? "CPU backend" : `WebGPU (${f.adapter})`;
  }
  function backendText(f) {
    if (f.backend === "cpu") return `Running on the CPU (${f.reason}).`;
    const soft = /fallback|swiftshader|llvmpipe/i.test(f.adapter) ? " This is a software (fallback) adapter, which emulates a GPU on the processor: here the CPU backend is faster (auto chooses it)." : "";
    return `Running on WebGPU: ${f.adapter}.${soft} ${f.reason}`;
  }

  // ---- the scenario form ----
  function syncForm(s) {
    const form = $("config");
    if (!form) return;
    for (const [k, v] of Object.entries(s)) {
      const el = form.elements[k];
      if (!el || document.activeElement === el) continue;
      if (el.type === "checkbox") el.checked = !!v; else if (k !== "text" || !el.value) el.value = String(v);
    }
    const isText = s.input === "text";
    $("text-label").hidden = !isText;
    $("apply-text").hidden = !isText;
    if ($("opt-set")) $("opt-set").disabled = s.form !== "stream";
    const sp = $("speed");
    if (sp && document.activeElement !== sp) { sp.value = String(s.speed); $("speed-out").textContent = speedText(s.speed); }
  }
  // The slider's top is "as fast as the device computes" (demo.TopSpeed).
  const speedText = (v) => (Number(v) >= 1000 ? "top" : String(v));

  // ---- the optimiser comparison: one SVG line per optimiser ----
  async function compareOptimizers() {
    const box = $("compare"), status = $("compare-status");
    box.hidden = false;
    status.textContent = "Streaming the tokens four times…";
    $("compare-run").disabled = true;
    try {
      const c = await api.compareOptimizers({});
      drawCompare(c);
      status.textContent = `${c.T} tokens on ${c.backend === "cpu" ? "the CPU" : "WebGPU (" + c.adapter + ")"}; each line is ℓ(Wₜ₋₁; xₜ), the loss before the token's step, averaged over ${Math.min(10, c.T)} tokens and the heads.`;
    } finally {
      $("compare-run").disabled = false;
    }
  }
  function smooth(v, k) {
    const out = [];
    let s = 0;
    for (let i = 0; i < v.length; i++) {
      s += v[i];
      if (i >= k) s -= v[i - k];
      out.push(s / Math.min(i + 1, k));
    }
    return out;
  }
  function drawCompare(c) {
    const svg = $("compare-chart"), legend = $("compare-legend");
    const NS = "http://www.w3.org/2000/svg", W = 600, H = 220, pad = 28;
    svg.replaceChildren();
    legend.replaceChildren();
    const lines = c.curves.map((cv) => ({ name: cv.name, label: cv.label, y: smooth(cv.before, 10) }));
    lines.unshift({ name: "w0", label: "W0, never trained", y: smooth(c.w0, 10) });
    let hi = 0;
    for (const l of lines) for (const y of l.y) if (isFinite(y)) hi = Math.max(hi, y);
    hi = hi || 1;
    const x = (i) => pad + (W - 2 * pad) * (c.T > 1 ? i / (c.T - 1) : 0);
    const y = (v) => H - pad - (H - 2 * pad) * Math.min(v, hi) / hi;
    const axis = document.createElementNS(NS, "path");
    axis.setAttribute("d", `M${pad} ${pad}V${H - pad}H${W - pad}`);
    axis.setAttribute("class", "axis");
    svg.appendChild(axis);
    for (const [v, txt] of [[0, "0"], [hi, hi.toFixed(2)]]) {
      const t = document.createElementNS(NS, "text");
      t.setAttribute("x", "2");
      t.setAttribute("y", String(y(v) + 4));
      t.textContent = txt;
      svg.appendChild(t);
    }
    for (const l of lines) {
      const p = document.createElementNS(NS, "polyline");
      p.setAttribute("points", l.y.map((v, i) => `${x(i).toFixed(1)},${y(isFinite(v) ? v : hi).toFixed(1)}`).join(" "));
      p.setAttribute("class", "curve c-" + l.name.replace("+", "-"));
      p.dataset.name = l.name;
      svg.appendChild(p);
      const li = document.createElement("li");
      li.className = "c-" + l.name.replace("+", "-");
      li.textContent = `${l.name}: ${l.label}`;
      legend.appendChild(li);
    }
  }

  function readField(el) {
    if (el.type === "checkbox") return el.checked;
    if (el.type === "number" || el.type === "range") return Number(el.value);
    return el.value;
  }
  async function change(patch) {
    try {
      showError("");
      await api.setConfig(patch);
    } catch (e) {
      showError(e.message);
    }
  }

  let lastQuery = null;
  function syncURL(query) {
    if (query === lastQuery) return;
    const first = lastQuery === null;
    lastQuery = query;
    const link = $("link");
    if (link) link.value = pageURL(query);
    // A saved scenario (/s/{id}, /e/{id}) keeps its address until the reader changes it.
    if (first && /^\/[se]\//.test(location.pathname)) return;
    const params = new URLSearchParams(query);
    const auto = new URLSearchParams(location.search).get("autoplay");
    if (auto !== null) params.set("autoplay", auto);
    const qs = params.toString();
    const path = pageDir() + (isEmbedDoc() ? "embed.html" : "");
    history.replaceState(null, "", path + (qs ? "?" + qs : ""));
  }
  // The page's folder: "/" on the site (also below /s/ and /e/), or the
  // sub-folder a static host serves it from.
  function pageDir() { return /^\/[se]\//.test(location.pathname) ? "/" : location.pathname.replace(/[^/]*$/, ""); }
  function pageURL(query) { return location.origin + pageDir() + (query ? "?" + query : ""); }

  // The embed code of the page at url (default: this one): what the site's
  // oEmbed answers for that URL, built by the same Go function (package
  // snippet), so it works on a static host too.
  function embedCode(url) {
    const fn = coreWin && coreWin.tttEmbedCode;
    if (typeof fn !== "function") throw new Error("the layer is still loading; try again in a moment");
    const r = fn(String(url || location.href), JSON.stringify((last && last.scenario) || {}));
    if (r.error) throw new Error("embed code: " + r.error);
    return r.html;
  }

  function currentView() {
    return {
      smooth: $("smooth") ? Number($("smooth").value) : 10,
      scale: $("scale") ? $("scale").value : "fixed",
      delta: $("delta") ? $("delta").value === "dw" : false,
    };
  }

  async function copy(text) {
    const link = $("link");
    if (link) { link.value = text; link.select(); }
    try { await navigator.clipboard.writeText(text); return true; } catch (e) { return false; }
  }

  function maybeAutoplay() {
    const reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    const p = new URLSearchParams(location.search).get("autoplay");
    if (reduced || p === "0" || isEmbedDoc() && p !== "1") return;
    if (last && last.scenario && last.scenario.experiment) return; // an experiment's link: its timings get the device (lab.js)
    api.play().catch(() => {});
  }

  function onKey(e) {
    const t = e.target;
    const typing = t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT|BUTTON|A)$/.test(t.tagName)) && !(t.type === "range" && e.key === " ");
    if (typing || e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key === " ") {
      e.preventDefault();
      (last && last.playing ? api.pause() : api.play()).catch((err) => showError(err.message));
    } else if (e.key === "ArrowRight") {
      e.preventDefault();
      api.step(e.shiftKey ? "batch" : 1).catch((err) => showError(err.message));
    }
  }

  // ---- framing: height and postMessage ----
  function postParent(msg) {
    if (window.parent !== window) window.parent.postMessage(msg, "*");
  }
  window.addEventListener("message", async (e) => {
    const m = e.data;
    if (!m || m.ttt !== "call" || !e.source) return;
    const reply = (body) => e.source.postMessage(Object.assign({ ttt: "reply", id: m.id }, body), e.origin === "null" ? "*" : e.origin);
    try {
      let result;
      if (m.method === "ready" || m.method === "gpuReady") result = await api[m.method];
      else if (m.method === "state" || m.method === "lmState") result = api[m.method](...(m.args || []));
      else if (typeof api[m.method] === "function") result = await api[m.method](...(m.args || []));
      else throw new Error(`no such method: ${m.method}`);
      reply({ ok: true, result });
    } catch (err) {
      reply({ ok: false, error: err.message || String(err) });
    }
  });

  function wire() {
    if (typeof WebAssembly !== "object") {
      $("nowasm").hidden = false;
      const l = $("loading");
      if (l) l.hidden = true;
      rejectReady(new Error("no WebAssembly in this browser"));
      return;
    }
    const onClick = (id, fn) => { const el = $(id); if (el) el.addEventListener("click", () => fn().catch((err) => showError(err.message))); };
    onClick("play", () => (last && last.playing ? api.pause() : api.play()));
    onClick("step", () => api.step(1));
    onClick("slow", () => api.explainStep({ advance: true }));
    onClick("batch", () => api.step("batch"));
    onClick("reset", () => api.reset());
    const scrub = $("scrub");
    if (scrub) scrub.addEventListener("input", () => api.seek(Number(scrub.value)).catch((err) => showError(err.message)));
    const speed = $("speed");
    if (speed) speed.addEventListener("change", () => { $("speed-out").textContent = speedText(speed.value); change({ speed: Number(speed.value) }); });
    if (speed) speed.addEventListener("input", () => { $("speed-out").textContent = speedText(speed.value); });
    const form = $("config");
    if (form) {
      form.addEventListener("submit", (e) => e.preventDefault());
      form.addEventListener("change", (e) => {
        const el = e.target;
        if (!el.name || el.name === "text") return;
        const patch = { [el.name]: readField(el) };
        if (el.name === "input" && el.value === "text") {
          const t = form.elements.text.value.trim();
          if (!t) { syncForm(Object.assign({}, last.scenario, { input: "text" })); form.elements.text.focus(); return; }
          patch.text = form.elements.text.value;
        }
        if (el.name === "form" && el.value === "naive") patch.b = 1;
        // The inner optimisers are options of the stream form only.
        if (el.name === "form" && el.value !== "stream") Object.assign(patch, { opt: "gd", wd: 0 });
        if (el.name === "backend") { api.setBackend(el.value).catch((err) => showError(err.message)); return; }
        change(patch);
      });
      onClick("apply-text", () => change({ input: "text", text: form.elements.text.value }));
    }
    onClick("compare-run", compareOptimizers);
    const check = $("check");
    if (check) check.addEventListener("change", () => api.setCheck(check.checked).catch((err) => showError(err.message)));
    for (const id of ["delta", "scale", "smooth"]) {
      const el = $(id);
      if (el) el.addEventListener("input", () => {
        if (id === "smooth") $("smooth-out").textContent = el.value;
        api.setView({}).catch((err) => showError(err.message));
      });
    }
    onClick("copy", async () => { await copy(pageURL(last ? last.query : "")); $("copy").textContent = "Copied"; setTimeout(() => { $("copy").textContent = "Copy link"; }, 1500); });
    onClick("copy-embed", async () => {
      await copy(embedCode());
      $("copy-embed").textContent = "Copied";
      setTimeout(() => { $("copy-embed").textContent = "Copy embed code"; }, 1500);
    });
    // Save: the site stores the scenario and answers with /s/{id} and /e/{id}.
    onClick("save", async () => {
      if (!last) return;
      const resp = await fetch("/api/scenarios", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(Object.assign({}, last.scenario, { lm: undefined })) });
      const body = await resp.json().catch(() => ({}));
      if (!resp.ok) throw new Error(`saving failed: ${body.error || resp.status}`);
      await copy(body.url);
      $("save").textContent = "Saved and copied";
      setTimeout(() => { $("save").textContent = "Save short link"; }, 2000);
    });
    const full = $("open-full");
    if (full) full.addEventListener("click", () => { full.href = pageURL(last ? last.query : ""); });
    document.addEventListener("keydown", onKey);

    if (isEmbedDoc()) {
      // The height the embed would like: its title line, a 16:10 drawing and the bar.
      const head = document.querySelector(".embed-head"), bar = document.querySelector(".embed-bar");
      const post = () => postParent({ ttt: "height", height: Math.round(head.offsetHeight + Math.max(360, window.innerWidth * 0.62) + bar.offsetHeight) });
      post();
      window.addEventListener("resize", post);
    }
    // A static host has no API: no short links there (every link carries its state in its URL).
    fetch("/api/health").then((r) => (r.ok ? r.json() : null)).catch(() => null).then((h) => {
      if (!h || h.status !== "ok") document.body.dataset.api = "none";
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", wire);
  else wire();
})();
