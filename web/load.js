// load.js fetches the page's Go program (app.wasm) with a progress report,
// instantiates it while it streams in, and runs it. It runs in the document
// that ebiten draws into: view.html (inside index.html) or embed.html.
"use strict";
(function () {
  // The page that shows progress and receives the program's calls: the
  // parent for view.html, this window for embed.html (page.js sets it).
  const host = window.tttHost || (window.tttHost = window.parent);
  const report = (fn, ...args) => { try { if (typeof host[fn] === "function") host[fn](...args); } catch (e) { /* host gone */ } };
  if (typeof WebAssembly !== "object" || typeof WebAssembly.instantiateStreaming !== "function") {
    report("tttFatal", "This browser has no WebAssembly (or no streaming compilation).");
    return;
  }
  async function load() {
    // The manifest names the build and its size before compression, so that
    // progress is right even when the server sends the wasm gzipped.
    let wasmName = "app.wasm", total = 0;
    try {
      const m = await (await fetch("app.json", { cache: "no-cache" })).json();
      wasmName = m.wasm || wasmName;
      total = m.bytes || 0;
    } catch (e) { /* an older build without a manifest: no total */ }
    const resp = await fetch(wasmName);
    if (!resp.ok) throw new Error(`${wasmName}: HTTP ${resp.status}`);
    let loaded = 0;
    const counted = new ReadableStream({
      async start(controller) {
        const reader = resp.body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          loaded += value.byteLength;
          report("tttProgress", loaded, total);
          controller.enqueue(value);
        }
        controller.close();
      },
    });
    const go = new Go();
    const result = await WebAssembly.instantiateStreaming(
      new Response(counted, { headers: { "Content-Type": "application/wasm" } }), go.importObject);
    report("tttProgress", total || loaded, total || loaded);
    // cogentcore/webgpu reads the instance's memory through globalThis.wasm.
    window.wasm = result;
    await go.run(result.instance);
    report("tttFatal", "the Go program stopped");
  }
  load().catch((e) => report("tttFatal", "loading the layer failed: " + (e && e.message ? e.message : e)));
})();
