//go:build !js

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"tttexplainer/demo"
	"tttexplainer/e2e/bidi"
	"tttexplainer/scenario"
	"tttexplainer/ttt"
)

// The page in a second browser: Debian's firefox-esr on a virtual display
// (Xvfb), driven over WebDriver BiDi by e2e/bidi (no driver binary, no
// downloaded browser). The numbers it reads are held to the same
// references as in Chromium.

// firefoxShot is where TTT_UPDATE_SHOTS=1 writes the first screen.
const firefoxShot = "../docs/firefox-first-screen.png"

func firefoxExe() string {
	if p := os.Getenv("TTT_FIREFOX"); p != "" {
		return p
	}
	for _, name := range []string{"firefox-esr", "firefox"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// requireBrowsers: in CI (or with TTT_REQUIRE_GPU=1) a missing browser is a
// failure, never a silent skip.
func requireBrowsers() bool { return requireGPU() || os.Getenv("CI") == "true" }

// firefoxTab starts Firefox with prefs (over bidi.Prefs) on a virtual
// display of its own, and returns its tab, with the page's console in the
// test log; the browser's and the display's process groups end with the test.
func firefoxTab(t *testing.T, prefs map[string]any) *bidi.Tab {
	t.Helper()
	exe := firefoxExe()
	if exe == "" {
		missing(t, "no firefox-esr on PATH (Debian: apt-get install firefox-esr)")
	}
	xvfb, err := exec.LookPath("Xvfb")
	if err != nil {
		missing(t, "no Xvfb on PATH (Debian: apt-get install xvfb): headless Firefox has no WebGL, which the page draws with")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	x, err := bidi.StartXvfb(ctx, xvfb)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	all := maps.Clone(bidi.Prefs)
	maps.Copy(all, prefs)
	ff, err := bidi.Launch(ctx, bidi.Options{
		Exe: exe, Dir: t.TempDir(), Prefs: all, Display: x.Display,
		OnEvent: func(method string, params json.RawMessage) {
			var e bidi.LogEntry
			if method == "log.entryAdded" && json.Unmarshal(params, &e) == nil {
				t.Logf("console %s: %s", e.Level, e.Text)
			}
		},
	})
	if err != nil {
		t.Fatalf("firefox did not start: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("firefox's output ends:\n%s", ff.Output())
		}
		if err := ff.Close(); err != nil {
			t.Errorf("closing firefox: %v", err)
		}
	})
	t.Logf("%s (%s) on display %s", ff.Browser, exe, x.Display)
	if err := ff.Subscribe(ctx, "log.entryAdded"); err != nil {
		t.Fatal(err)
	}
	tab, err := ff.Tab(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tab.SetViewport(ctx, 1280, 900); err != nil {
		t.Fatal(err)
	}
	return tab
}

// missing skips the test, or fails it where a missing browser must not
// pass silently.
func missing(t *testing.T, why string) {
	t.Helper()
	if requireBrowsers() {
		t.Fatal(why)
	}
	t.Skip(why)
}

// ffEval is eval for a Firefox tab: the script's value (a Promise awaited)
// decoded from JSON, within the same 90 s.
func ffEval[T any](t *testing.T, tab *bidi.Tab, script string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var v T
	if err := tab.Eval(ctx, script, &v); err != nil {
		t.Fatalf("%s: %v", short(script), err)
	}
	return v
}

// ffOpen is open for a Firefox tab: navigate, then wait for ttt.ready.
func ffOpen(t *testing.T, tab *bidi.Tab, url string) readyInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	if err := tab.Navigate(ctx, url); err != nil {
		t.Fatalf("navigating to %s: %v", url, err)
	}
	for {
		var ok bool
		if err := tab.Eval(ctx, `window.ttt !== undefined`, &ok); err != nil {
			t.Fatalf("no window.ttt on %s: %v", url, err)
		}
		if ok {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	var r readyInfo
	if err := tab.Eval(ctx, `ttt.ready.then(() => ttt.gpuReady)`, &r); err != nil {
		t.Fatalf("ttt.ready on %s: %v", url, err)
	}
	return r
}

// TestFirefoxPage opens the page in firefox-esr as Debian ships it, which
// offers no WebGPU adapter: the page runs on the CPU and says why, draws
// its first screen, streams the default scenario with the native CPU
// reference's losses and W, replays every reference case within 1e-4 abs +
// 1e-4 rel, and runs the language model as the native forward does.
func TestFirefoxPage(t *testing.T) { testFirefox(t, false) }

// firefoxWebGPU are the prefs that let Firefox offer WebGPU on this
// machine: it is off by default on Linux, and its blocklist refuses a
// software Vulkan driver (lavapipe).
var firefoxWebGPU = map[string]any{"dom.webgpu.enabled": true, "gfx.webgpu.ignore-blocklist": true}

// TestFirefoxWebGPU is the same on the webgpu backend, with WebGPU turned
// on in Firefox: Firefox's own WebGPU (wgpu, on Vulkan) is a second
// implementation the kernels must pass on. Where Firefox still offers no
// adapter, that is recorded and the test skips (fails with TTT_REQUIRE_GPU=1).
func TestFirefoxWebGPU(t *testing.T) { testFirefox(t, true) }

func testFirefox(t *testing.T, webgpu bool) {
	srv := servePage(t)
	var prefs map[string]any
	if webgpu {
		prefs = firefoxWebGPU
	}
	tab := firefoxTab(t, prefs)
	start := time.Now()
	url := srv.URL + "/?autoplay=0"
	if webgpu {
		url += "&backend=gpu" // auto keeps the CPU on a software adapter (lavapipe here)
	}
	r := ffOpen(t, tab, url)
	t.Logf("ready after %v: %+v", time.Since(start).Round(time.Millisecond), r)

	adapter := ffEval[string](t, tab, `navigator.gpu ? navigator.gpu.requestAdapter().then((a) => a ? "adapter" : "null", (e) => "refused: " + e.message) : "no navigator.gpu"`)
	t.Logf("WebGPU in this Firefox: %s", adapter)
	offered := strings.HasPrefix(adapter, "adapter")
	backends := []string{"cpu"}
	switch {
	case webgpu && !offered:
		if requireGPU() {
			t.Fatalf("with %v Firefox offers no WebGPU adapter: %s", firefoxWebGPU, adapter)
		}
		t.Skipf("with %v Firefox offers no WebGPU adapter: %s", firefoxWebGPU, adapter)
	case offered:
		if r.Backend != "webgpu" {
			t.Fatalf("Firefox offers a WebGPU adapter but the page chose %q: %s", r.Backend, r.GPUMessage)
		}
		backends = []string{"webgpu"}
	default:
		checkCPUFallback(t, r, func(script string) string { return ffEval[string](t, tab, script) })
	}

	t.Run("first screen", func(t *testing.T) {
		ffEval[bool](t, tab, `new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(() => r(true), 200))))`)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		buf, err := tab.Screenshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(buf))
		if err != nil {
			t.Fatal(err)
		}
		// The canvas, in device pixels of the screenshot.
		box := ffEval[[]float64](t, tab, `(() => { const r = document.getElementById("view").getBoundingClientRect(), s = devicePixelRatio; return [r.left * s, r.top * s, r.right * s, r.bottom * s]; })()`)
		view := image.Rect(int(box[0]), int(box[1]), int(box[2]), int(box[3])).Intersect(img.Bounds())
		if n := colours(img, view); n < 50 {
			t.Errorf("the canvas (%v of a %v screenshot) shows %d colours: blank?", view, img.Bounds(), n)
		}
		if os.Getenv("TTT_UPDATE_SHOTS") == "1" && !webgpu {
			if err := os.WriteFile(firefoxShot, buf, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("wrote %s", filepath.Clean(firefoxShot))
		}
	})

	t.Run("stream", func(t *testing.T) {
		s := ffEval[pageState](t, tab, `ttt.state()`)
		var sc scenario.Scenario
		raw, _ := json.Marshal(s.Scenario)
		if err := json.Unmarshal(raw, &sc); err != nil {
			t.Fatal(err)
		}
		want := scenario.Default()
		if webgpu {
			want.Backend = scenario.BackendGPU // asked for in the URL
		}
		if !reflect.DeepEqual(sc, want) {
			t.Fatalf("the page opened on %+v, want %+v", sc, want)
		}
		// Playing moves the page on by itself.
		ffEval[any](t, tab, `ttt.play()`)
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			if s := ffEval[pageState](t, tab, `ttt.state()`); s.T > 0 && s.Playing {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("20 s after play() the page has not moved")
			}
		}
		ffEval[any](t, tab, `ttt.pause()`)

		ref := referenceOf(t, sc)
		W := nativeWeights(t, sc, optimTokens)
		for _, be := range backends {
			be := map[string]string{"webgpu": "gpu", "cpu": "cpu"}[be]
			ffEval[pageState](t, tab, fmt.Sprintf(`ttt.setConfig({backend: %q})`, be))
			ffEval[pageState](t, tab, `ttt.reset()`)
			st := ffEval[pageState](t, tab, fmt.Sprintf(`ttt.step(%d)`, optimTokens))
			if st.T != optimTokens || len(st.LossBefore) != optimTokens || st.Error != "" {
				t.Fatalf("after step(%d) on %s: t %d with %d losses (%s)", optimTokens, st.Backend, st.T, len(st.LossBefore), st.Error)
			}
			for tok := 0; tok < optimTokens; tok++ {
				if !within(st.LossBefore[tok], ref.before[tok]) || !within(st.LossAfter[tok], ref.after[tok]) {
					t.Fatalf("%s token %d: losses %g, %g; want %g, %g", st.Backend, tok, st.LossBefore[tok], st.LossAfter[tok], ref.before[tok], ref.after[tok])
				}
			}
			got := ffEval[struct {
				W map[string][]float64 `json:"weights"`
			}](t, tab, `ttt.state({weights: true})`)
			for h, w := range W {
				key := fmt.Sprintf("head%d.W", h)
				want := make([]float64, len(w.W))
				for i, x := range w.W {
					want[i] = float64(x)
				}
				if d := ttt.CompareArray(key, got.W[key], want, ttt.AbsTol, ttt.RelTol); !d.OK() {
					t.Errorf("%s: %v", st.Backend, d)
				} else {
					t.Logf("%s after %d tokens: %v", st.Backend, optimTokens, d)
				}
			}
		}
	})

	t.Run("replay", func(t *testing.T) {
		var cases []string // all of them
		if webgpu {
			// Every call into Firefox's WebGPU on lavapipe costs seconds:
			// one case of each inner model (all of them take over a minute).
			cases = []string{"linear_T64_b16_dual", "mlp_T64_b16_dual"}
		}
		replayGolden(t, cases, backends, func(script string) string { return ffEval[string](t, tab, script) })
	})

	t.Run("lm", func(t *testing.T) {
		prompt := "Call me Ishmael. " + lmPhrase
		m, err := demo.PretrainedLM()
		if err != nil {
			t.Fatal(err)
		}
		ref := lmForward(t, m, prompt)
		n := len([]rune(prompt))
		for _, be := range backends {
			start := time.Now()
			s := ffEval[lmState](t, tab, fmt.Sprintf(`ttt.lm(%s, {backend: %q, model: "pretrained", weights: true})`, jsString(prompt), be))
			if s.Backend != be || s.Done != n || len(s.Loss) != n-1 || len(s.ProbsTop) != n {
				t.Fatalf("ttt.lm on %s: %s model on %s (%s), %d of %d characters, %d losses", be, s.Model, s.Backend, s.Reason, s.Done, n, len(s.Loss))
			}
			t.Logf("%s: %d characters in %v, %.3f bits per character", be, n, time.Since(start).Round(time.Millisecond), *s.Bits)
			checkLM(t, s, ref)
		}
	})

	t.Run("offline", func(t *testing.T) {
		// The profile sends everything but loopback to a closed port: a
		// page elsewhere (TEST-NET-1, RFC 5737) fails at once, and the
		// browser reaches nothing past this machine.
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		err := tab.Navigate(ctx, "http://192.0.2.1/")
		t.Logf("navigating off the machine: %v", err)
		if err == nil || ctx.Err() != nil || !strings.Contains(err.Error(), "PROXY") {
			t.Errorf("navigating to 192.0.2.1: %v, want a prompt refusal by the profile's proxy", err)
		}
	})
}

// nativeWeights is every head's W after n tokens of s, streamed natively
// on the CPU by the page's own runner.
func nativeWeights(t *testing.T, s scenario.Scenario, n int) []*ttt.Weights {
	t.Helper()
	r, err := demo.NewRunner(s, demo.CPU{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for r.Pos() < n {
		if _, err := r.Step(); err != nil {
			t.Fatal(err)
		}
	}
	W, err := r.WeightsAt(n)
	if err != nil {
		t.Fatal(err)
	}
	return W
}
