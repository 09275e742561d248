//go:build !js

// Package e2e runs the GPU backend in a real browser: it builds the Go-WASM
// harness in e2e/gpuharness, serves it, loads it in headless Chromium with
// WebGPU on (SwiftShader), and checks what the page reports.
package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"tttexplainer/e2e/chrome"
	"tttexplainer/e2e/report"
	"tttexplainer/ttt/golden"
)

// page sets window.wasm before go.run: cogentcore/webgpu's WriteBuffer reads
// the instance's memory through globalThis.wasm.
const page = `<!doctype html>
<meta charset="utf-8">
<title>ttt gpu harness</title>
<script src="wasm_exec.js"></script>
<script>
const go = new Go();
WebAssembly.instantiateStreaming(fetch("harness.wasm"), go.importObject).then((result) => {
  window.wasm = result;
  return go.run(result.instance);
}).catch((err) => {
  window.tttResult = JSON.stringify({Error: "loading the wasm: " + err});
  document.title = "ttt-done";
});
</script>
`

func requireGPU() bool { return os.Getenv("TTT_REQUIRE_GPU") == "1" }

// skipOrFail skips the test, or fails it when TTT_REQUIRE_GPU=1: CI must never
// pass by skipping the browser.
func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	if requireGPU() {
		t.Fatalf("TTT_REQUIRE_GPU=1 but "+format, args...)
	}
	t.Skipf(format, args...)
}

func chromium() string { return chrome.Path() }

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// serve builds the harness and serves it with the page and wasm_exec.js.
func serve(t *testing.T) *httptest.Server {
	t.Helper()
	dir := t.TempDir()
	gobin := goTool()
	build := exec.Command(gobin, "build", "-o", filepath.Join(dir, "harness.wasm"), "./gpuharness")
	build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the harness: %v\n%s", err, out)
	}
	root, err := exec.Command(gobin, "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	// wasm_exec.js must come from the same Go as the build.
	js, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(root)), "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		t.Fatalf("wasm_exec.js: %v", err)
	}
	for name, data := range map[string][]byte{"wasm_exec.js": js, "index.html": []byte(page)} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	files := http.FileServer(http.Dir(dir))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Cross-origin isolation sharpens performance.now, and so Go's clock.
		w.Header().Set("Cross-Origin-Opener-Policy", "same-origin")
		w.Header().Set("Cross-Origin-Embedder-Policy", "require-corp")
		w.Header().Set("Cache-Control", "no-store")
		if strings.HasSuffix(r.URL.Path, ".wasm") {
			w.Header().Set("Content-Type", "application/wasm")
		}
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// allocatorOptions starts Chromium at exe with a fresh profile in dir
// (chrome.Options). Not DefaultExecAllocatorOptions: older defaults add
// --disable-gpu.
func allocatorOptions(exe, dir string, webgpu bool) []chromedp.ExecAllocatorOption {
	return chrome.Options(exe, dir, webgpu)
}

// start starts the browser of ctx (Chromium at exe) and logs its console.
// The browser starts first: the console iterator would otherwise start a
// second one on the same profile.
func start(t *testing.T, ctx context.Context, exe string) {
	t.Helper()
	if err := chromedp.Do(ctx); err != nil {
		skipOrFail(t, "chromium at %s did not start: %v", exe, err)
	}
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			t.Logf("console %s: %s", m.Type, m.Text)
		}
	}()
}

// load opens url in a fresh headless Chromium and returns the page's report.
func load(t *testing.T, exe, url string, timeout time.Duration) *report.Report {
	t.Helper()
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), allocatorOptions(exe, t.TempDir(), true)...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	start(t, ctx, exe)
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("chromium did not load the page: %v", err)
	}
	raw, err := chromedp.Run(ctx, chromedp.Poll[string]("window.tttResult", chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(250*time.Millisecond)))
	if err != nil {
		t.Fatalf("the page reported nothing within %v: %v", timeout, err)
	}
	r := &report.Report{}
	if err := json.Unmarshal([]byte(raw), r); err != nil {
		t.Fatalf("the page's report: %v\n%s", err, raw)
	}
	return r
}

// TestBrowserGolden runs every reference case through the gpu backend (and the
// cpu backend) in headless Chromium's WebGPU and checks every array at
// 1e-4 abs + 1e-4 rel, as well as the Stream API (with Weights) and both
// attention kernels against their CPU twins; it checks that the adapter was
// SwiftShader's WebGPU, that the self-test passed and that a destroyed device
// came back as ErrDeviceLost.
func TestBrowserGolden(t *testing.T) {
	exe := chromium()
	if exe == "" {
		skipOrFail(t, "no chromium on PATH (Debian: apt-get install chromium)")
	}
	srv := serve(t)
	start := time.Now()
	r := load(t, exe, srv.URL+"/index.html", 150*time.Second)
	t.Logf("page done in %v; adapter %q (vendor %q, architecture %q, description %q, fallback %v)", time.Since(start).Round(time.Millisecond), r.Adapter, r.Vendor, r.Architecture, r.Description, r.Fallback)
	if r.Error != "" {
		if strings.Contains(r.Error, "no WebGPU adapter") {
			skipOrFail(t, "the browser has no WebGPU adapter: %s", r.Error)
		}
		t.Fatalf("the harness failed: %s", r.Error)
	}
	if !strings.EqualFold(r.Architecture, "swiftshader") && !strings.Contains(strings.ToLower(r.Description), "swiftshader") {
		t.Errorf("the adapter is %q / %q, want SwiftShader's WebGPU", r.Architecture, r.Description)
	}
	gpuCases := map[string]bool{}
	for _, c := range r.Cases {
		line := fmt.Sprintf("%-36s %-7s %-4s %d arrays, max |Δ| = %.2e, %.1f ms", c.Name, c.Form, c.Backend, c.Arrays, c.MaxAbs, c.MS)
		if !c.OK || c.Arrays == 0 {
			t.Errorf("%s: FAIL %s", line, c.Err)
			continue
		}
		t.Log(line)
		if c.Backend == "gpu" {
			gpuCases[c.Name] = true
		}
	}
	if want := golden.Count + 5; len(gpuCases) != want {
		t.Errorf("the gpu backend passed %d cases in the browser, want all %d reference cases, the stream API (both models, and a long run), and both attentions", len(gpuCases), want)
	}
	if strings.HasPrefix(r.SelfTest, "FAIL") || r.SelfTest == "" {
		t.Errorf("self-test: %q", r.SelfTest)
	} else {
		t.Log(r.SelfTest)
	}
	if !r.LostOK {
		t.Errorf("after device.destroy(), Run returned %q, want an error wrapping gpu.ErrDeviceLost", r.Lost)
	} else {
		t.Logf("lost device: %s", r.Lost)
	}
}

// TestBrowserBench times the speed race in the browser. It is slow on
// SwiftShader, so it runs only when TTT_BROWSER_BENCH=1:
//
//	TTT_BROWSER_BENCH=1 go test -run TestBrowserBench -v -timeout 20m ./e2e
func TestBrowserBench(t *testing.T) {
	if os.Getenv("TTT_BROWSER_BENCH") != "1" {
		t.Skip("set TTT_BROWSER_BENCH=1 to time the speed race in Chromium")
	}
	exe := chromium()
	if exe == "" {
		t.Fatal("no chromium on PATH")
	}
	r := load(t, exe, serve(t).URL+"/index.html?bench=1", 15*time.Minute)
	if r.Error != "" {
		t.Fatal(r.Error)
	}
	t.Logf("adapter %s", r.Adapter)
	for _, b := range r.Bench {
		if b.Err != "" {
			t.Errorf("%s %s: %s", b.Backend, b.Form, b.Err)
			continue
		}
		t.Logf("%-4s %-12s T=%d d=%d heads=%d b=%d: median %.1f ms of %d, %.0f tokens/s, %.0f submits and %.0f readbacks per run",
			b.Backend, b.Form, b.T, b.D, b.Heads, b.B, b.MedianMS, b.Runs, b.TokensPerS, b.SubmitsPerRun, b.ReadbacksPerRun)
	}
}
