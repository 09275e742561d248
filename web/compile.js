// compile.js fetches the page's Go program (app.<hash>.wasm, named by the
// manifest app.json) and compiles it while it streams in, reporting
// progress. It runs in the head of index.html and embed.html, so that the
// download starts as the page starts, not once the canvas's frame
// (view.html) has loaded its scripts; load.js in that frame instantiates
// the compiled module and runs it. Opened on its own, view.html runs it
// itself.
"use strict";
(function () {
  if (window.parent !== window) {
    try { if (window.parent.tttModule) return; } catch (e) { /* another origin: compile here */ }
  }
  const timings = window.tttTimings || (window.tttTimings = {});
  const stamp = (name) => { timings[name] = performance.now(); };
  const progress = (loaded, total) => { if (typeof window.tttProgress === "function") window.tttProgress(loaded, total); };
  async function compile() {
    if (typeof WebAssembly !== "object" || typeof WebAssembly.compileStreaming !== "function") {
      throw new Error("This browser has no WebAssembly (or no streaming compilation).");
    }
    stamp("compileStart");
    // The manifest gives the build's name and its size before compression,
    // so that progress is right even when the server sends it gzipped.
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
          progress(loaded, total);
          controller.enqueue(value);
        }
        stamp("wasmFetched");
        controller.close();
      },
    });
    const mod = await WebAssembly.compileStreaming(new Response(counted, { headers: { "Content-Type": "application/wasm" } }));
    stamp("wasmCompiled");
    progress(total || loaded, total || loaded);
    return mod;
  }
  window.tttModule = compile();
  window.tttModule.catch(() => {}); // load.js reports it
})();
