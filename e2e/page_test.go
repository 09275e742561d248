//go:build !js

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"tttexplainer/demo"
	"tttexplainer/scenario"
	"tttexplainer/site"
	"tttexplainer/ttt"
	"tttexplainer/ttt/golden"
)

// The page's browser tests: they build the page as `make wasm` does, serve
// it with the real site handler (its headers, gzip and CSP included), and
// drive it in headless Chromium through window.ttt, reading numbers rather
// than pixels wherever they can.

var (
	pageOnce sync.Once
	pageDir  string
	pageErr  error
)

// buildPage builds web/ with app.wasm, once per test binary, into a
// directory under the user's cache, one per checkout, that each run overwrites.
func buildPage(t *testing.T) string {
	t.Helper()
	pageOnce.Do(func() {
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = os.TempDir()
		}
		// One directory per checkout: two worktrees testing at once must not
		// serve each other's build.
		wd, _ := os.Getwd()
		dir := filepath.Join(cache, fmt.Sprintf("ttt-page-e2e-%08x", crc32.ChecksumIEEE([]byte(wd))))
		if err := os.RemoveAll(dir); err != nil {
			pageErr = err
			return
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			pageErr = err
			return
		}
		pageDir = dir
		gobin := goTool()
		build := exec.Command(gobin, "build", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(dir, "app.wasm"), "../wasm")
		build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
		if out, err := build.CombinedOutput(); err != nil {
			pageErr = fmt.Errorf("building the page's wasm: %v\n%s", err, out)
			return
		}
		root, err := exec.Command(gobin, "env", "GOROOT").Output()
		if err != nil {
			pageErr = err
			return
		}
		files := map[string]string{"wasm_exec.js": filepath.Join(strings.TrimSpace(string(root)), "lib", "wasm", "wasm_exec.js")}
		for _, name := range []string{"index.html", "view.html", "embed.html", "page.js", "compile.js", "load.js", "style.css", "lab.js", "lab.css", "lm.js"} {
			files[name] = filepath.Join("..", "web", name)
		}
		for name, src := range files {
			data, err := os.ReadFile(src)
			if err != nil {
				pageErr = err
				return
			}
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				pageErr = err
				return
			}
		}
		raw, _ := os.ReadFile(filepath.Join(dir, "app.wasm"))
		var gz bytes.Buffer
		if err := gzipTo(&gz, raw); err != nil {
			pageErr = err
			return
		}
		os.WriteFile(filepath.Join(dir, "app.wasm.gz"), gz.Bytes(), 0o644)
		os.WriteFile(filepath.Join(dir, "app.json"), fmt.Appendf(nil, `{"wasm":"app.wasm","bytes":%d,"gzip":%d}`, len(raw), gz.Len()), 0o644)
	})
	if pageErr != nil {
		t.Fatal(pageErr)
	}
	return pageDir
}

// servePage serves the built page with the site's handler.
func servePage(t *testing.T) *httptest.Server {
	t.Helper()
	dir := buildPage(t)
	store, err := site.OpenBolt(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	srv := httptest.NewServer(site.New(site.Config{Store: store, Assets: site.Dir(dir)}))
	t.Cleanup(srv.Close)
	return srv
}

// browser starts a fresh headless Chromium, with or without WebGPU.
func browser(t *testing.T, webgpu bool) context.Context {
	t.Helper()
	exe := chromium()
	if exe == "" {
		skipOrFail(t, "no chromium on PATH (Debian: apt-get install chromium)")
	}
	opts := append(allocatorOptions(exe, t.TempDir(), webgpu), chromedp.WindowSize(1280, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	start(t, ctx, exe)
	return ctx
}

// eval runs a script (awaiting a Promise) and decodes its JSON result.
func eval[T any](t *testing.T, ctx context.Context, script string) T {
	t.Helper()
	// No single call takes long; a hang fails here rather than at the
	// test binary's timeout.
	tctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	v, err := chromedp.Run(tctx, chromedp.Evaluate[T](script, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: %v", short(script), err)
	}
	return v
}

func short(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}

type readyInfo struct {
	Backend    string `json:"backend"`
	Adapter    string `json:"adapter"`
	Reason     string `json:"reason"`
	GPU        bool   `json:"gpu"`
	GPUMessage string `json:"gpu_message"`
	Notice     string `json:"notice"`
}

type pageState struct {
	T          int       `json:"t"`
	Done       int       `json:"done"`
	Total      int       `json:"total"`
	Point      int       `json:"point"`
	Playing    bool      `json:"playing"`
	Backend    string    `json:"backend"`
	Query      string    `json:"query"`
	LossW0     []float64 `json:"loss_w0"`
	LossBefore []float64 `json:"loss_before"`
	LossAfter  []float64 `json:"loss_after"`
	Checksum   string    `json:"w_checksum"`
	B          int       `json:"b"`
	Occurrence []int     `json:"occurrence"`
	Check      *struct {
		Last, Max float64
	} `json:"check"`
	Scenario map[string]any `json:"scenario"`
	Error    string         `json:"error"`
}

// open navigates to path and waits for ttt.ready and then ttt.gpuReady
// (the GPU probed in the background, the run moved there if it asks for
// it), whose report it returns.
func open(t *testing.T, ctx context.Context, url string) readyInfo {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("navigating to %s: %v", url, err)
	}
	raw, err := chromedp.Run(ctx, chromedp.Poll[bool]("window.ttt !== undefined", chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil || !raw {
		t.Fatalf("no window.ttt on %s: %v", url, err)
	}
	tctx, cancel := context.WithTimeout(ctx, 120*time.Second)
	defer cancel()
	r, err := chromedp.Run(tctx, chromedp.Evaluate[readyInfo](`ttt.ready.then(() => ttt.gpuReady)`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("ttt.ready on %s: %v", url, err)
	}
	// ttt.ready waits for the first frame, which takes the loading picture
	// (web/load.js) away: none may stay over the live canvas.
	if eval[bool](t, ctx, `(() => { const v = document.getElementById("view"), d = v && v.contentDocument; return !!(d && d.querySelector("svg[aria-label^='Loading']")); })()`) {
		t.Errorf("%s: the loading picture is still over the canvas after ttt.ready", url)
	}
	return r
}

// openWebGPU opens url, which asks for the gpu backend, and skips the test
// when the browser has no WebGPU adapter (fails under TTT_REQUIRE_GPU=1).
func openWebGPU(t *testing.T, ctx context.Context, url string) readyInfo {
	t.Helper()
	r := open(t, ctx, url)
	if r.Backend != "webgpu" {
		if requireGPU() {
			t.Fatalf("ttt.ready reports backend %q (%s), want webgpu", r.Backend, r.Reason)
		}
		t.Skipf("no WebGPU adapter in this browser: %s", r.GPUMessage)
	}
	return r
}

func state(t *testing.T, ctx context.Context) pageState {
	t.Helper()
	return eval[pageState](t, ctx, `ttt.state()`)
}

// TestPageWebGPU is the page on SwiftShader's WebGPU: it loads, picks the
// webgpu backend, draws its first frame, replays the reference cases
// on both backends, learns the repeated phrases, draws, and answers the
// keyboard, the URL and an embedding page.
func TestPageWebGPU(t *testing.T) {
	srv := servePage(t)
	ctx := browser(t, true)
	start := time.Now()
	r := open(t, ctx, srv.URL+"/?autoplay=0&backend=gpu")
	t.Logf("ready after %v: %+v", time.Since(start).Round(time.Millisecond), r)
	if r.Backend != "webgpu" {
		if requireGPU() || strings.Contains(r.GPUMessage, "self-test") {
			t.Fatalf("ttt.ready reports backend %q (%s), want webgpu", r.Backend, r.Reason)
		}
		t.Skipf("no WebGPU adapter in this browser: %s", r.GPUMessage)
	}
	if !strings.Contains(strings.ToLower(r.Adapter), "swiftshader") {
		t.Errorf("adapter %q, want SwiftShader's", r.Adapter)
	}
	// The time to the first frame is a budget measured by the page
	// benchmark (docs/BENCHMARKS.md), not asserted here: on two shared cores
	// it depends on what else runs.
	if first := eval[float64](t, ctx, `window.tttTimings.firstFrame`); !(first > 0) {
		t.Errorf("window.tttTimings.firstFrame = %v, want the time of a drawn first frame", first)
	} else {
		t.Logf("first frame %.0f ms after navigation", first)
	}

	// Everything the page loaded, as it came over the wire (compressed).
	weight := eval[float64](t, ctx, `(() => {
		const sum = (w) => w.performance.getEntriesByType("navigation").concat(w.performance.getEntriesByType("resource")).reduce((s, e) => s + (e.transferSize || e.encodedBodySize || 0), 0);
		return sum(window) + sum(document.getElementById("view").contentWindow);
	})()`)
	t.Logf("page weight over the wire: %.2f MB", weight/1e6)
	if weight > 4e6 || weight < 1e6 {
		t.Errorf("page weight %.2f MB, want ≤ 4 MB (and the wasm in it)", weight/1e6)
	}

	t.Run("auto", func(t *testing.T) {
		// auto keeps the CPU over SwiftShader, a software adapter, and says so.
		r := open(t, ctx, srv.URL+"/?autoplay=0")
		shown := eval[string](t, ctx, `document.getElementById("backend").textContent`)
		t.Logf("auto: %s: %s", r.Backend, shown)
		if r.Backend != "cpu" || !strings.Contains(shown, "software") {
			t.Errorf("auto with the software adapter %q: backend %s, the page says %q; want the CPU and why", r.Adapter, r.Backend, shown)
		}
		open(t, ctx, srv.URL+"/?autoplay=0&backend=gpu")
	})

	t.Run("replay", func(t *testing.T) {
		replayGolden(t, nil, []string{"webgpu", "cpu"}, func(script string) string {
			return eval[string](t, ctx, script)
		})
		msg := eval[string](t, ctx, `ttt.replay('{"kind": "linear"}', "webgpu").then(() => "resolved", (e) => e.message)`)
		if !strings.Contains(msg, "inputs") {
			t.Errorf("replaying a bad case: %q, want an error naming the missing field", msg)
		}
	})

	t.Run("repeat", func(t *testing.T) {
		eval[pageState](t, ctx, `ttt.setConfig({input: "repeat", form: "stream"})`)
		eval[pageState](t, ctx, `ttt.setCheck(true)`)
		s := eval[pageState](t, ctx, `ttt.step(300)`)
		if s.T != 300 || s.Backend != "webgpu" || len(s.LossBefore) != 300 {
			t.Fatalf("after step(300): t %d on %s with %d losses", s.T, s.Backend, len(s.LossBefore))
		}
		var before, after, first, again, nf, na float64
		for i := range s.LossBefore {
			before += s.LossBefore[i]
			after += s.LossAfter[i]
			switch o := s.Occurrence[i]; {
			case o == 0:
				first += s.LossBefore[i]
				nf++
			case o > 0:
				again += s.LossBefore[i]
				na++
			}
		}
		t.Logf("300 tokens on webgpu: mean ℓ(W_{t−1}) %.3f, ℓ(W_t) %.3f; first appearances %.3f, repeats %.3f; max |GPU − CPU| %.2e",
			before/300, after/300, first/nf, again/na, s.Check.Max)
		if after > before {
			t.Errorf("mean loss_after %.3f > loss_before %.3f", after/300, before/300)
		}
		if again/na >= first/nf {
			t.Errorf("repeated phrases' loss %.3f is not below their first appearance's %.3f", again/na, first/nf)
		}
		if s.Check == nil || s.Check.Max > 1e-4 {
			t.Errorf("GPU vs CPU while stepping: %+v, want ≤ 1e-4", s.Check)
		}
		eval[pageState](t, ctx, `ttt.setCheck(false)`)

		// Scrubbing back shows the weights of that moment: recomputed from a
		// snapshot, they match those of a run stepped to it.
		type weights struct {
			T int                  `json:"t"`
			W map[string][]float64 `json:"weights"`
		}
		back := eval[weights](t, ctx, `ttt.seek(123).then(() => ttt.state({weights: true}))`)
		eval[pageState](t, ctx, `ttt.reset()`)
		fresh := eval[weights](t, ctx, `ttt.step(123).then(() => ttt.state({weights: true}))`)
		if back.T != 123 || fresh.T != 123 || len(back.W["head0.W"]) != 16*16 {
			t.Fatalf("scrubbed to t %d, stepped to t %d, %d weights", back.T, fresh.T, len(back.W["head0.W"]))
		}
		worst := 0.0
		for k, v := range fresh.W {
			for i := range v {
				worst = max(worst, math.Abs(v[i]-back.W[k][i]))
			}
		}
		t.Logf("W after 123 tokens, scrubbed back vs stepped: max |Δ| = %.2e", worst)
		if worst > 1e-5 {
			t.Errorf("the scrubbed-back W differs from the stepped one by %.2e", worst)
		}
	})

	// Every input preset streams on WebGPU, with every form and both inner
	// models among them, and W moves as it does.
	t.Run("presets", func(t *testing.T) {
		for _, c := range []struct{ config string }{
			{`{input: "recall", form: "stream", model: "linear"}`},
			{`{input: "random", form: "dual", model: "linear"}`},
			{`{input: "prose", form: "primal", model: "mlp"}`},
			{`{input: "text", text: "the owl and the pussy-cat went to sea in a beautiful pea-green boat. ".repeat(4), form: "dual", model: "mlp"}`},
			{`{input: "repeat", form: "naive", b: 1, model: "linear"}`},
		} {
			eval[pageState](t, ctx, `ttt.setConfig(`+c.config+`)`)
			a := eval[pageState](t, ctx, `ttt.step(16)`)
			z := eval[pageState](t, ctx, `ttt.step(32)`)
			if z.Backend != "webgpu" || z.T != 48 || len(z.LossAfter) != 48 || z.Error != "" {
				t.Errorf("%s: t %d on %s with %d losses (%s)", c.config, z.T, z.Backend, len(z.LossAfter), z.Error)
				continue
			}
			for i, l := range z.LossAfter {
				if math.IsNaN(l) || math.IsInf(l, 0) || math.IsNaN(z.LossBefore[i]) {
					t.Errorf("%s: token %d's losses are %v, %v", c.config, i, z.LossBefore[i], l)
					break
				}
			}
			if a.Checksum == z.Checksum {
				t.Errorf("%s: W's checksum %s did not change from t 16 to t 48", c.config, z.Checksum)
			}
			t.Logf("%s: 48 tokens on webgpu, W checksum %s → %s", c.config, a.Checksum, z.Checksum)
		}
		eval[pageState](t, ctx, `ttt.setConfig({input: "repeat", form: "stream", model: "linear", b: 16})`)
	})

	t.Run("draws", func(t *testing.T) {
		eval[pageState](t, ctx, `ttt.reset()`)
		eval[pageState](t, ctx, `ttt.step(20)`)
		a := shot(t, ctx)
		if n := colours(a, a.Bounds()); n < 50 {
			t.Errorf("the canvas shows %d colours: blank?", n)
		}
		// Hovering a weight of head 1 names it and its value.
		// The map sits under its "head 1" label, past the row ticks.
		x, y, ok := labelsOf(t, ctx).find("head 1")
		if !ok {
			t.Fatal("no “head 1” label on the canvas")
		}
		pointer(t, ctx, x+40, y+50)
		hover := eval[string](t, ctx, `document.getElementById("hover").textContent`)
		t.Logf("hover: %q", hover)
		if !strings.Contains(hover, "head 1 W[") || !strings.Contains(hover, "ΔW") {
			t.Errorf("hovering the first heat map shows %q, want head 1's W[r,c] and its last update", hover)
		}
		eval[pageState](t, ctx, `ttt.step("batch")`)
		b := shot(t, ctx)
		// The heat maps sit in the middle band of the canvas.
		band := image.Rect(0, a.Bounds().Dy()*25/100, a.Bounds().Dx(), a.Bounds().Dy()*50/100)
		if d := differ(a, b, band); d < 100 {
			t.Errorf("the heat-map band changed in %d pixels between two steps", d)
		} else {
			t.Logf("the heat-map band changed in %d pixels", d)
		}
	})

	t.Run("keyboard", func(t *testing.T) {
		// Keys drive the page the same way on any backend. While it plays on
		// SwiftShader's WebGPU the page's thread stalls for long stretches
		// (docs/BENCHMARKS.md, "The page"), and a pause key can then wait
		// past this test's deadline, so the keys are tested on the CPU.
		eval[pageState](t, ctx, `ttt.setBackend("cpu")`)
		eval[pageState](t, ctx, `ttt.reset()`)
		key := func(k string, opts ...chromedp.KeyOption) {
			if err := chromedp.Do(ctx, chromedp.KeyEvent(k, opts...)); err != nil {
				t.Fatal(err)
			}
		}
		eval[bool](t, ctx, `document.activeElement.blur(), window.keys = [], document.addEventListener("keydown", (e) => window.keys.push(e.key)), true`)
		key(kb.ArrowRight)
		t.Logf("keys seen: %v", eval[[]string](t, ctx, `window.keys`))
		waitFor(t, ctx, "t == 1", func(s pageState) bool { return s.T == 1 })
		key(kb.ArrowRight, chromedp.KeyModifiers(chromedp.ModifierShift))
		waitFor(t, ctx, "t == b", func(s pageState) bool { return s.T == s.B })
		key(" ")
		waitFor(t, ctx, "playing", func(s pageState) bool { return s.Playing })
		key(" ")
		waitFor(t, ctx, "paused", func(s pageState) bool { return !s.Playing })
		summary := eval[string](t, ctx, `document.getElementById("summary").textContent`)
		if !strings.Contains(summary, "Token") {
			t.Errorf("the live summary reads %q", summary)
		}
	})

	t.Run("url", func(t *testing.T) {
		eval[pageState](t, ctx, `ttt.setConfig({model: "mlp", b: 8, seed: 7, input: "prose"})`)
		loc := eval[string](t, ctx, `location.search`)
		for _, want := range []string{"model=mlp", "b=8", "seed=7", "input=prose"} {
			if !strings.Contains(loc, want) {
				t.Errorf("location.search = %q, want %s in it", loc, want)
			}
		}
		open(t, ctx, srv.URL+"/"+loc)
		s := state(t, ctx)
		if s.Scenario["model"] != "mlp" || s.Scenario["b"] != 8.0 || s.Scenario["seed"] != 7.0 || s.Scenario["input"] != "prose" {
			t.Errorf("after reloading %s: scenario %v", loc, s.Scenario)
		}
		// A saved scenario: the site's /s/{id} page carries it as JSON.
		saved := eval[map[string]any](t, ctx, `fetch("/api/scenarios", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({model: "linear", form: "dual", b: 4, lr: 0.5, width: "medium", ln: false, seed: 3, input: "text", text: "to be or not to be , that is the question", backend: "cpu", speed: 5})}).then((r) => r.json())`)
		open(t, ctx, fmt.Sprint(saved["url"]))
		s = state(t, ctx)
		if s.Scenario["form"] != "dual" || s.Scenario["b"] != 4.0 || s.Scenario["input"] != "text" || s.Total != 11 || s.Backend != "cpu" {
			t.Errorf("the saved scenario %v opened as %v (%d tokens on %s)", saved["url"], s.Scenario, s.Total, s.Backend)
		}
		r := open(t, ctx, srv.URL+"/?b=99&autoplay=0")
		if !strings.Contains(r.Notice, "b: 99") {
			t.Errorf("a link with b=99: notice %q, want one naming b", r.Notice)
		}
		shown := eval[string](t, ctx, `document.getElementById("error").textContent`)
		if !strings.Contains(shown, "b: 99") {
			t.Errorf("the page shows %q for b=99", shown)
		}
		msg := eval[string](t, ctx, `ttt.setConfig({lr: -1}).then(() => "resolved", (e) => e.message)`)
		if !strings.Contains(msg, "lr") {
			t.Errorf("setConfig({lr: -1}): %q, want an error naming lr", msg)
		}
	})

	t.Run("play-ahead", func(t *testing.T) {
		// Playing at top speed computes ahead in chunks; pausing, seeking
		// and stepping meanwhile keep every readout on one t, and the run
		// ends with the CPU's losses at every token.
		if r := open(t, ctx, srv.URL+"/?autoplay=0&speed=1000&backend=gpu"); r.Backend != "webgpu" {
			t.Fatalf("backend %s (%s), want webgpu", r.Backend, r.Reason)
		}
		eval[pageState](t, ctx, `ttt.setCheck(true)`)
		s := eval[pageState](t, ctx, `ttt.play().then(() => ttt.pause()).then(() => ttt.seek(5)).then(() => ttt.step(3))`)
		if s.T != 8 || s.Playing || s.Done < 8 {
			t.Fatalf("play, pause, seek(5), step(3): t %d (done %d), playing %v", s.T, s.Done, s.Playing)
		}
		eval[pageState](t, ctx, `ttt.play()`)
		ok, err := chromedp.Run(ctx, chromedp.Poll[bool](`(() => { const s = ttt.state(); return !s.playing && s.t === s.total; })()`,
			chromedp.WithPollingTimeout(5*time.Minute), chromedp.WithPollingInterval(200*time.Millisecond)))
		if err != nil || !ok {
			t.Fatalf("playing to the end: %v (state %+v)", err, state(t, ctx))
		}
		s = state(t, ctx)
		shown := eval[string](t, ctx, `document.getElementById("scrub-out").textContent + " | " + document.getElementById("summary").textContent`)
		if !strings.HasPrefix(shown, fmt.Sprintf("%d / %d", s.T, s.Total)) || !strings.Contains(shown, fmt.Sprintf("Token %d of %d", s.T, s.Total)) {
			t.Errorf("at t %d the scrubber and summary read %q", s.T, shown)
		}
		ref := cpuLosses(t, s.Scenario)
		worst := 0.0
		for i := range ref {
			worst = max(worst, math.Abs(s.LossBefore[i]-ref[i]))
		}
		t.Logf("played %d tokens at top speed on %s: max |ℓ(W_{t−1}) − CPU| = %.2e, check %+v", s.T, s.Backend, worst, s.Check)
		if len(s.LossBefore) != len(ref) || worst > 1e-4 || s.Check == nil || s.Check.Max > 1e-4 {
			t.Errorf("after playing: %d losses (want %d), max |Δ| %.2e, check %+v", len(s.LossBefore), len(ref), worst, s.Check)
		}
		eval[pageState](t, ctx, `ttt.setCheck(false)`)
		eval[pageState](t, ctx, `ttt.setConfig({speed: 20})`)
	})

	t.Run("speed", func(t *testing.T) {
		// Timings for docs/BENCHMARKS.md; slow on SwiftShader, so only on request.
		if os.Getenv("TTT_BROWSER_BENCH") != "1" {
			t.Skip("set TTT_BROWSER_BENCH=1 to time playing in the page")
		}
		open(t, ctx, srv.URL+"/?autoplay=0")
		for _, c := range []struct{ backend, form, model string }{
			{"gpu", "stream", "linear"}, {"gpu", "dual", "linear"}, {"cpu", "stream", "linear"}, {"cpu", "stream", "mlp"},
		} {
			eval[pageState](t, ctx, fmt.Sprintf(`ttt.setConfig({backend: %q, form: %q, model: %q, speed: 1000})`, c.backend, c.form, c.model))
			s := eval[pageState](t, ctx, `ttt.step(64)`) // warm: pipelines, first draws
			// Playing at the top speed: what a reader sees, drawing included.
			played := eval[float64](t, ctx, `(async () => {
				const t0 = ttt.state().t, p0 = performance.now();
				await ttt.play();
				await new Promise((r) => setTimeout(r, 1500));
				await ttt.pause();
				return (ttt.state().t - t0) / ((performance.now() - p0) / 1000);
			})()`)
			tps := eval[float64](t, ctx, `ttt.state().tokens_per_s`)
			t.Logf("%-6s %-6s %-6s: plays %.0f tokens/s with drawing; computes %.0f tokens/s", s.Backend, c.form, c.model, played, tps)
			if played <= 0 || tps <= 0 {
				t.Errorf("%+v: plays %.0f, computes %.0f tokens/s", c, played, tps)
			}
		}
	})

	t.Run("device-loss", func(t *testing.T) {
		// A GPU that goes away mid-run: the run moves to the CPU, says why,
		// keeps its history and goes on with the same numbers.
		r := open(t, ctx, srv.URL+"/?autoplay=0&backend=gpu")
		if r.Backend != "webgpu" {
			t.Fatalf("backend %s before the loss", r.Backend)
		}
		before := eval[pageState](t, ctx, `ttt.step(40)`)
		eval[pageState](t, ctx, `ttt.simulateDeviceLoss()`)
		after := eval[pageState](t, ctx, `ttt.step(40)`)
		reason := eval[string](t, ctx, `ttt.state().reason`)
		t.Logf("after the loss: %s, t %d: %s", after.Backend, after.T, reason)
		if after.Backend != "cpu" || after.T != 80 || !strings.Contains(reason, "moved to the CPU") {
			t.Errorf("after losing the GPU: backend %s, t %d, reason %q", after.Backend, after.T, reason)
		}
		for i := range before.LossBefore {
			if after.LossBefore[i] != before.LossBefore[i] {
				t.Fatalf("token %d's loss changed from %v to %v: the history was not kept", i, before.LossBefore[i], after.LossBefore[i])
			}
		}
		shown := eval[string](t, ctx, `document.getElementById("backend").textContent`)
		if !strings.Contains(shown, "CPU") || !strings.Contains(shown, "failed") {
			t.Errorf("the page says %q about its backend after the loss", shown)
		}
	})

	t.Run("embed", func(t *testing.T) {
		// A host page on another origin frames the embed view, reads its
		// height and steps it through postMessage.
		embedURL := srv.URL + "/embed.html?autoplay=0&input=recall"
		host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `<!doctype html><iframe id="f" src="%s" width="800" height="520"></iframe><script>
window.msgs = [];
addEventListener("message", (e) => window.msgs.push(e.data));
window.callTTT = (method, args) => new Promise((resolve) => {
  const id = Math.random();
  addEventListener("message", function h(e) { if (e.data && e.data.ttt === "reply" && e.data.id === id) { removeEventListener("message", h); resolve(e.data); } });
  document.getElementById("f").contentWindow.postMessage({ttt: "call", id, method, args}, "*");
});
</script>`, embedURL)
		}))
		defer host.Close()
		// index.html?embed=1 is the same-origin way to the embed view.
		open(t, ctx, srv.URL+"/?embed=1&autoplay=0&seed=5")
		if p := eval[string](t, ctx, `location.pathname + location.search`); !strings.HasPrefix(p, "/embed.html") || !strings.Contains(p, "seed=5") {
			t.Errorf("/?embed=1 led to %s, want the embed view with the scenario", p)
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(host.URL)); err != nil {
			t.Fatal(err)
		}
		ok, err := chromedp.Run(ctx, chromedp.Poll[bool](`window.msgs.some((m) => m && m.ttt === "ready")`, chromedp.WithPollingTimeout(120*time.Second)))
		if err != nil || !ok {
			t.Fatalf("the embedded page never posted ready: %v", err)
		}
		h := eval[float64](t, ctx, `Math.max(...window.msgs.filter((m) => m.ttt === "height").map((m) => m.height))`)
		if h < 300 || h > 2000 {
			t.Errorf("the embed posted height %v", h)
		}
		reply := eval[map[string]any](t, ctx, `callTTT("step", [30])`)
		res, _ := reply["result"].(map[string]any)
		if reply["ok"] != true || res["t"] != 30.0 {
			t.Errorf("step through postMessage: %v", reply)
		}
		bad := eval[map[string]any](t, ctx, `callTTT("setConfig", [{b: 0}])`)
		if bad["ok"] != false || !strings.Contains(fmt.Sprint(bad["error"]), "b") {
			t.Errorf("a bad setConfig through postMessage: %v", bad)
		}
	})
}

// TestPageCPUFallback: without --enable-unsafe-webgpu Chromium has no
// adapter; the page runs on the CPU, says why, and still replays and learns.
func TestPageCPUFallback(t *testing.T) {
	srv := servePage(t)
	ctx := browser(t, false)
	r := open(t, ctx, srv.URL+"/?autoplay=0")
	t.Logf("ready: %+v", r)
	checkCPUFallback(t, r, func(script string) string { return eval[string](t, ctx, script) })
	data, _ := golden.Read("linear_T64_b16_dual")
	c, _ := ttt.DecodeCase(data)
	raw := eval[string](t, ctx, fmt.Sprintf(`ttt.replay(%s, "cpu").then(JSON.stringify)`, jsString(string(data))))
	got, err := ttt.DecodeOutput([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ttt.Compare(got, c.Want, ttt.AbsTol, ttt.RelTol) {
		if !d.OK() {
			t.Error(d)
		}
	}
	msg := eval[string](t, ctx, fmt.Sprintf(`ttt.replay(%s, "webgpu").then(() => "resolved", (e) => e.message)`, jsString(string(data))))
	if !strings.Contains(msg, "no usable GPU") {
		t.Errorf("replay on webgpu without one: %q", msg)
	}
	s := eval[pageState](t, ctx, `ttt.step(100)`)
	if s.T != 100 || s.Backend != "cpu" {
		t.Errorf("after step(100): t %d on %s", s.T, s.Backend)
	}
}

// cpuLosses is ℓ(W_{t−1}) of every token of a scenario (from the page's
// state), averaged over the heads, computed natively on the CPU.
func cpuLosses(t *testing.T, sc map[string]any) []float64 {
	t.Helper()
	r := cpuRunner(t, sc)
	defer r.Close()
	for {
		ok, err := r.Step()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
	}
	out := make([]float64, r.T)
	for i := range out {
		_, _, out[i], _ = demo.MeanLoss(r.L[i])
	}
	return out
}

func waitFor(t *testing.T, ctx context.Context, what string, ok func(pageState) bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if s := state(t, ctx); ok(s) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("waiting for %s: state %+v", what, state(t, ctx))
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// shot screenshots the canvas frame after two animation frames.
func shot(t *testing.T, ctx context.Context) image.Image {
	t.Helper()
	eval[bool](t, ctx, `new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(() => r(true), 100))))`)
	buf, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.ID("view")))
	if err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("TTT_SHOTS"); dir != "" {
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("page-%d.png", time.Now().UnixNano())), buf, 0o644)
	}
	img, err := png.Decode(bytes.NewReader(buf))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func colours(img image.Image, r image.Rectangle) int {
	seen := map[[3]uint32]bool{}
	for y := r.Min.Y; y < r.Max.Y; y += 2 {
		for x := r.Min.X; x < r.Max.X; x += 2 {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			seen[[3]uint32{cr >> 8, cg >> 8, cb >> 8}] = true
		}
	}
	return len(seen)
}

func differ(a, b image.Image, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			ar, ag, ab, _ := a.At(x, y).RGBA()
			br, bg, bb, _ := b.At(x, y).RGBA()
			if math.Abs(float64(ar)-float64(br))+math.Abs(float64(ag)-float64(bg))+math.Abs(float64(ab)-float64(bb)) > 3*256 {
				n++
			}
		}
	}
	return n
}

// cpuRunner is the native CPU run of a scenario given as the page's JSON.
func cpuRunner(t *testing.T, sc map[string]any) *demo.Runner {
	t.Helper()
	raw, _ := json.Marshal(sc)
	s, err := scenario.DecodeJSON(raw)
	if err != nil {
		t.Fatal(err)
	}
	r, err := demo.NewRunner(s, demo.CPU{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}
