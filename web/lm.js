// lm.js is the page's language-model mode: the mode switch, the text box
// and its presets, the character scrubber and the sentence under the
// canvas. It only calls window.ttt (page.js: lm, lmSeek, lmState, setMode);
// the Go program draws the view. ?mode=lm&lmtext=… (or &text=…; and
// lmmodel, lmbackend) opens the mode on a text, in the page and in
// embed.html, and so does a saved scenario with an lm field (/s/{id},
// /e/{id}), which "Save short link" writes in this mode.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  // Read before page.js rewrites the address with the layer's scenario.
  const initial = new URLSearchParams(location.search);
  const presets = {
    moby: "Call me Ishmael. Some years ago—never mind how long precisely—having little or no money in my purse, and nothing particular to interest me on shore, I thought I would sail about a little and see the watery part of the world.",
    // A passage of lm/testdata/passages.txt (written for the model card,
    // not from Moby-Dick), then a newline, then the same passage again.
    twice: "The kettle on the stove began to sing just as the lamps came on across the valley, and the children ran in from the orchard.\nThe kettle on the stove began to sing just as the lamps came on across the valley, and the children ran in from the orchard.",
    // 32 random lowercase letters, then a newline, then the same letters:
    // nothing but the first reading predicts the second.
    letters: "oryooqsgfzqputzfdojecrzwubtmouxt\noryooqsgfzqputzfdojecrzwubtmouxt",
    repeat: "The whale rose from the deep sea. The captain watched it from the deck. The whale rose from the deep sea. The captain watched it from the deck.",
    names: "Queequeg and Starbuck and Stubb and Flask. Ahab! Queequeg and Starbuck and Stubb and Flask. Ahab!",
  };
  let mode = "layer";
  let last = null; // the latest LM frame summary
  let opts = { model: initial.get("lmmodel") || "pretrained", backend: initial.get("lmbackend") || "auto" };

  function show(msg) {
    const e = $("lm-error") || $("error");
    if (!e) return;
    e.textContent = msg;
    e.style.overflowWrap = "anywhere"; // a long message wraps instead of widening the page
    e.hidden = !msg;
  }

  function lmQuery(text) {
    const q = new URLSearchParams({ mode: "lm", lmtext: text });
    if (opts.model !== "pretrained") q.set("lmmodel", opts.model);
    if (opts.backend !== "auto") q.set("lmbackend", opts.backend);
    return q.toString();
  }
  function syncURL(text) {
    const embed = document.body.dataset.mode === "embed";
    history.replaceState(null, "", (embed ? "/embed.html" : "/") + "?" + lmQuery(text));
    const link = $("link");
    if (link) link.value = location.origin + "/?" + lmQuery(text);
  }

  async function setMode(m) {
    mode = m;
    document.body.dataset.view = m;
    document.querySelectorAll("[data-for-mode]").forEach((el) => { el.hidden = el.dataset.forMode !== m; });
    document.querySelectorAll("#mode-switch button").forEach((b) => b.setAttribute("aria-pressed", b.dataset.mode === m ? "true" : "false"));
    if (m === "lm") await window.ttt.pause().catch(() => {});
    await window.ttt.setMode(m);
  }

  async function read(text) {
    show("");
    const box = $("lm-text");
    if (box && box.value !== text) box.value = text;
    try {
      await setMode("lm");
      await window.ttt.lm(text, opts);
      syncURL(text);
    } catch (e) {
      show(e.message);
    }
  }

  function pct(p) { return (100 * p).toFixed(1) + "%"; }
  function ch(c) { return c === "\n" ? "↵" : c === " " ? "space" : c; }

  // The Go program calls this after each LM frame.
  window.tttOnLMFrame = (json) => {
    last = JSON.parse(json);
    const f = last;
    const scrub = $("lm-scrub") || (document.body.dataset.mode === "embed" ? $("scrub") : null);
    if (scrub && document.activeElement !== scrub) { scrub.max = String(f.total); scrub.value = String(f.t); }
    if ($("lm-scrub-out")) $("lm-scrub-out").textContent = `${f.t} / ${f.total}`;
    let s;
    if (f.error) s = f.error;
    else if (f.done < f.total) s = `Reading: ${f.done} of ${f.total} characters.`;
    else {
      s = `After character ${f.t} of ${f.total}`;
      if (f.char !== undefined) s += ` (“${ch(f.char)}”)`;
      if (f.top) s += `, the model expects ${f.top.slice(0, 3).map((p) => `“${ch(p.char)}” ${pct(p.p)}`).join(", ")}`;
      if (f.next !== undefined) s += `; “${ch(f.next)}” came, loss ${f.loss.toFixed(2)} nats (${(f.loss / Math.LN2).toFixed(2)} bits)`;
      s += ".";
      if (f.bits_per_char !== undefined) s += ` The whole text: ${f.bits_per_char.toFixed(3)} bits per character.`;
    }
    const r = f.readings;
    if (r && r.first_loss != null && r.second_loss != null) {
      s += ` Read twice: the first reading cost ${r.first_loss.toFixed(2)} nats per character, the second ${r.second_loss.toFixed(2)}` +
        (r.first_loss > r.second_loss ? ` (${(r.first_loss - r.second_loss).toFixed(2)} less: the TTT layers' W learnt the passage the first time).` : ` (no less: nothing learnt from the first reading carried over).`);
    }
    s += f.backend === "cpu" ? ` Running on the CPU (${f.reason}).` : ` Running on WebGPU: ${f.adapter}.`;
    if (f.backend !== "cpu" && /fallback|swiftshader|llvmpipe/i.test(f.adapter)) s += " This is a software adapter: the CPU backend reads faster here.";
    const out = $("lm-summary") || $("summary");
    if (out) out.textContent = s;
    if (f.error) show(f.error);
  };

  function wire() {
    const sw = $("mode-switch");
    if (sw) sw.addEventListener("click", (e) => {
      const b = e.target.closest("button[data-mode]");
      if (!b) return;
      if (b.dataset.mode === "lm") read(($("lm-text") && $("lm-text").value) || presets.letters);
      else setMode("layer").catch((err) => show(err.message));
    });
    const preset = $("lm-preset");
    if (preset) preset.addEventListener("change", () => {
      if (presets[preset.value]) { $("lm-text").value = presets[preset.value]; read(presets[preset.value]); }
    });
    document.querySelectorAll('a[href="#formulas"]').forEach((a) => a.addEventListener("click", () => { const d = $("formulas"); if (d) d.open = true; }));
    const run = $("lm-run");
    if (run) run.addEventListener("click", () => read($("lm-text").value));
    const be = $("lm-backend");
    if (be) { be.value = opts.backend; be.addEventListener("change", () => { opts.backend = be.value; read($("lm-text").value); }); }
    // Play moves the scrubber through the characters (the text is already
    // read; each step shows that character's prediction and W). The embed
    // has no LM bar: in LM mode its Play, → and scrubber drive the LM.
    const embed = document.body.dataset.mode === "embed";
    let timer = null;
    const play = $("lm-play") || (embed ? $("play") : null);
    const stop = () => { clearInterval(timer); timer = null; if (play) play.textContent = "Play"; };
    // Listening on the document in the capture phase runs before the
    // layer's own Play handler (page.js), which must not see the click.
    if (play) document.addEventListener("click", (e) => {
      if (mode !== "lm" || !e.target.closest || e.target.closest("button") !== play) return;
      e.stopPropagation();
      if (timer || !last) { stop(); return; }
      let t = last.t >= last.total ? 0 : last.t;
      play.textContent = "Pause";
      timer = setInterval(() => {
        if (mode !== "lm" || !last || t >= last.done) { stop(); return; }
        window.ttt.lmSeek(++t).catch(stop);
      }, 50);
    }, true);
    if (embed) {
      const step = $("step");
      if (step) step.addEventListener("click", (e) => {
        if (mode !== "lm" || !last) return;
        e.stopImmediatePropagation();
        window.ttt.lmSeek(last.t + 1).catch((err) => show(err.message));
      }, true);
      const es = $("scrub");
      if (es) es.addEventListener("input", (e) => {
        if (mode !== "lm") return;
        e.stopImmediatePropagation();
        window.ttt.lmSeek(Number(es.value)).catch((err) => show(err.message));
      }, true);
    }
    const scrub = $("lm-scrub");
    if (scrub) scrub.addEventListener("input", () => window.ttt.lmSeek(Number(scrub.value)).catch((err) => show(err.message)));
    // In LM mode the arrow keys move through the characters, and the share
    // buttons share the LM's address.
    document.addEventListener("keydown", (e) => {
      if (mode !== "lm" || !last) return;
      const t = e.target;
      if (t && /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName)) return;
      if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
        e.preventDefault();
        e.stopImmediatePropagation();
        window.ttt.lmSeek(last.t + (e.key === "ArrowRight" ? 1 : -1)).catch(() => {});
      }
    }, true);
    // Save short link: the layer's scenario with this text as its lm, so
    // /s/{id} and /e/{id} open this mode on it.
    const save = $("save");
    if (save) save.addEventListener("click", async (e) => {
      if (mode !== "lm" || !$("lm-text")) return;
      e.stopImmediatePropagation();
      const st = window.ttt.state();
      const body = Object.assign({}, st && st.scenario, { experiment: undefined, lm: { text: $("lm-text").value, model: opts.model, backend: opts.backend } });
      try {
        const resp = await fetch("/api/scenarios", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
        const out = await resp.json().catch(() => ({}));
        if (!resp.ok) throw new Error(`saving failed: ${out.error || resp.status}`);
        navigator.clipboard.writeText(out.url).catch(() => {});
        const link = $("link");
        if (link) { link.value = out.url; link.select(); }
        save.textContent = "Saved and copied";
        setTimeout(() => { save.textContent = "Save short link"; }, 2000);
      } catch (err) {
        show(err.message);
      }
    }, true);
    for (const id of ["copy", "copy-embed"]) {
      const b = $(id);
      if (b) b.addEventListener("click", (e) => {
        if (mode !== "lm" || !$("lm-text")) return;
        e.stopImmediatePropagation();
        const page = `${location.origin}/?${lmQuery($("lm-text").value)}`;
        // The embed code is oEmbed's html for the page's link (page.js, package snippet).
        (id === "copy" ? Promise.resolve(page) : window.ttt.embedCode(page)).then((text) => {
          navigator.clipboard.writeText(text).catch(() => {});
          const link = $("link");
          if (link) { link.value = text; link.select(); }
        }, (err) => show(err.message));
      }, true);
    }
    if (initial.get("mode") === "lm") {
      window.ttt.ready.then(() => read(initial.get("lmtext") || initial.get("text") || presets.letters)).catch(() => {});
    } else {
      // A saved scenario (/s/{id}, /e/{id}) with an lm field.
      window.ttt.ready.then(() => {
        const st = window.ttt.state();
        const spec = st && st.scenario && st.scenario.lm;
        if (!spec) return;
        if (spec.model) opts.model = spec.model;
        if (spec.backend) opts.backend = spec.backend === "gpu" ? "webgpu" : spec.backend;
        const be = $("lm-backend");
        if (be) be.value = opts.backend;
        return read(spec.text);
      }).catch(() => {});
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", wire);
  else wire();
})();
