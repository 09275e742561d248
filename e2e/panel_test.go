//go:build !js

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"tttexplainer/demo"
	"tttexplainer/ttt"
)

// panelToken is the token the panel tests explain: mid-sequence, inside a
// mini-batch of 16 (its 5th token), so W⁰ ≠ W_{t−1}.
const panelToken = 37

// canvasLabels is tttCore.labels(): what the canvas drew, in CSS pixels.
type canvasLabels struct {
	Width, Height float64
	Labels        []struct {
		Text       string
		X, Y, W, H float64
	}
}

func labelsOf(t *testing.T, ctx context.Context) canvasLabels {
	t.Helper()
	eval[bool](t, ctx, `new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(() => r(true), 100))))`)
	return eval[canvasLabels](t, ctx, `JSON.parse(document.getElementById("view").contentWindow.tttCore.labels())`)
}

// redrawn runs action (a script) and waits until the canvas has drawn a
// new frame after it (tttTimings.draws grows), up to 20 s: on a loaded
// machine a fixed pause can end before the frame does.
func redrawn(t *testing.T, ctx context.Context, action string) {
	t.Helper()
	eval[bool](t, ctx, `(async () => {
  const d0 = window.tttTimings.draws || 0;
  await (`+action+`);
  const end = performance.now() + 20000;
  while ((window.tttTimings.draws || 0) <= d0 && performance.now() < end) await new Promise((r) => setTimeout(r, 20));
  return true;
})()`)
}

// waitLabel polls the canvas's labels until one contains s, up to 20 s.
func waitLabel(t *testing.T, ctx context.Context, s string) bool {
	t.Helper()
	for end := time.Now().Add(20 * time.Second); ; {
		if _, _, ok := labelsOf(t, ctx).find(s); ok {
			return true
		}
		if time.Now().After(end) {
			return false
		}
	}
}

// find returns the first label containing s.
func (c canvasLabels) find(s string) (x, y float64, ok bool) {
	for _, l := range c.Labels {
		if strings.Contains(l.Text, s) {
			return l.X + l.W/2, l.Y + l.H/2, true
		}
	}
	return 0, 0, false
}

// checkLabels: every label lies inside the canvas, none is cut with an
// ellipsis, none shows raw subscript markup.
func checkLabels(t *testing.T, c canvasLabels) {
	t.Helper()
	if len(c.Labels) < 10 {
		t.Fatalf("the canvas drew %d labels", len(c.Labels))
	}
	for _, l := range c.Labels {
		switch {
		case strings.Contains(l.Text, "_{") || strings.Contains(l.Text, "W_t"):
			t.Errorf("label %q shows raw subscript markup", l.Text)
		case strings.HasSuffix(l.Text, "…"):
			t.Errorf("label %q is cut (canvas %.0f px wide)", l.Text, c.Width)
		case l.X < -1 || l.X+l.W > c.Width+1:
			t.Errorf("label %q spans x %.0f..%.0f, outside the %.0f px canvas", l.Text, l.X, l.X+l.W, c.Width)
		}
	}
}

// viewBox is the canvas frame's box on the page, in CSS pixels.
func viewBox(t *testing.T, ctx context.Context) []float64 {
	return eval[[]float64](t, ctx, `(() => { const r = document.getElementById("view").getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()`)
}

// pointer moves the mouse to (x, y) on the canvas, a few times: ebiten
// reads the pointer on its next update.
func pointer(t *testing.T, ctx context.Context, x, y float64) {
	t.Helper()
	box := viewBox(t, ctx)
	for dx := 0.0; dx < 4; dx++ {
		if err := chromedp.Do(ctx, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, box[0]+x+dx*0.25, box[1]+y)); err != nil {
			t.Fatal(err)
		}
		eval[bool](t, ctx, `new Promise((r) => { const w = document.getElementById("view").contentWindow; w.requestAnimationFrame(() => w.requestAnimationFrame(() => r(true))); })`)
	}
}

// click presses and releases the mouse at (x, y) on the canvas, holding
// it a few frames: ebiten sees a press only at its next update.
func click(t *testing.T, ctx context.Context, x, y float64) {
	t.Helper()
	pointer(t, ctx, x, y)
	box := viewBox(t, ctx)
	for _, typ := range []input.DispatchMouseEventType{input.DispatchMouseEventTypeMousePressed, input.DispatchMouseEventTypeMouseReleased} {
		if err := chromedp.Do(ctx, chromedp.MouseEvent(typ, box[0]+x, box[1]+y, chromedp.ButtonLeft, chromedp.ClickCount(1))); err != nil {
			t.Fatal(err)
		}
		// Held until the view has ticked twice, however late its frames
		// come on a loaded machine.
		eval[bool](t, ctx, `new Promise((r) => { const w = document.getElementById("view").contentWindow; w.requestAnimationFrame(() => w.requestAnimationFrame(() => r(true))); })`)
	}
}

// savePNG writes a screenshot of the canvas frame into $TTT_DOCS_SHOTS
// (the docs' pictures are made this way: see docs/BENCHMARKS.md).
func savePNG(t *testing.T, img image.Image, name string) {
	dir := os.Getenv("TTT_DOCS_SHOTS")
	if dir == "" {
		return
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// panelReference is the step of token panelToken on the CPU, natively.
func panelReference(t *testing.T, scen map[string]any) *demo.StepReport {
	t.Helper()
	r := cpuRunner(t, scen)
	defer r.Close()
	for range panelToken {
		if _, err := r.Step(); err != nil {
			t.Fatal(err)
		}
	}
	v, err := r.StepViews(panelToken)
	if err != nil {
		t.Fatal(err)
	}
	return v[0].Report()
}

func closeVec(t *testing.T, name string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", name, len(got), len(want))
	}
	worst := 0.0
	for i := range got {
		d := math.Abs(float64(got[i]) - float64(want[i]))
		worst = max(worst, d)
		if d > ttt.AbsTol+ttt.RelTol*math.Abs(float64(want[i])) {
			t.Fatalf("%s[%d] = %g, native CPU %g", name, i, got[i], want[i])
		}
	}
	t.Logf("%s OK, maxdiff = %.2g", name, worst)
}

// TestPanel: the one-step panel on the CPU backend and on SwiftShader's
// WebGPU. ttt.explainStep's numbers equal the native CPU's for the same
// token; its captions walk the six parts; the canvas draws the panel and
// its colour bars, shows ΔW one click away and a value under the pointer;
// and no label is cut or shows raw markup, at 1280 and at 360 CSS pixels.
func TestPanel(t *testing.T) {
	srv := servePage(t)
	for _, gpu := range []bool{false, true} {
		name := map[bool]string{false: "cpu", true: "webgpu"}[gpu]
		t.Run(name, func(t *testing.T) {
			ctx := browser(t, gpu)
			// auto keeps the CPU on a software adapter such as SwiftShader.
			r := open(t, ctx, srv.URL+"/?autoplay=0&backend="+map[bool]string{false: "cpu", true: "gpu"}[gpu])
			if want := map[bool]string{false: "cpu", true: "webgpu"}[gpu]; r.Backend != want {
				if gpu && !requireGPU() {
					t.Skipf("no WebGPU adapter in this browser: %s", r.GPUMessage)
				}
				t.Fatalf("backend %q (%s), want %s", r.Backend, r.Reason, want)
			}
			eval[pageState](t, ctx, fmt.Sprintf(`ttt.step(%d)`, panelToken))
			got := eval[demo.StepReport](t, ctx, `ttt.explainStep({narrate: false})`)
			want := panelReference(t, state(t, ctx).Scenario)
			if got.T != panelToken || got.I != want.I || got.Start != want.Start || got.Token != want.Token {
				t.Fatalf("explainStep: token %d %q (i %d, start %d), native: %d %q (i %d, start %d)", got.T, got.Token, got.I, got.Start, want.T, want.Token, want.I, want.Start)
			}
			for _, p := range []struct {
				name      string
				got, want []float32
			}{
				{"k", got.K, want.K}, {"v", got.V, want.V}, {"pred", got.Pred, want.Pred}, {"error", got.Err, want.Err}, {"G", got.G, want.G},
				{"own.W", got.Own["W"], want.Own["W"]}, {"dW.W", got.DW["W"], want.DW["W"]}, {"W_prev.W", got.WPrev["W"], want.WPrev["W"]}, {"W.W", got.W["W"], want.W["W"]},
				{"losses", []float32{got.LossStart, got.LossBefore, got.LossAfter, got.LR, got.S}, []float32{want.LossStart, want.LossBefore, want.LossAfter, want.LR, want.S}},
			} {
				closeVec(t, p.name, p.got, p.want)
			}
			for call, want := range map[string]string{
				`ttt.explainStep({head: 9})`:  "head 9",
				`ttt.explainStep({bogus: 1})`: "bogus",
				`ttt.setView({head: -1})`:     "head -1",
			} {
				msg := eval[string](t, ctx, call+`.then(() => "resolved", (e) => e.message)`)
				if !strings.Contains(msg, want) {
					t.Errorf("%s: %q, want an error naming %q", call, msg, want)
				}
			}
			if len(got.Captions) != len(demo.StepParts) {
				t.Fatalf("%d captions, want %d", len(got.Captions), len(demo.StepParts))
			}
			for i, c := range got.Captions {
				if c.Part != demo.StepParts[i] || len(c.Text) < 20 {
					t.Errorf("caption %d: %+v, want part %q with a sentence", i, c, demo.StepParts[i])
				}
			}

			// The panel is drawn: it changes the right of the canvas, which
			// has many colours, and the heat maps have a colour bar.
			redrawn(t, ctx, `ttt.setView({panel: false})`)
			off := shot(t, ctx)
			redrawn(t, ctx, `ttt.setView({panel: true, delta: false})`)
			on := shot(t, ctx)
			b := on.Bounds()
			right := image.Rect(b.Dx()*45/100, b.Dy()*15/100, b.Dx(), b.Dy()*70/100)
			if d, n := differ(on, off, right), colours(on, right); d < 5000 || n < 40 {
				t.Errorf("the panel changed %d pixels and shows %d colours, want a drawn panel", d, n)
			}
			if !hasColourBar(on) {
				t.Error("no colour bar (a ramp from the negative to the positive colour) on the canvas")
			}
			lb := labelsOf(t, ctx)
			checkLabels(t, lb)
			for _, s := range []string{"One step", "kₜ", "ΔW", "Wₜ₋₁", "input dim", "−"} {
				if _, _, ok := lb.find(s); !ok {
					t.Errorf("no canvas label with %q", s)
				}
			}

			// ΔW is one click away.
			x, y, ok := lb.find("show ΔW")
			if !ok {
				t.Fatal("no “show ΔW” switch on the canvas")
			}
			click(t, ctx, x, y)
			if !waitLabel(t, ctx, "show W") {
				t.Error("clicking “show ΔW” did not switch the maps to ΔW")
			}
			if sel := eval[string](t, ctx, `document.getElementById("delta").value`); sel != "dw" {
				t.Errorf("after the canvas's switch the page's Weights control says %q, want dw", sel)
			}
			pointer(t, ctx, 2, 2) // off every target: no value box in the picture
			if name == "cpu" {
				savePNG(t, shot(t, ctx), "one-step-panel-dw.png")
			}

			// The value under the pointer, on the canvas.
			lb = labelsOf(t, ctx)
			x, y, _ = lb.find("f(kₜ;")
			pointer(t, ctx, x+60, y)
			if !waitLabel(t, ctx, "the prediction") {
				t.Error("hovering the prediction's cells shows no value on the canvas")
			}

			// The slow step walks the parts, one caption at a time.
			eval[demo.StepReport](t, ctx, `ttt.explainStep({})`)
			if _, _, ok := labelsOf(t, ctx).find(fmt.Sprintf("Token %d, “", panelToken)); !ok {
				t.Error("the slow step does not open with its first caption")
			}
			deadline := time.Now().Add(10 * time.Second)
			for {
				if _, _, ok := labelsOf(t, ctx).find("Its guess"); ok {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("10 s into the slow step the canvas does not show its second caption")
				}
				time.Sleep(200 * time.Millisecond)
			}
			if name == "cpu" {
				pointer(t, ctx, 2, 2)
				savePNG(t, shot(t, ctx), "one-step-panel.png")
			}

			// The recall preset's pairs and questions are marked.
			eval[pageState](t, ctx, `ttt.setConfig({input: "recall"}).then(() => ttt.step(40))`)
			lb = labelsOf(t, ctx)
			for _, s := range []string{"key", "value", "asked", "answer", "the pairs to memorise"} {
				if _, _, ok := lb.find(s); !ok {
					t.Errorf("the recall preset's strip has no %q mark", s)
				}
			}
		})
	}
}

// hasColourBar looks for a row with the diverging scale's ramp: the
// negative end's blue, then the near-white middle, then the positive red.
func hasColourBar(img image.Image) bool {
	// A ramp is a run of pixels along a row whose redness (r − b) rises
	// steadily from clearly blue to clearly red, over at least 60 pixels;
	// a heat map's row of cells goes up and down instead.
	redness := func(x, y int) int {
		r, _, b, _ := img.At(x, y).RGBA()
		return int(r>>8) - int(b>>8)
	}
	bd := img.Bounds()
	for y := bd.Min.Y; y < bd.Max.Y; y++ {
		start, prev := -1, 0
		for x := bd.Min.X; x < bd.Max.X; x++ {
			v := redness(x, y)
			switch {
			case start >= 0 && v >= prev-6:
				if v > 60 && redness(start, y) < -60 && x-start >= 60 {
					return true
				}
			case v < -60:
				start = x
			default:
				start = -1
			}
			prev = v
		}
	}
	return false
}

// TestPanelPhone: at 360 × 740 CSS pixels the canvas holds the panel, and
// no label is cut or runs off the canvas, for TTT-Linear and TTT-MLP.
func TestPanelPhone(t *testing.T) {
	srv := servePage(t)
	ctx := browser(t, false)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(360, 740, chromedp.EmulateScale(2), chromedp.EmulateMobile)); err != nil {
		t.Fatal(err)
	}
	open(t, ctx, srv.URL+"/?autoplay=0")
	eval[pageState](t, ctx, fmt.Sprintf(`ttt.step(%d)`, panelToken))
	lb := labelsOf(t, ctx)
	t.Logf("canvas %.0f × %.0f CSS px, %d labels", lb.Width, lb.Height, len(lb.Labels))
	checkLabels(t, lb)
	if _, _, ok := lb.find("One step"); !ok {
		t.Error("no one-step panel on the phone's canvas")
	}
	savePNG(t, shot(t, ctx), "one-step-panel-phone.png")

	// TTT-MLP: two maps a head, three a row in the panel.
	eval[pageState](t, ctx, fmt.Sprintf(`ttt.setConfig({model: "mlp", width: "medium"}).then(() => ttt.step(%d))`, panelToken))
	lb = labelsOf(t, ctx)
	checkLabels(t, lb)
	if _, _, ok := lb.find("One step"); !ok {
		t.Error("no one-step panel for TTT-MLP on the phone's canvas")
	}
	// The maps need height: the first screen's canvas at 360×740 holds the
	// step's vectors and losses, a taller one the layers' updates too.
	if _, _, ok := lb.find("ΔW1"); !ok && lb.Height >= 460 {
		t.Errorf("no ΔW1 in the TTT-MLP panel on a canvas %.0f px tall", lb.Height)
	}
	savePNG(t, shot(t, ctx), "one-step-panel-phone-mlp.png")
}
