// lab.js is the page's experiments: it adds ttt.experiment, ttt.cancel and
// friends to window.ttt (page.js documents them) and draws the Experiments
// panel (#lab): one short paragraph per experiment, a Run and a Cancel
// button, a progress bar, the charts and tables of the result, and its
// JSON and CSV. Every number and every text about an experiment comes from
// package experiment in the Go program, on the reader's GPU or CPU; this
// file only draws them.
"use strict";
(function () {
  // The experiments (name, title, description, defaults) come from the Go
  // registry (experiment.All, through tttCore.experiments) once the layer
  // has loaded; nothing about them is written here.
  let list = [];
  const SERIES = ["var(--after)", "var(--before)", "var(--w0)", "#2da44e", "#8250df", "#bf3989"];

  let progress = { running: false, done: 0, total: 0, what: "" };
  let lastResult = null;
  // Each tab shows only its own experiment's last result (and its CSV),
  // and Run runs the spec a link asked for when autostart capped it.
  const results = {}, csvs = {}, full = {};
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
      results[lastResult.experiment] = lastResult;
      csvs[lastResult.experiment] = await core().experimentCSV();
      return lastResult;
    } finally {
      progress.running = false;
      drawProgress();
    }
  }

  function install() {
    if (!window.ttt) return false;
    Object.defineProperty(window.ttt, "experiments", { get: () => list.map((e) => e.name), enumerable: true, configurable: true });
    Object.assign(window.ttt, {
      experimentInfo: () => JSON.parse(JSON.stringify(list)),
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
    for (const e of list) {
      const b = el("button", { type: "button", role: "tab", id: "lab-tab-" + e.name, "data-exp": e.name, text: e.title });
      b.addEventListener("click", () => choose(e.name));
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
    $("lab-run").addEventListener("click", () => run(chosen, full[chosen]));
    $("lab-cancel").addEventListener("click", () => window.ttt.cancel());
    const shown = () => results[chosen];
    $("lab-json").addEventListener("click", () => shown() && download(`ttt-${chosen}.json`, JSON.stringify(shown(), null, 2), "application/json"));
    $("lab-csv").addEventListener("click", () => shown() && download(`ttt-${chosen}.csv`, csvs[chosen], "text/csv"));
    $("lab-link").addEventListener("click", () => shown() && copy(pageURL("", shown().query)));
    // The embed code of the experiment's link: oEmbed's html for it (page.js, package snippet).
    $("lab-embed").addEventListener("click", () => shown() && window.ttt.embedCode(pageURL("", shown().query)).then(copy, (e) => copy(e.message)));
    $("lab-save").addEventListener("click", () => shown() && save(shown().spec));
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
  // copy shows the text first: a clipboard that never answers (an unfocused
  // or headless page) must not hide it.
  async function copy(text) {
    $("lab-status").textContent = text;
    try { await navigator.clipboard.writeText(text); } catch (e) { /* no clipboard: it is shown */ }
  }
  function download(name, text, type) {
    const a = el("a", { href: URL.createObjectURL(new Blob([text], { type })), download: name });
    document.body.append(a);
    a.click();
    a.remove();
  }

  function choose(name) {
    chosen = name;
    for (const e of list) {
      const t = $("lab-tab-" + e.name);
      if (t) t.setAttribute("aria-selected", e.name === name ? "true" : "false");
    }
    const e = list.find((x) => x.name === name);
    $("lab-what").textContent = e ? e.description : "";
    show(results[name]);
  }

  function drawProgress() {
    const bar = $("lab-progress");
    if (!bar) return;
    if (progress.total > 0) { bar.max = progress.total; bar.value = progress.done; } else if (progress.running) bar.removeAttribute("value");
    $("lab-cancel").disabled = !progress.running;
    $("lab-run").disabled = progress.running;
    if (progress.running) $("lab-status").textContent = progress.total ? `${progress.done} of ${progress.total}: ${progress.what}` : "starting…";
  }

  // run runs an experiment and shows its result on its own tab; capped
  // says that autostart made it smaller than the link asked.
  async function run(name, params, capped) {
    choose(name);
    const backend = $("lab-backend").value;
    try {
      const r = await experiment(name, params, { backend });
      let status = `Done in ${r.seconds.toFixed(1)} s on ${r.backend === "cpu" ? "the CPU backend" : "WebGPU (" + r.adapter + ")"}.`;
      if (capped) status += " This run was capped for autostart; press Run for the full run.";
      else delete full[name];
      if (chosen === name) { $("lab-status").textContent = status; show(r); }
    } catch (err) {
      $("lab-status").textContent = err.message === "cancelled" ? "Cancelled." : "Failed: " + err.message;
    }
  }

  // show draws a result, or clears the panel when there is none (r undefined).
  function show(r) {
    for (const id of ["lab-json", "lab-csv", "lab-link", "lab-embed", "lab-save"]) $(id).disabled = !r;
    const box = $("lab-result");
    box.replaceChildren();
    if (!r) return;
    if (r.headline) box.append(el("p", { class: "lab-headline", id: "lab-headline", text: r.headline }));
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
      // Points that are not in order along x carry their setting (the sweep's b).
      if (c.point_label != null) t.rows.forEach((r) => {
        if (Number.isFinite(ty(r[j]))) add("text", { x: px(tx(r[c.x])) + 5, y: py(ty(r[j])) - 5, "font-size": "11", fill: "currentColor", class: "lab-point" }, `${t.columns[c.point_label]} = ${fmt(r[c.point_label])}`);
      });
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
  // A run that starts by itself is capped to the default run's work
  // (scenario.ExperimentSpec.Autostart): a link cannot make a reader's
  // device run for minutes before they ask; Run then runs the link's spec.
  async function start() {
    if (!install()) return;
    const lab = $("lab");
    try {
      await window.ttt.ready;
      list = JSON.parse(core().experiments());
    } catch (e) {
      if (lab) lab.textContent = "The experiments need the layer, which did not load: " + e.message;
      return;
    }
    if (lab) build(lab);
    const s = window.ttt.state && window.ttt.state();
    const want = s && s.scenario && s.scenario.experiment;
    if (want && lab) {
      lab.hidden = false;
      if (document.body.dataset.mode === "embed") document.body.classList.add("lab-embed");
      lab.scrollIntoView && document.body.dataset.mode !== "embed" && lab.scrollIntoView();
      const auto = JSON.parse(core().autostart(JSON.stringify(want)));
      if (auto.error) { choose(want.name); $("lab-status").textContent = "Failed: " + auto.error; return; }
      if (auto.capped) full[want.name] = want;
      run(want.name, auto.spec, auto.capped);
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
