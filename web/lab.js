// lab.js is the page's experiments: it adds ttt.experiment, ttt.cancel and
// friends to window.ttt (page.js documents them) and draws the Experiments
// panel (#lab): one short paragraph per experiment, a Run and a Cancel
// button, a progress bar, the charts and tables of the result, and its
// JSON and CSV. Every number comes from demo.RunExperiment in the Go
// program, on the reader's GPU or CPU; this file only draws them.
"use strict";
(function () {
  const NAMES = ["equivalence", "lanes", "race", "sweep", "cost"];
  const TITLES = {
    equivalence: "Equivalences and the ablation path",
    lanes: "Recall lanes",
    race: "Speed race: naive, primal, dual",
    sweep: "Mini-batch trade-off",
    cost: "Cost against context",
  };
  const WHAT = {
    equivalence: "Strip TTT-Linear bare (f(k) = kW, no bias, LayerNorm or residual, W0 = 0, η = 1) and run batch GD over the whole sequence: its outputs are causal linear attention's, to float32 rounding (first table). With b = 1 the same learner is the delta rule, and the Nadaraya–Watson learner is softmax attention. The ablation path then adds the paper's toggles one at a time: look at how far each moves the output from linear attention.",
    lanes: "Four layers read the same stream of n key→value pairs and are then asked for every key, with one readout (the stored value closest to the output). Keys are orthogonal in blocks of d, so a d×d state holds about d pairs: watch linear attention and the delta rule recall everything up to d and fall after it, the delta rule forgetting its oldest pairs first (second chart), and how TTT-Linear and TTT-MLP, one gradient step per pair through a LayerNorm, compare.",
    race: "The same mini-batch TTT-Linear computed three ways, timed on your device and on the CPU backend. The max |Δ| columns show the outputs agree; the time per token shows what the dual form buys. The paper measured the dual form more than 5× faster than the primal in JAX on a TPU: compare the ratio measured here.",
    sweep: "One head reads prose in the dual form at each mini-batch size b, one point per b. Small b takes more, fresher gradient steps; large b gives each step more parallel work, so less time per token on a GPU. The paper found smaller b better down to b = 16, at a cost in time; here the untrained layer's fixed η matters too: look at which b gives the lowest final loss, and what it costs.",
    cost: "Time per token as the context T doubles. TTT's state is d×d whatever T is, so its time per token stays flat (time per sequence ∝ T); causal softmax attention looks at every earlier token, so its time per token grows with T (∝ T²). Log–log axes: the fitted exponents are in the summary.",
  };
  const SERIES = ["var(--after)", "var(--before)", "var(--w0)", "#2da44e", "#8250df", "#bf3989"];

  let progress = { running: false, done: 0, total: 0, what: "" };
  let lastResult = null;
  let onProgress = null;

  function core() {
    const v = document.getElementById("view");
    const w = v && v.contentWindow && v.contentWindow.tttCore ? v.contentWindow : window;
    if (!w.tttCore) throw new Error("the layer is not loaded yet");
    return w.tttCore;
  }

  // The Go program reports progress here (wasm/experiment.go).
  window.tttExpProgress = (done, total, what) => {
    progress = { running: done < total, done, total, what };
    if (onProgress) try { onProgress(progress); } catch (e) { /* the caller's */ }
    drawProgress();
  };

  // ttt.experiment(name, params?, {backend}?) → Promise of the result.
  async function experiment(name, params, opts) {
    if (!window.ttt) throw new Error("no window.ttt");
    await window.ttt.ready;
    const o = opts || {};
    const p = params ? Object.assign({}, params) : {};
    delete p.name;
    // JSON would turn NaN and Infinity into null: name the field here instead.
    for (const [k, v] of Object.entries(p)) {
      for (const x of Array.isArray(v) ? v : [v]) {
        if (typeof x === "number" && !Number.isFinite(x)) throw new Error(`experiment.${k}: ${x}, want a finite number`);
      }
    }
    progress = { running: true, done: 0, total: 0, what: "starting" };
    drawProgress();
    try {
      await window.ttt.pause(); // playing would share the device with the timed runs
      const out = await core().experiment(String(name), JSON.stringify(p), String(o.backend || ""));
      lastResult = JSON.parse(out);
      return lastResult;
    } finally {
      progress.running = false;
      drawProgress();
    }
  }

  function install() {
    if (!window.ttt) return false;
    Object.assign(window.ttt, {
      experiments: NAMES.slice(),
      experiment,
      cancel: async () => core().cancelExperiment(),
      experimentCSV: async () => core().experimentCSV(),
      lastExperiment: () => lastResult,
      experimentProgress: () => Object.assign({}, progress),
    });
    return true;
  }

  // ---- the panel ----
  const $ = (id) => document.getElementById(id);
  const el = (tag, attrs, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "text") e.textContent = v; else e.setAttribute(k, v);
    }
    for (const k of kids) if (k) e.append(k);
    return e;
  };
  let chosen = "equivalence";

  function build(lab) {
    lab.replaceChildren();
    lab.append(el("h2", { text: "Experiments: the paper's claims, measured in your browser" }));
    const tabs = el("div", { class: "lab-tabs", role: "tablist" });
    for (const n of NAMES) {
      const b = el("button", { type: "button", role: "tab", id: "lab-tab-" + n, "data-exp": n, text: TITLES[n] });
      b.addEventListener("click", () => choose(n));
      tabs.append(b);
    }
    lab.append(tabs);
    lab.append(el("p", { id: "lab-what", class: "lab-what" }));
    const backend = el("select", { id: "lab-backend", "aria-label": "Run the experiment on" });
    for (const [v, t] of [["", "your GPU (WebGPU) if there is one"], ["webgpu", "WebGPU"], ["cpu", "the CPU backend"]]) backend.append(el("option", { value: v, text: t }));
    const bar = el("div", { class: "lab-bar" },
      el("button", { type: "button", id: "lab-run", text: "Run" }),
      el("button", { type: "button", id: "lab-cancel", text: "Cancel", disabled: "" }),
      el("label", {}, "on ", backend),
      el("progress", { id: "lab-progress", max: "1", value: "0" }),
      el("span", { id: "lab-status", class: "small", "aria-live": "polite" }));
    lab.append(bar);
    const out = el("div", { class: "lab-actions" },
      el("button", { type: "button", id: "lab-json", text: "Download JSON", disabled: "" }),
      el("button", { type: "button", id: "lab-csv", text: "Download CSV", disabled: "" }),
      el("button", { type: "button", id: "lab-link", text: "Copy link", disabled: "" }),
      el("button", { type: "button", id: "lab-embed", text: "Copy embed code", disabled: "" }),
      el("button", { type: "button", id: "lab-save", text: "Save short link", disabled: "", title: "store this experiment on the server and copy a short /s/ link" }));
    lab.append(out);
    lab.append(el("div", { id: "lab-result" }));
    $("lab-run").addEventListener("click", () => run(chosen));
    $("lab-cancel").addEventListener("click", () => window.ttt.cancel());
    $("lab-json").addEventListener("click", () => lastResult && download(`ttt-${lastResult.experiment}.json`, JSON.stringify(lastResult, null, 2), "application/json"));
    $("lab-csv").addEventListener("click", async () => lastResult && download(`ttt-${lastResult.experiment}.csv`, await window.ttt.experimentCSV(), "text/csv"));
    $("lab-link").addEventListener("click", () => lastResult && copy(pageURL("", lastResult.query)));
    // The embed code of the experiment's link: oEmbed's html for it (page.js, package snippet).
    $("lab-embed").addEventListener("click", () => lastResult && window.ttt.embedCode(pageURL("", lastResult.query)).then(copy, (e) => copy(e.message)));
    $("lab-save").addEventListener("click", () => lastResult && save(lastResult.spec));
    choose(chosen);
  }

  // save stores the page's scenario with this experiment: /s/{id} and /e/{id} then run it.
  async function save(spec) {
    const s = window.ttt.state();
    const body = Object.assign({}, s && s.scenario, { experiment: spec, lm: undefined });
    const resp = await fetch("/api/scenarios", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    const out = await resp.json().catch(() => ({}));
    if (!resp.ok) { $("lab-status").textContent = `Saving failed: ${out.error || resp.status}`; return; }
    await copy(out.url);
  }

  function pageURL(file, query) {
    return new URL(file + "?" + query, document.baseURI).href;
  }
  async function copy(text) {
    try { await navigator.clipboard.writeText(text); } catch (e) { /* no clipboard: show it instead */ }
    $("lab-status").textContent = text;
  }
  function download(name, text, type) {
    const a = el("a", { href: URL.createObjectURL(new Blob([text], { type })), download: name });
    document.body.append(a);
    a.click();
    a.remove();
  }

  function choose(name) {
    chosen = name;
    for (const n of NAMES) {
      const t = $("lab-tab-" + n);
      if (t) t.setAttribute("aria-selected", n === name ? "true" : "false");
    }
    $("lab-what").textContent = WHAT[name];
  }

  function drawProgress() {
    const bar = $("lab-progress");
    if (!bar) return;
    if (progress.total > 0) { bar.max = progress.total; bar.value = progress.done; } else if (progress.running) bar.removeAttribute("value");
    $("lab-cancel").disabled = !progress.running;
    $("lab-run").disabled = progress.running;
    if (progress.running) $("lab-status").textContent = progress.total ? `${progress.done} of ${progress.total}: ${progress.what}` : "starting…";
  }

  async function run(name, params) {
    choose(name);
    const backend = $("lab-backend").value;
    try {
      const r = await experiment(name, params, { backend });
      $("lab-status").textContent = `Done in ${r.seconds.toFixed(1)} s on ${r.backend === "cpu" ? "the CPU backend" : "WebGPU (" + r.adapter + ")"}.`;
      show(r);
    } catch (err) {
      $("lab-status").textContent = err.message === "cancelled" ? "Cancelled." : "Failed: " + err.message;
    }
  }

  function show(r) {
    for (const id of ["lab-json", "lab-csv", "lab-link", "lab-embed", "lab-save"]) $(id).disabled = false;
    const box = $("lab-result");
    box.replaceChildren();
    const head = headline(r);
    if (head) box.append(el("p", { class: "lab-headline", id: "lab-headline", text: head }));
    for (const n of r.notes || []) box.append(el("p", { class: "small", text: n }));
    for (const t of r.tables) {
      const fig = el("figure", { class: "lab-figure" }, el("figcaption", { text: t.name }));
      if (t.chart) fig.append(chart(t));
      fig.append(numbers(t));
      box.append(fig);
    }
    const dl = el("dl", { class: "lab-summary small" });
    for (const [k, v] of Object.entries(r.summary).sort()) dl.append(el("dt", { text: k }), el("dd", { text: fmt(v) }));
    box.append(el("details", {}, el("summary", { text: "All summary numbers" }), dl));
  }

  function headline(r) {
    const s = r.summary;
    const where = r.backend === "cpu" ? "the CPU backend" : `WebGPU (${r.adapter})`;
    switch (r.experiment) {
      case "equivalence":
        return `On ${where}: bare TTT vs linear attention max |Δ| = ${fmt(s.linear_attention_max_diff)}, bare b = 1 vs the delta rule ${fmt(s.delta_rule_max_diff)}, Nadaraya–Watson vs softmax attention ${fmt(s.softmax_attention_max_diff)}.`;
      case "race": {
        let t = `Dual over primal: ${fmt(s["dual_over_primal_speedup_" + r.backend])}× faster on ${where}`;
        if (r.backend !== "cpu") t += `, ${fmt(s.dual_over_primal_speedup_cpu)}× on the CPU backend`;
        return t + ` (the paper: more than 5× in JAX on a TPU). The forms agree to ${fmt(s.max_diff)}.`;
      }
      case "cost":
        return `Time per sequence grows as T^${fmt(s.ttt_exponent)} for TTT and T^${fmt(s.softmax_exponent)} for softmax attention, up to T = ${s.max_t} on ${where}.`;
      case "lanes":
        return `Recall of ${s.largest_n} pairs in a ${r.spec.d}×${r.spec.d} state, on ${where}: TTT-Linear ${fmt(s["recall_ttt_linear_n" + s.largest_n])}, TTT-MLP ${fmt(s["recall_ttt_mlp_n" + s.largest_n])}, linear attention ${fmt(s["recall_linear_attention_n" + s.largest_n])}, delta rule ${fmt(s["recall_delta_rule_n" + s.largest_n])}.`;
      case "sweep": {
        const pts = r.tables[0].rows; // [b, µs per token, final loss, loss at W0]
        const best = pts.reduce((a, p) => (p[2] < a[2] ? p : a));
        const fast = pts.reduce((a, p) => (p[1] < a[1] ? p : a));
        return `On ${where}: the lowest final inner loss, ${fmt(best[2])}, at b = ${best[0]} (${fmt(best[1])} µs per token); the fastest, ${fmt(fast[1])} µs per token, at b = ${fast[0]}.`;
      }
    }
    return "";
  }

  function fmt(v) {
    if (typeof v !== "number") return String(v);
    if (v === 0) return "0";
    if (Number.isInteger(v) && Math.abs(v) < 1e7) return String(v);
    const a = Math.abs(v);
    return a < 1e-3 || a >= 1e5 ? v.toExponential(1) : Number(v.toPrecision(3)).toString();
  }

  function numbers(t) {
    const tbl = el("table", { class: "lab-table" });
    const hr = el("tr", {}, el("th", { text: "" }));
    for (const c of t.columns) hr.append(el("th", { scope: "col", text: c }));
    tbl.append(el("thead", {}, hr));
    const body = el("tbody");
    const rows = t.rows.length > 24 ? t.rows.map((r, i) => [r, i]).filter(([, i]) => i % Math.ceil(t.rows.length / 24) === 0 || i === t.rows.length - 1) : t.rows.map((r, i) => [r, i]);
    for (const [row, i] of rows) {
      const tr = el("tr", {}, el("th", { scope: "row", text: t.labels[i] }));
      for (const v of row) tr.append(el("td", { text: fmt(v) }));
      body.append(tr);
    }
    tbl.append(body);
    return el("div", { class: "lab-scroll" }, tbl);
  }

  // chart draws columns chart.y of t against chart.x as an SVG line chart.
  function chart(t) {
    const NS = "http://www.w3.org/2000/svg";
    const W = 640, H = 260, L = 64, R = 16, T = 10, B = 34;
    const c = t.chart;
    const tx = (v) => (c.log_x ? Math.log10(Math.max(v, 1e-12)) : v);
    const ty = (v) => (c.log_y ? Math.log10(Math.max(v, 1e-12)) : v);
    const xs = t.rows.map((r) => tx(r[c.x]));
    const ys = t.rows.flatMap((r) => c.y.map((j) => ty(r[j]))).filter(Number.isFinite);
    let [x0, x1] = [Math.min(...xs), Math.max(...xs)], [y0, y1] = [Math.min(...ys), Math.max(...ys)];
    if (x0 === x1) { x0 -= 1; x1 += 1; }
    if (y0 === y1) { y0 -= 1; y1 += 1; }
    const px = (v) => L + ((v - x0) / (x1 - x0)) * (W - L - R);
    const py = (v) => H - B - ((v - y0) / (y1 - y0)) * (H - T - B);
    const svg = document.createElementNS(NS, "svg");
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    svg.setAttribute("class", "lab-chart");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", `${t.name}: ${c.y.map((j) => t.columns[j]).join(", ")} against ${t.columns[c.x]}`);
    const add = (tag, attrs, text) => {
      const e = document.createElementNS(NS, tag);
      for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
      if (text !== undefined) e.textContent = text;
      svg.append(e);
      return e;
    };
    add("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: "currentColor", "stroke-opacity": "0.5" });
    add("line", { x1: L, y1: T, x2: L, y2: H - B, stroke: "currentColor", "stroke-opacity": "0.5" });
    // x ticks at the settings themselves when there are few, else evenly.
    const xt = xs.length <= 10 ? xs : [0, 1, 2, 3, 4].map((i) => x0 + ((x1 - x0) * i) / 4);
    for (const xv of xt) add("text", { x: px(xv), y: H - B + 14, "text-anchor": "middle", "font-size": "11", fill: "currentColor" }, fmt(c.log_x ? Math.round(10 ** xv * 1000) / 1000 : xv));
    for (let i = 0; i <= 4; i++) {
      const yv = y0 + ((y1 - y0) * i) / 4;
      add("text", { x: L - 4, y: py(yv) + 4, "text-anchor": "end", "font-size": "11", fill: "currentColor" }, fmt(c.log_y ? 10 ** yv : yv));
    }
    add("text", { x: 12, y: (T + H - B) / 2, "text-anchor": "middle", "font-size": "12", fill: "currentColor", transform: `rotate(-90 12 ${(T + H - B) / 2})` }, (c.y_label || "") + (c.log_y ? " (log)" : ""));
    add("text", { x: (L + W - R) / 2, y: H - 4, "text-anchor": "middle", "font-size": "12", fill: "currentColor" }, t.columns[c.x] + (c.log_x ? " (log)" : ""));
    c.y.forEach((j, k) => {
      const pts = t.rows.map((r) => [px(tx(r[c.x])), py(ty(r[j]))]).filter(([, y]) => Number.isFinite(y));
      add("polyline", { points: pts.map((p) => p.join(",")).join(" "), fill: "none", stroke: SERIES[k % SERIES.length], "stroke-width": "2", "stroke-dasharray": k % 2 ? "6 3" : "" });
      if (pts.length <= 16) for (const [x, y] of pts) add("circle", { cx: x, cy: y, r: 3, fill: SERIES[k % SERIES.length] });
    });
    // The legend below the plot, where it hides no line.
    const legend = el("ul", { class: "lab-legend small" });
    c.y.forEach((j, k) => {
      const sw = el("span", { class: "lab-swatch" + (k % 2 ? " dashed" : "") });
      sw.style.borderColor = SERIES[k % SERIES.length];
      legend.append(el("li", {}, sw, t.columns[j]));
    });
    return el("div", {}, svg, legend);
  }

  // The experiment a link or saved scenario asks for runs once the layer is ready.
  async function start() {
    if (!install()) return;
    const lab = $("lab");
    if (lab) build(lab);
    try { await window.ttt.ready; } catch (e) { return; }
    const s = window.ttt.state && window.ttt.state();
    const want = s && s.scenario && s.scenario.experiment;
    if (want && lab) {
      lab.hidden = false;
      if (document.body.dataset.mode === "embed") document.body.classList.add("lab-embed");
      lab.scrollIntoView && document.body.dataset.mode !== "embed" && lab.scrollIntoView();
      run(want.name, want);
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
