// load.js instantiates the page's Go program, compiled by compile.js, and
// runs it. It runs in the document that ebiten draws into: view.html
// (inside index.html or embed.html).
"use strict";
(function () {
  // The page that shows progress and receives the program's calls: the
  // parent for view.html, this window for embed.html (page.js sets it).
  const host = window.tttHost || (window.tttHost = window.parent);
  const report = (fn, ...args) => { try { if (typeof host[fn] === "function") host[fn](...args); } catch (e) { /* host gone */ } };
  // Where loading's time goes, on the host's clock (the page benchmark
  // prints these beside ttt.ready).
  const stamp = (name) => { try { if (host.tttTimings) host.tttTimings[name] = host.performance.now(); } catch (e) { /* host gone */ } };
  stamp("loaderStart");
  if (!window.tttTimings && host === window) window.tttTimings = {};
  // A still picture in the canvas's place while the program loads: the
  // shape of what it will draw (a strip of tokens coloured by loss, each
  // head's W as a heat map, the loss curves), marked as a preview. The Go
  // program's first frame replaces it (tttDrew below), whichever of the
  // two comes first: a CI run once found the picture still over the live
  // canvas when the page's own handler had removed it on the first frame.
  let drew = false;
  window.tttDrew = () => {
    drew = true;
    if (window.tttFirstPicture) { window.tttFirstPicture.remove(); window.tttFirstPicture = null; }
  };
  function firstPicture() {
    if (drew) return;
    const NS = "http://www.w3.org/2000/svg";
    const dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
    const ink = dark ? "#c9d1d9" : "#24292f", bg = dark ? "#0d1117" : "#ffffff";
    const svg = document.createElementNS(NS, "svg");
    svg.setAttribute("viewBox", "0 0 800 500");
    svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", "Loading: a preview of the layer's view");
    svg.style.cssText = `position:fixed;inset:0;width:100%;height:100%;background:${bg};z-index:1`;
    const el = (name, attrs, text) => {
      const e = document.createElementNS(NS, name);
      for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
      if (text) e.textContent = text;
      svg.appendChild(e);
      return e;
    };
    // A fixed pseudo-random sequence: the same picture on every load.
    let seed = 7;
    const rnd = () => { seed = (seed * 16807) % 2147483647; return seed / 2147483647; };
    const hue = (v) => `hsl(${Math.round(120 - 120 * v)} 55% ${dark ? 35 : 75}%)`;
    for (let i = 0; i < 14; i++) el("rect", { x: 10 + i * 56, y: 12, width: 50, height: 24, rx: 4, fill: hue(rnd()) });
    for (let h = 0; h < 2; h++) {
      const x0 = 10 + h * 395, n = 16, c = 220 / n;
      for (let r = 0; r < n; r++) for (let k = 0; k < n; k++) {
        const v = rnd() * 2 - 1;
        el("rect", { x: x0 + k * c, y: 56 + r * c, width: c - 1, height: c - 1, fill: v > 0 ? `rgba(200,60,50,${v})` : `rgba(50,90,200,${-v})` });
      }
      el("text", { x: x0 + 230, y: 70, fill: ink, "font-size": 14, "font-family": "sans-serif" }, `head ${h + 1}: W`);
    }
    const curve = (y0, fall, colour) => {
      let d = "";
      for (let i = 0; i <= 60; i++) d += `${i ? "L" : "M"}${10 + i * 13} ${y0 + fall * (1 - Math.exp(-i / 15)) + 6 * (rnd() - 0.5)}`;
      el("path", { d, fill: "none", stroke: colour, "stroke-width": 2 });
    };
    curve(330, 0, "#888888");
    curve(340, 90, "#e36209");
    curve(360, 100, "#2da44e");
    el("text", { x: 400, y: 480, fill: ink, "font-size": 18, "font-family": "sans-serif", "text-anchor": "middle" }, "Loading the layer… (a preview: the numbers come when it runs)");
    window.tttFirstPicture = svg;
    (document.body || document.documentElement).appendChild(svg);
  }
  if (document.body) firstPicture(); else document.addEventListener("DOMContentLoaded", firstPicture);

  // The Go program rasterises its labels on a 2D canvas (wasm/text.go), and
  // the first use of a font, and of each character that needs a fallback
  // font (subscripts, ℓ, Δ), costs the browser a lookup. Doing those here,
  // while the program downloads and compiles off the main thread, takes
  // them off the first frame.
  function warmFonts() {
    const c = document.createElement("canvas").getContext("2d");
    const sample = "Wₜ₋₁ ℓ(W₀; xₜ) − Δ→…±↵∂”“ᵀ×◂␣↓←ₛₑ⁰ᵣ· 0123456789.,+-e abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    for (const w of ["400", "600"]) {
      c.font = `${w} 100px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif`;
      c.measureText(sample);
      c.fillText(sample, 0, 50);
    }
  }
  setTimeout(warmFonts, 0);
  // The Go program's text (wasm/text.go) is drawn at 100px scaled by k to
  // its size, so that the browser needs only the two fonts warmed above; a
  // row of labels at a time, to save calls from Go.
  window.tttFillRow = (ctx, texts, xs, y, k) => {
    ctx.setTransform(k, 0, 0, k, 0, 0);
    for (let i = 0; i < texts.length; i++) ctx.fillText(texts[i], xs[i] / k, y / k);
    ctx.setTransform(1, 0, 0, 1, 0, 0);
  };

  async function load() {
    // compile.js started the download and compilation in the page (or in
    // this frame when it is opened on its own).
    let pending = window.tttModule;
    try { if (host !== window && host.tttModule) pending = host.tttModule; } catch (e) { /* host gone */ }
    if (!pending) throw new Error("compile.js did not run");
    const mod = await pending;
    const go = new Go();
    const instance = await WebAssembly.instantiate(mod, go.importObject);
    stamp("wasmInstantiated");
    // cogentcore/webgpu reads the instance's memory through globalThis.wasm.
    window.wasm = { module: mod, instance };
    await go.run(instance);
    report("tttFatal", "the Go program stopped");
  }
  load().catch((e) => report("tttFatal", "loading the layer failed: " + (e && e.message ? e.message : e)));
})();
