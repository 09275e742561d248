//go:build !js

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The page's layout, its embeds and its static build, in headless Chromium
// on the CPU backend (the layout does not depend on WebGPU). With
// TTT_DOCS_SHOTS=DIR the tests also write the screenshots that the README
// shows (first-screen-1280x800.png, …) into DIR:
//
//	TTT_DOCS_SHOTS=$PWD/docs go test -count=1 -run '^TestLayout' -v ./e2e

// viewport sizes the page as a desktop window or a phone.
func viewport(t *testing.T, ctx context.Context, w, h int64, phone bool) {
	t.Helper()
	opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
	if phone {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, h, opts...)); err != nil {
		t.Fatal(err)
	}
}

// layoutReport is what the page says about its own first screen.
type layoutReport struct {
	Width, Height int
	ScrollWidth   int
	Outside       []string // elements of the first screen not wholly in the viewport
	Unexplained   []string // visible controls without a visible explanation
	Cut           []string // select options wider than their select
}

// measure scrolls to the top and measures the first screen: the title, the
// sentence, the canvas and the play controls in the viewport; every visible
// control with a visible explanation (its aria-describedby) of a sentence's
// length; no select whose option text is wider than the select; and no
// horizontal overflow.
const measure = `(async () => {
  scrollTo(0, 0);
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  const W = innerWidth, H = innerHeight;
  const out = {width: W, height: H, scrollwidth: document.scrollingElement.scrollWidth, outside: [], unexplained: [], cut: []};
  const lm = document.querySelector("#mode-switch [data-mode=lm][aria-pressed=true]");
  const first = lm ? ["h1", ".lede", "#view", "#lm-play", "#lm-scrub"] : ["h1", ".lede", "#view", "#play", "#step", "#scrub", "#speed"];
  for (const sel of first) {
    const el = document.querySelector(sel);
    const r = el && el.getBoundingClientRect();
    if (!r || r.width === 0 || r.left < 0 || r.top < 0 || r.right > W + 0.5 || r.bottom > H + 0.5)
      out.outside.push(sel + (r ? " at " + [r.left, r.top, r.right, r.bottom].map(Math.round).join(",") : ": missing"));
  }
  const shown = (el) => el.checkVisibility({visibilityProperty: true});
  for (const el of document.querySelectorAll(".transport button, .transport input, #config select, #config input, #config textarea, #config button")) {
    if (!shown(el)) continue;
    const why = (el.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean).map((id) => document.getElementById(id));
    const text = why.filter((w) => w && shown(w)).map((w) => w.textContent).join(" ").trim();
    if (text.length < 20) out.unexplained.push(el.id || el.name || el.outerHTML.slice(0, 60));
  }
  const ctx = document.createElement("canvas").getContext("2d");
  for (const sel of document.querySelectorAll("#config select")) {
    if (!shown(sel)) continue;
    const cs = getComputedStyle(sel);
    ctx.font = cs.fontWeight + " " + cs.fontSize + " " + cs.fontFamily;
    const room = sel.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) - 18; // the arrow
    for (const o of sel.options) if (ctx.measureText(o.text).width > room) out.cut.push((sel.name || sel.id) + ": " + o.text);
  }
  return out;
})()`

func checkLayout(t *testing.T, what string, r layoutReport) {
	t.Helper()
	t.Logf("%s: %d×%d, scroll width %d", what, r.Width, r.Height, r.ScrollWidth)
	if r.ScrollWidth > r.Width {
		t.Errorf("%s: the page is %d px wide in a %d px viewport", what, r.ScrollWidth, r.Width)
	}
	for _, s := range r.Outside {
		t.Errorf("%s: not on the first screen: %s", what, s)
	}
	for _, s := range r.Unexplained {
		t.Errorf("%s: control %s has no visible one-line explanation", what, s)
	}
	for _, s := range r.Cut {
		t.Errorf("%s: select option cut: %s", what, s)
	}
}

// saveShot writes a screenshot of the viewport into $TTT_DOCS_SHOTS.
func saveShot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("TTT_DOCS_SHOTS")
	if dir == "" {
		return
	}
	eval[bool](t, ctx, `new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(() => r(true), 300))))`)
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), buf, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", filepath.Join(dir, name))
}

// TestLayoutFirstScreen: at 1280×800 and on a 360×740 phone, the first
// screen holds the title, the sentence, the canvas and the play controls;
// every control is explained; no select is cut; nothing, not even a long
// error, makes the page wider than the screen; in both modes.
func TestLayoutFirstScreen(t *testing.T) {
	srv := servePage(t)
	ctx := browser(t, false)
	for _, size := range []struct {
		w, h  int64
		phone bool
	}{{1280, 800, false}, {360, 740, true}} {
		name := fmt.Sprintf("%dx%d", size.w, size.h)
		viewport(t, ctx, size.w, size.h, size.phone)
		open(t, ctx, srv.URL+"/?autoplay=0&backend=cpu")
		eval[pageState](t, ctx, `ttt.step(40)`)
		checkLayout(t, name, eval[layoutReport](t, ctx, measure))
		saveShot(t, ctx, "first-screen-"+name+".png")

		// The exact formulas are one click away.
		clickAndWait(t, ctx, `.lede a[href="#formulas"]`, `(() => { const d = document.getElementById("formulas"), r = d.getBoundingClientRect(); return d.open && r.top > -1 && r.top < innerHeight; })()`)
		eval[bool](t, ctx, `!(document.getElementById("formulas").open = false)`)

		long := strings.Repeat("a_long_name_without_any_break_", 30)
		eval[bool](t, ctx, fmt.Sprintf(`(() => { const e = document.getElementById("error"); e.textContent = %q; e.hidden = false; return true; })()`, long))
		checkLayout(t, name+" with a long error", eval[layoutReport](t, ctx, measure))

		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#mode-switch [data-mode=lm]`))); err != nil {
			t.Fatal(err)
		}
		waitJS(t, ctx, `(() => { const s = ttt.lmState(); return !!s && s.done > 0 && s.done === s.tokens.length; })()`)
		eval[bool](t, ctx, fmt.Sprintf(`(() => { const e = document.getElementById("lm-error"); e.textContent = %q; e.hidden = false; return true; })()`, long))
		eval[bool](t, ctx, `(document.getElementById("lm-error").hidden = true)`)
		checkLayout(t, name+", language model", eval[layoutReport](t, ctx, measure))
	}
}

// clickAndWait clicks a control of the page and waits for cond.
func clickAndWait(t *testing.T, ctx context.Context, sel, cond string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		t.Fatalf("clicking %s: %v", sel, err)
	}
	waitJS(t, ctx, cond)
}

// TestLayoutEmbed: the embed view at the oEmbed size has a title and a
// "what am I looking at?" line, its controls play, step and pause; an
// experiment's embed shows its chart first, on the first screen, and its
// Run button runs it again.
func TestLayoutEmbed(t *testing.T) {
	srv := servePage(t)
	ctx := browser(t, false)
	viewport(t, ctx, 720, 480, false)

	open(t, ctx, srv.URL+"/embed.html?autoplay=0&backend=cpu")
	head := eval[[]string](t, ctx, `[".embed-title", ".embed-head .what:not([hidden])", "#open-full", "#view", "#play", "#step", "#scrub"].filter((s) => {
  const el = document.querySelector(s), r = el && el.getBoundingClientRect();
  return !r || r.width === 0 || r.top < 0 || r.bottom > innerHeight || r.right > innerWidth || !el.checkVisibility();
})`)
	if len(head) > 0 {
		t.Errorf("the embed does not show %v on its first screen", head)
	}
	if what := eval[string](t, ctx, `[...document.querySelectorAll(".embed-head .what")].filter((e) => e.checkVisibility()).map((e) => e.textContent).join("|")`); !strings.HasPrefix(what, "What am I looking at?") || strings.Contains(what, "|") {
		t.Errorf("the embed's explanation line: %q", what)
	}
	// "Open the full page" leads to the page with the embed's scenario.
	full := `(() => { const a = document.getElementById("open-full"); a.addEventListener("click", (e) => e.preventDefault(), {once: true}); a.click(); return a.href; })()`
	if href := eval[string](t, ctx, full); !strings.HasPrefix(href, srv.URL+"/?") || !strings.Contains(href, "backend=cpu") {
		t.Errorf("the embed's full-page link is %s; want the page with the embed's scenario", href)
	}
	// The loading picture (web/load.js) has given way to the canvas.
	if left := eval[bool](t, ctx, `!!document.getElementById("view").contentWindow.document.querySelector("svg[aria-label^='Loading']")`); left {
		t.Error("the embed still shows the loading picture after its first frame")
	}
	clickAndWait(t, ctx, "#step", `ttt.state().t === 1`)
	clickAndWait(t, ctx, "#play", `ttt.state().playing && ttt.state().t > 3`)
	clickAndWait(t, ctx, "#play", `!ttt.state().playing`)
	if label := eval[string](t, ctx, `document.getElementById("play").textContent`); label != "Play" {
		t.Errorf("after pausing, the button says %q", label)
	}
	saveShot(t, ctx, "embed-layer.png")
	// setConfig names WebGPU as replay and setBackend do.
	if msg := eval[string](t, ctx, `ttt.setConfig({backend: "webgpu"}).then((s) => "ok " + s.scenario.backend, (e) => e.message)`); msg != "ok gpu" {
		t.Errorf(`setConfig({backend: "webgpu"}): %s; want the run on backend "gpu" (it falls back to the CPU without an adapter)`, msg)
	}

	open(t, ctx, srv.URL+"/embed.html?autoplay=0&backend=cpu&exp=lanes")
	waitJS(t, ctx, `!!document.querySelector("#lab-result .lab-chart")`)
	chart := eval[map[string]float64](t, ctx, `(() => { const c = document.querySelector("#lab-result .lab-chart").getBoundingClientRect(), run = document.getElementById("lab-run").getBoundingClientRect(); return {top: c.top, bottom: c.bottom, run: run.top, h: innerHeight}; })()`)
	if chart["top"] < 0 || chart["bottom"] > chart["h"] || chart["run"] < chart["bottom"] {
		t.Errorf("the experiment embed's chart at %v–%v (Run at %v) in a %v px frame: want it first, wholly in the frame", chart["top"], chart["bottom"], chart["run"], chart["h"])
	}
	if what := eval[string](t, ctx, `[...document.querySelectorAll(".embed-head .what")].filter((e) => e.checkVisibility()).map((e) => e.textContent).join("|")`); !strings.Contains(what, "chart") {
		t.Errorf("the experiment embed's explanation line: %q", what)
	}
	saveShot(t, ctx, "embed-experiment.png")
	if href := eval[string](t, ctx, full); !strings.Contains(href, "exp=lanes") {
		t.Errorf("the experiment embed's full-page link is %s; want the page with the experiment", href)
	}
	// The panel's own "Copy embed code" is oEmbed's html for the experiment's link.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("lab-embed"))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `document.getElementById("lab-status").textContent.startsWith("<iframe")`)
	got := eval[string](t, ctx, `document.getElementById("lab-status").textContent`)
	want := eval[string](t, ctx, `fetch("/oembed?url=" + encodeURIComponent(new URL("?" + ttt.lastExperiment().query, document.baseURI).href)).then((r) => r.json()).then((o) => o.html || JSON.stringify(o))`)
	if got != want || !strings.Contains(got, "exp=lanes") {
		t.Errorf("the experiment's Copy embed code:\n%s\noEmbed's html:\n%s", got, want)
	}
	clickAndWait(t, ctx, "#lab-run", `ttt.experimentProgress().running`)
	waitJS(t, ctx, `!ttt.experimentProgress().running && /Done/.test(document.getElementById("lab-status").textContent)`)

	// In a phone-wide frame nothing is cut and the controls stay in it.
	viewport(t, ctx, 360, 480, true)
	open(t, ctx, srv.URL+"/embed.html?autoplay=0&backend=cpu")
	r := eval[map[string]float64](t, ctx, `(() => { const b = document.querySelector(".embed-bar").getBoundingClientRect(), v = document.getElementById("view").getBoundingClientRect(); return {scroll: document.scrollingElement.scrollWidth, w: innerWidth, h: innerHeight, bar: b.bottom, view: v.height}; })()`)
	if r["scroll"] > r["w"] || r["bar"] > r["h"] || r["view"] < 200 {
		t.Errorf("the embed at 360×480: %v px wide in %v, bar ends at %v of %v, canvas %v px high", r["scroll"], r["w"], r["bar"], r["h"], r["view"])
	}
	clickAndWait(t, ctx, "#step", `ttt.state().t === 1`)
}

// TestLayoutEmbedCode: "Copy embed code" copies exactly the html of the
// site's oEmbed for the page's URL, for a page with its state in the query
// and for a saved scenario; and a frame of /?embed=1 on another site shows
// the embed view (the page itself may not be framed there).
func TestLayoutEmbedCode(t *testing.T) {
	srv := servePage(t)
	ctx := browser(t, false)
	copied := func() (string, string) {
		t.Helper()
		eval[bool](t, ctx, `(document.getElementById("link").value = "") === ""`)
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("copy-embed"))); err != nil {
			t.Fatal(err)
		}
		waitJS(t, ctx, `document.getElementById("link").value.startsWith("<iframe")`)
		return eval[string](t, ctx, `document.getElementById("link").value`),
			eval[string](t, ctx, `fetch("/oembed?url=" + encodeURIComponent(location.href)).then((r) => r.json()).then((o) => o.html || JSON.stringify(o))`)
	}
	open(t, ctx, srv.URL+"/?autoplay=0&backend=cpu&model=mlp&b=4&input=recall&lr=0.3")
	if got, want := copied(); got != want {
		t.Errorf("Copy embed code:\n%s\noEmbed's html:\n%s", got, want)
	} else if !strings.Contains(got, "/embed.html?") || !strings.Contains(got, "b=4") {
		t.Errorf("Copy embed code: %s; want the embed view with the scenario", got)
	}

	// The language model's mode: its link holds its text.
	clickAndWait(t, ctx, `#mode-switch [data-mode=lm]`, `(() => { const s = ttt.lmState(); return !!s && s.done > 0 && s.done === s.tokens.length; })()`)
	if got, want := copied(); got != want || !strings.Contains(got, "mode=lm") {
		t.Errorf("in the language model's mode, Copy embed code:\n%s\noEmbed's html:\n%s", got, want)
	}

	id := eval[string](t, ctx, `fetch("/api/scenarios", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({model: "mlp", b: 8})}).then((r) => r.json()).then((c) => c.id)`)
	open(t, ctx, srv.URL+"/s/"+id+"?autoplay=0")
	if got, want := copied(); got != want || !strings.Contains(got, "/e/"+id) {
		t.Errorf("on /s/%s, Copy embed code:\n%s\noEmbed's html:\n%s", id, got, want)
	}

	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><iframe src="%s/?embed=1&autoplay=0&backend=cpu" width="720" height="480"></iframe><script>
window.msgs = [];
addEventListener("message", (e) => window.msgs.push(e.data));
</script>`, srv.URL)
	}))
	defer host.Close()
	if err := chromedp.Do(ctx, chromedp.Navigate(host.URL)); err != nil {
		t.Fatal(err)
	}
	ok, err := chromedp.Run(ctx, chromedp.Poll[bool](`window.msgs.some((m) => m && m.ttt === "ready")`, chromedp.WithPollingTimeout(120*time.Second)))
	if err != nil || !ok {
		t.Errorf("a frame of /?embed=1 on another site never became ready: %v", err)
	}
}

// TestLayoutStatic: `make static`'s folder, served by a plain file server
// from a sub-folder, is the page: it becomes ready and plays, hides the
// short links it cannot make, and its embed code and embed view work.
func TestLayoutStatic(t *testing.T) {
	web := buildPage(t)
	out := filepath.Join(t.TempDir(), "static")
	cmd := exec.Command(goTool(), "run", "../cmd/static", "-web", web, "-out", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cmd/static: %v\n%s", err, b)
	}
	srv := httptest.NewServer(http.StripPrefix("/demo", http.FileServer(http.Dir(out))))
	t.Cleanup(srv.Close)
	ctx := browser(t, false)

	open(t, ctx, srv.URL+"/demo/?autoplay=0&backend=cpu&input=recall")
	clickAndWait(t, ctx, "#play", `ttt.state().playing && ttt.state().t > 3`)
	clickAndWait(t, ctx, "#play", `!ttt.state().playing`)
	waitJS(t, ctx, `document.body.dataset.api === "none" && getComputedStyle(document.getElementById("save")).display === "none"`)
	if p := eval[string](t, ctx, `location.pathname`); p != "/demo/" {
		t.Errorf("the page moved itself to %s; want it to stay in its folder /demo/", p)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("copy-embed"))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `document.getElementById("link").value.startsWith("<iframe")`)
	code := eval[string](t, ctx, `document.getElementById("link").value`)
	want := srv.URL + "/demo/embed.html?"
	if !strings.Contains(code, `src="`+want) || !strings.Contains(code, "input=recall") {
		t.Fatalf("the static page's embed code %s; want an iframe of %s… with the scenario", code, want)
	}
	src := code[strings.Index(code, want) : strings.Index(code, want)+strings.Index(code[strings.Index(code, want):], `"`)]
	src = strings.ReplaceAll(src, "&amp;", "&")
	u, err := url.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("autoplay", "0")
	q.Set("backend", "cpu")
	u.RawQuery = q.Encode()
	open(t, ctx, u.String())
	clickAndWait(t, ctx, "#step", `ttt.state().t === 1 && ttt.state().scenario.input === "recall"`)
}
