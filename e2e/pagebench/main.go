//go:build !js

// Command pagebench times the page as a reader sees it, in headless
// Chromium (chrome.Options: SwiftShader's WebGPU): how soon ttt.ready
// resolves, how fast the default scenario plays at top speed on a backend,
// how long the animation frames take while it plays, and, from a Chromium
// performance trace, where the page's main thread spends its time per
// token played. It serves a built web directory (`make wasm`) with the
// site's own handler on loopback. It is a benchmark, not a test: it
// asserts nothing, and prints medians of -runs fresh browsers.
//
//	make wasm && go run ./e2e/pagebench -backends gpu,cpu -runs 3
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/cdp/jsonv2"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/tracing"
	"github.com/chromedp/chromedp"

	"tttexplainer/e2e/chrome"
	"tttexplainer/site"
)

func main() {
	web := flag.String("web", "web", "the built page (make wasm)")
	backends := flag.String("backends", "gpu,cpu", "the scenario backends to play on, comma-separated")
	runs := flag.Int("runs", 3, "fresh browsers per backend (medians are printed)")
	query := flag.String("query", "", "scenario fields added to the URL (default scenario otherwise), e.g. form=dual")
	flag.StringVar(&view, "view", "", `drawing options set with ttt.setView before playing (JSON), e.g. {"panel":false}`)
	trace := flag.Bool("trace", true, "record a Chromium performance trace of the first run's playing and summarise the main thread")
	limit := flag.Duration("limit", 60*time.Second, "longest a run may play")
	flag.BoolVar(&byName, "names", false, "also print the trace's main-thread time per token by event name")
	flag.StringVar(&dumpTrace, "dump", "", "write the first run's raw trace events (JSON, one array) to this file")
	flag.StringVar(&console, "console", "", "write the page's console messages to this file (e.g. of a wasm built with -tags ebitenginedebug)")
	win := flag.String("window", "1280x900", "the browser window's size in CSS pixels, WxH")
	cats := flag.String("categories", "", "more trace categories to record, comma-separated (e.g. gpu,viz,cc; with -dump)")
	flag.Parse()
	if _, err := fmt.Sscanf(*win, "%dx%d", &windowW, &windowH); err != nil || windowW < 1 || windowH < 1 {
		fmt.Fprintf(os.Stderr, "pagebench: -window %q: want WxH, e.g. 1280x900\n", *win)
		os.Exit(2)
	}
	if *cats != "" {
		extraCategories = strings.Split(*cats, ",")
	}
	if _, err := os.Stat(filepath.Join(*web, "app.json")); err != nil {
		fail("no built page in %s (run make wasm first): %v", *web, err)
	}
	exe := chrome.Path()
	if exe == "" {
		fail("no chromium on PATH (Debian: apt-get install chromium)")
	}
	url, stop := serve(*web)
	defer stop()
	for _, be := range strings.Split(*backends, ",") {
		var all []result
		for i := range *runs {
			r, err := run(exe, url, be, *query, *trace && i == 0, *limit)
			if err != nil {
				fail("%s run %d: %v", be, i+1, err)
			}
			fmt.Printf("%-4s run %d: %s\n", be, i+1, r)
			all = append(all, r)
		}
		med := func(f func(result) float64) float64 {
			v := make([]float64, len(all))
			for i, r := range all {
				v[i] = f(r)
			}
			slices.Sort(v)
			return v[len(v)/2]
		}
		fmt.Printf("%-4s median of %d: ready %.0f ms, %.0f tokens/s played (%s), animation frames p95 %.0f ms, max %.0f ms\n\n",
			be, len(all), med(func(r result) float64 { return r.ReadyMS }), med(func(r result) float64 { return r.TokensPerS }),
			all[0].Backend, med(func(r result) float64 { return r.FrameP95 }), med(func(r result) float64 { return r.FrameMax }))
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "pagebench: "+format+"\n", args...)
	os.Exit(1)
}

// serve runs the site's handler over the web directory on a loopback port.
func serve(web string) (string, func()) {
	dir, err := os.MkdirTemp("", "pagebench")
	if err != nil {
		fail("%v", err)
	}
	store, err := site.OpenBolt(dir)
	if err != nil {
		fail("%v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail("%v", err)
	}
	srv := &http.Server{Handler: site.New(site.Config{Store: store, Assets: site.Dir(web)})}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close(); store.Close(); os.RemoveAll(dir) }
}

type result struct {
	Backend    string
	ReadyMS    float64 // navigation to ttt.ready
	GPUReadyMS float64 // navigation to ttt.gpuReady (0: the page has none)
	Tokens     int
	Seconds    float64
	TokensPerS float64
	Frames     int
	FrameP95   float64 // animation-frame intervals while playing, ms
	FrameMax   float64
	RenderMS   float64 // the page's text updates while playing, ms per token
	Draws      int     // canvas frames drawn while playing
	Uploads    int     // text images rasterised and uploaded while playing
	Main       string  // the trace's main-thread summary
	Loading    string  // where the time to ttt.ready went
}

func (r result) String() string {
	s := fmt.Sprintf("ready %.0f ms (GPU probed %.0f ms), %d tokens in %.2f s on %s = %.0f tokens/s, %d frames p95 %.0f ms max %.0f ms, page text %.2f ms/token, %d canvas draws, %d text uploads",
		r.ReadyMS, r.GPUReadyMS, r.Tokens, r.Seconds, r.Backend, r.TokensPerS, r.Frames, r.FrameP95, r.FrameMax, r.RenderMS, r.Draws, r.Uploads)
	if r.Loading != "" {
		s += "\n  loading, ms from navigation: " + r.Loading
	}
	if r.Main != "" {
		s += "\n  main thread per token played: " + r.Main
	}
	return s
}

// loading lists the page's loading stamps (web/compile.js, web/load.js,
// wasm/main.go, web/page.js) in the order they happen.
func loading(tm map[string]float64) string {
	var parts []string
	for _, k := range []string{"compileStart", "viewResponse", "loaderStart", "wasmFetched", "wasmCompiled", "wasmInstantiated", "goMain", "firstFrame", "ready"} {
		if v, ok := tm[k]; ok {
			parts = append(parts, fmt.Sprintf("%s %.0f", k, v))
		}
	}
	return strings.Join(parts, ", ")
}

// run opens the page in a fresh browser, waits for it, and plays the
// scenario to its end at top speed.
func run(exe, base, backend, query string, withTrace bool, limit time.Duration) (result, error) {
	var r result
	dir, err := os.MkdirTemp("", "pagebench-chrome")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(dir)
	opts := append(chrome.Options(exe, dir, true), chromedp.WindowSize(windowW, windowH))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil {
		return r, err
	}
	url := base + "/?autoplay=0&speed=1000&backend=" + backend
	if query != "" {
		url += "&" + query
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		return r, err
	}
	// ready is stamped by a then() attached as soon as window.ttt exists
	// (polled every 10 ms; ready takes far longer).
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`window.ttt !== undefined`, chromedp.WithPollingInterval(10*time.Millisecond), chromedp.WithPollingTimeout(60*time.Second))); err != nil {
		return r, fmt.Errorf("no window.ttt: %v", err)
	}
	eval := func(script string, v any) error {
		tctx, cancel := context.WithTimeout(ctx, limit+time.Minute)
		defer cancel()
		raw, err := chromedp.Run(tctx, chromedp.Evaluate[json.RawMessage](script, chromedp.EvalAwaitPromise))
		if err != nil {
			return fmt.Errorf("%.60s…: %v", script, err)
		}
		return json.Unmarshal(raw, v)
	}
	stamps := `window.benchReady = ttt.ready.then(() => performance.now());
		window.benchGPU = ttt.gpuReady ? ttt.gpuReady.then(() => performance.now()) : Promise.resolve(0); true`
	var ok bool
	if err := eval(stamps, &ok); err != nil {
		return r, err
	}
	if err := eval(`window.benchReady`, &r.ReadyMS); err != nil {
		return r, err
	}
	if err := eval(`window.benchGPU`, &r.GPUReadyMS); err != nil {
		return r, err
	}
	var tm map[string]float64
	if err := eval(`(() => { const t = window.tttTimings || {}, o = {}; for (const k in t) if (typeof t[k] === "number") o[k] = t[k]; const v = document.getElementById("view"); if (v && v.contentWindow) { const n = v.contentWindow.performance.getEntriesByType("navigation")[0]; if (n) o.viewResponse = v.contentWindow.performance.timeOrigin - performance.timeOrigin + n.responseEnd; } return o; })()`, &tm); err != nil {
		return r, err
	}
	r.Loading = loading(tm)
	// The page stamps ttt.ready as it resolves it (web/page.js); the then()
	// above may be attached later, when the Go program kept the main thread
	// busy while the poll for window.ttt waited.
	if v, ok := tm["ready"]; ok {
		r.ReadyMS = v
	}
	if v, ok := tm["gpuReady"]; ok {
		r.GPUReadyMS = v
	}
	var st struct {
		Backend string `json:"backend"`
	}
	if err := eval(`ttt.state()`, &st); err != nil {
		return r, err
	}
	r.Backend = st.Backend
	if want := map[string]string{"gpu": "webgpu", "cpu": "cpu"}[backend]; want != "" && st.Backend != want {
		return r, fmt.Errorf("the page runs on %s, want %s (is there a WebGPU adapter?)", st.Backend, want)
	}
	if view != "" {
		if err := eval(`ttt.setView(`+view+`).then(() => true)`, &ok); err != nil {
			return r, fmt.Errorf("-view: %v", err)
		}
	}
	if console != "" {
		f, err := os.Create(console)
		if err != nil {
			return r, err
		}
		defer f.Close()
		err = chromedp.Listen(ctx, func(ev any) {
			if e, ok := ev.(*runtime.EventConsoleAPICalled); ok {
				for _, a := range e.Args {
					var s string
					if json.Unmarshal(a.Value, &s) == nil {
						fmt.Fprint(f, s)
					}
				}
				fmt.Fprintln(f)
			}
		})
		if err != nil {
			return r, err
		}
	}
	var events []jsonv2.Value
	done := make(chan struct{})
	if withTrace {
		err := chromedp.Listen(ctx, func(ev any) {
			switch e := ev.(type) {
			case *tracing.EventDataCollected:
				events = append(events, e.Value...)
			case *tracing.EventTracingComplete:
				close(done)
			}
		})
		if err != nil {
			return r, err
		}
		cfg := &tracing.TraceConfig{IncludedCategories: append([]string{"devtools.timeline", "disabled-by-default-devtools.timeline", "v8.execute", "v8"}, extraCategories...)}
		if _, err := chromedp.Call(ctx, tracing.Start, tracing.StartParams{TraceConfig: cfg, TransferMode: tracing.StartTransferModeReportEvents}); err != nil {
			return r, fmt.Errorf("starting the trace: %v", err)
		}
	}
	play := fmt.Sprintf(`(async () => {
		// The animation frames of the canvas's document (the page's own
		// share its main thread), timed by that document's clock.
		const view = document.getElementById("view"), w = view && view.contentWindow ? view.contentWindow : window;
		const frames = [];
		let on = true;
		const tick = () => { frames.push(performance.now()); if (on) w.requestAnimationFrame(tick); };
		w.requestAnimationFrame(tick);
		const tm = window.tttTimings || {};
		const r0 = tm.renderMs || 0, d0 = tm.draws || 0, u0 = tm.uploads || 0;
		const t0 = ttt.state().t, p0 = performance.now();
		await ttt.play();
		while (ttt.state().playing && performance.now() - p0 < %d) await new Promise((r) => setTimeout(r, 20));
		const p1 = performance.now(), t1 = ttt.state().t;
		on = false;
		await ttt.pause().catch(() => {});
		const gaps = [];
		for (let i = 1; i < frames.length; i++) if (frames[i] <= p1) gaps.push(frames[i] - frames[i - 1]);
		gaps.sort((a, b) => a - b);
		const q = (p) => gaps.length ? gaps[Math.min(gaps.length - 1, Math.floor(p * gaps.length))] : 0;
		return {tokens: t1 - t0, seconds: (p1 - p0) / 1000, frames: gaps.length, p95: q(0.95), max: gaps.length ? gaps[gaps.length - 1] : 0,
			render: ((tm.renderMs || 0) - r0) / Math.max(1, t1 - t0), draws: (tm.draws || 0) - d0, uploads: (tm.uploads || 0) - u0};
	})()`, limit.Milliseconds())
	var p struct {
		Tokens  int     `json:"tokens"`
		Seconds float64 `json:"seconds"`
		Frames  int     `json:"frames"`
		P95     float64 `json:"p95"`
		Max     float64 `json:"max"`
		Render  float64 `json:"render"`
		Draws   int     `json:"draws"`
		Uploads int     `json:"uploads"`
	}
	if err := eval(play, &p); err != nil {
		return r, fmt.Errorf("playing: %v", err)
	}
	r.Tokens, r.Seconds, r.Frames, r.FrameP95, r.FrameMax, r.RenderMS = p.Tokens, p.Seconds, p.Frames, p.P95, p.Max, p.Render
	r.Draws, r.Uploads = p.Draws, p.Uploads
	if p.Seconds > 0 {
		r.TokensPerS = float64(p.Tokens) / p.Seconds
	}
	if withTrace {
		if _, err := chromedp.Call(ctx, tracing.End, cdp.Empty{}); err != nil {
			return r, fmt.Errorf("ending the trace: %v", err)
		}
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			return r, fmt.Errorf("the trace did not complete")
		}
		r.Main = mainThread(events, r.Tokens)
		if dumpTrace != "" {
			if err := writeTrace(dumpTrace, events); err != nil {
				return r, err
			}
		}
	}
	return r, nil
}
