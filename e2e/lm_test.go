//go:build !js

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"math"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"tttexplainer/demo"
	"tttexplainer/lm"
	"tttexplainer/ttt"
)

// lmPhrase is read twice by the LM test's prompt: a model that learns in
// context predicts it better the second time.
const lmPhrase = "the whale is white, and the sea is deep. "

// lmRepeatLearnt says whether the committed weights learn in context, so
// that TestLMPage asserts the repeated phrase costs less the second time
// and a passage read twice at least lmCopyGain nats a character less. The
// weights before issue 11 did not: their learnt τ made the last token's
// scale 0, so W never carried past a mini-batch.
const lmRepeatLearnt = true

// lmCopyGain is the least gain of the second reading, in nats/char, and
// lmPassages how many of lm.Passages the test reads twice on each backend.
// The committed weights gain 0.262 on these three (0.249 on all six, the
// model card); issue 11's goal is 0.3, so this guards what the model does,
// it does not claim the goal.
const (
	lmCopyGain = 0.2
	lmPassages = 3
)

type lmPred struct {
	Char string  `json:"char"`
	P    float64 `json:"p"`
}

type lmState struct {
	Model    string      `json:"model"`
	Backend  string      `json:"backend"`
	Adapter  string      `json:"adapter"`
	Reason   string      `json:"reason"`
	Tokens   []string    `json:"tokens"`
	Done     int         `json:"done"`
	T        int         `json:"t"`
	ProbsTop [][]lmPred  `json:"probs_top"`
	Loss     []float64   `json:"loss"`
	Bits     *float64    `json:"bits_per_char"`
	Checksum uint32      `json:"weights_checksum"`
	Weights  [][]lmHeadW `json:"weights"`
	Readings *struct {
		Len    int      `json:"length"`
		First  *float64 `json:"first_loss"`
		Second *float64 `json:"second_loss"`
	} `json:"readings"`
}

type lmHeadW struct {
	W []float64 `json:"W"`
	B []float64 `json:"b"`
}

// lmReference is the native CPU forward of the same model: every
// character's full next-character distribution, loss and the final W.
type lmReference struct {
	probs [][]float32 // [T][V]
	loss  []float64   // [T−1]
	W     [][]*ttt.Weights
}

func lmForward(t *testing.T, m *lm.Model, text string) lmReference {
	t.Helper()
	tokens, err := lm.Encode(text)
	if err != nil {
		t.Fatal(err)
	}
	st, err := m.NewStream(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var ref lmReference
	for i, tok := range tokens {
		step, err := st.Step(tok)
		if err != nil {
			t.Fatal(err)
		}
		ref.probs = append(ref.probs, slices.Clone(step.Probs))
		if i > 0 {
			ref.loss = append(ref.loss, float64(step.Loss))
		}
	}
	if ref.W, err = st.Weights(); err != nil {
		t.Fatal(err)
	}
	return ref
}

// checkLM compares the page's run with the native forward at 1e-4 abs +
// 1e-4 rel: each listed candidate's probability against the native
// distribution's for that character and against the native one of the same
// rank (so the page lists the likeliest characters, whatever order it gives
// near-ties), every loss, and W when the page sent it.
func checkLM(t *testing.T, got lmState, ref lmReference) {
	t.Helper()
	chars := []rune(lm.Vocab)
	index := map[string]int{}
	for i, r := range chars {
		index[string(r)] = i
	}
	var gp, wp, rank, wrank []float64
	for i, top := range got.ProbsTop {
		sorted := slices.Clone(ref.probs[i][:len(chars)])
		slices.SortFunc(sorted, func(a, b float32) int { return -cmpF(a, b) })
		if len(top) != demo.LMTop {
			t.Fatalf("character %d: %d candidates, want %d", i, len(top), demo.LMTop)
		}
		for j, p := range top {
			k, ok := index[p.Char]
			if !ok {
				t.Fatalf("character %d: candidate %q is not in the vocabulary", i, p.Char)
			}
			gp, wp = append(gp, p.P), append(wp, float64(ref.probs[i][k]))
			rank, wrank = append(rank, p.P), append(wrank, float64(sorted[j]))
		}
	}
	diffs := []ttt.Diff{
		ttt.CompareArray("probs_top (p of each listed character)", gp, wp, ttt.AbsTol, ttt.RelTol),
		ttt.CompareArray("probs_top (p by rank)", rank, wrank, ttt.AbsTol, ttt.RelTol),
		ttt.CompareArray("loss", got.Loss, ref.loss, ttt.AbsTol, ttt.RelTol),
	}
	if got.Weights != nil {
		var gw, ww []float64
		for l, layer := range ref.W {
			for h, w := range layer {
				gw = append(append(gw, got.Weights[l][h].W...), got.Weights[l][h].B...)
				for _, x := range append(slices.Clone(w.W), w.B...) {
					ww = append(ww, float64(x))
				}
			}
		}
		diffs = append(diffs, ttt.CompareArray("W and b of every layer and head", gw, ww, ttt.AbsTol, ttt.RelTol))
	}
	for _, d := range diffs {
		if !d.OK() {
			t.Errorf("%s: %v", got.Backend, d)
		} else {
			t.Logf("%s: %v", got.Backend, d)
		}
	}
}

func cmpF(a, b float32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// TestLMPage is the page's language-model mode in headless Chromium with
// SwiftShader's WebGPU: on the webgpu and the cpu backend, a fixed prompt's
// per-character losses, top probabilities and (on webgpu) every head's W
// match the native CPU forward within 1e-4 abs + 1e-4 rel; bad text is
// refused with the reason; ?mode=lm&text=… opens the mode; the view draws.
// The repeated phrase is measured; see lmRepeatLearnt for its assertion.
func TestLMPage(t *testing.T) {
	srv := servePage(t)
	ctx := browser(t, true)
	r := open(t, ctx, srv.URL+"/?autoplay=0&backend=gpu")
	if r.Backend != "webgpu" {
		if requireGPU() || strings.Contains(r.GPUMessage, "self-test") {
			t.Fatalf("ttt.ready reports backend %q (%s), want webgpu", r.Backend, r.Reason)
		}
		t.Skipf("no WebGPU adapter in this browser: %s", r.GPUMessage)
	}

	prompt := "Call me Ishmael. " + lmPhrase + "Some years ago. " + lmPhrase
	const model = "pretrained"
	m, err := demo.PretrainedLM()
	if err != nil {
		t.Fatal(err)
	}
	ref := lmForward(t, m, prompt)

	for _, be := range []string{"webgpu", "cpu"} {
		start := time.Now()
		s := eval[lmState](t, ctx, fmt.Sprintf(`ttt.lm(%s, {backend: %q, model: %q, weights: %v})`, jsString(prompt), be, model, be == "webgpu"))
		took := time.Since(start)
		n := len([]rune(prompt))
		if s.Backend != be || s.Model != model || s.Done != n || len(s.Tokens) != n || len(s.Loss) != n-1 || len(s.ProbsTop) != n {
			t.Fatalf("ttt.lm on %s: %s model on %s (%s), %d of %d characters, %d losses", be, s.Model, s.Backend, s.Reason, s.Done, n, len(s.Loss))
		}
		t.Logf("%s (%s): %d characters in %v (%.1f ms a character, with the page's overhead), %.3f bits per character",
			be, s.Adapter, n, took.Round(time.Millisecond), float64(took.Milliseconds())/float64(n), *s.Bits)
		checkLM(t, s, ref)

		first, second := phraseLoss(s.Loss, prompt)
		t.Logf("%s: the phrase's mean loss %.3f nats the first time, %.3f the second", be, first, second)
		if lmRepeatLearnt && !(second < first) {
			t.Errorf("%s: the repeated phrase's mean loss %.3f is not below its first reading's %.3f", be, second, first)
		}
	}

	// English passages the model never saw, each read twice (P + "\n" + P,
	// the page's "read it twice" preset): the page reports each reading's
	// mean loss, the native forward's, and (lmRepeatLearnt) the second
	// costs lmCopyGain nats a character less on average, on both backends.
	passages, err := lm.Passages()
	if err != nil {
		t.Fatal(err)
	}
	passages = passages[:lmPassages]
	want, err := lm.EvaluateCopy(m, passages)
	if err != nil {
		t.Fatal(err)
	}
	for _, be := range []string{"webgpu", "cpu"} {
		var first, second float64
		var chars int // EvaluateCopy averages over characters, not passages
		for _, p := range passages {
			chars += len(p) - 1
		}
		for _, p := range passages {
			text := lm.Decode(p) + "\n" + lm.Decode(p)
			s := eval[lmState](t, ctx, fmt.Sprintf(`ttt.lm(%s, {backend: %q, model: %q})`, jsString(text), be, model))
			if s.Backend != be || s.Readings == nil || s.Readings.Len != len(p) || s.Readings.First == nil || s.Readings.Second == nil {
				t.Fatalf("%s: ttt.lm(P + \"\\n\" + P) on %s reports readings %+v", be, s.Backend, s.Readings)
			}
			w := float64(len(p)-1) / float64(chars)
			first += *s.Readings.First * w
			second += *s.Readings.Second * w
		}
		t.Logf("%s: %d passages read twice, %.3f nats/char the first time, %.3f the second (native: %.3f, %.3f)", be, len(passages), first, second, want.First, want.Second)
		if math.Abs(first-want.First) > 1e-3 || math.Abs(second-want.Second) > 1e-3 {
			t.Errorf("%s: readings %.4f, %.4f; the native forward gives %.4f, %.4f", be, first, second, want.First, want.Second)
		}
		if lmRepeatLearnt && first-second < lmCopyGain {
			t.Errorf("%s: the second reading costs %.3f nats/char less than the first, want ≥ %g", be, first-second, lmCopyGain)
		}
	}

	// Scrubbing shows W of that character: a different checksum than at the end.
	end := eval[lmState](t, ctx, `ttt.lmState()`)
	mid := eval[lmState](t, ctx, `ttt.lmSeek(20)`)
	if mid.T != 20 || mid.Checksum == end.Checksum {
		t.Errorf("lmSeek(20): t %d, W checksum %08x (at the end %08x)", mid.T, mid.Checksum, end.Checksum)
	}

	t.Run("bad text", func(t *testing.T) {
		for text, want := range map[string]string{
			"":                            "the text is empty",
			"Call me Ishmaël":             `character 'ë' (line 1) is not in the vocabulary`,
			strings.Repeat("a", 5000):     "reads at most 4096",
			"Call me\nIshmael, said 🐋 ok": `character '🐋' (line 2)`,
		} {
			msg := eval[string](t, ctx, fmt.Sprintf(`ttt.lm(%s, {model: %q}).then(() => "resolved", (e) => e.message)`, jsString(text), model))
			if !strings.Contains(msg, want) {
				t.Errorf("ttt.lm(%.20q) = %q, want an error containing %q", text, msg, want)
			}
		}
		msg := eval[string](t, ctx, `ttt.lm("Call me", {backend: "tpu"}).then(() => "resolved", (e) => e.message)`)
		if !strings.Contains(msg, "tpu") {
			t.Errorf("ttt.lm on backend tpu: %q", msg)
		}
	})

	t.Run("draws", func(t *testing.T) {
		eval[lmState](t, ctx, `ttt.lmSeek(40)`)
		img := shot(t, ctx)
		if n := colours(img, img.Bounds()); n < 50 {
			t.Errorf("the LM view shows %d colours: blank?", n)
		}
		redrawn(t, ctx, `ttt.setMode("layer")`)
		// The layer's frame reaches the screenshot a frame or two after it
		// is drawn (a CI run once caught the old picture): look again for
		// up to 15 s before calling the LM view stuck.
		for end := time.Now().Add(15 * time.Second); ; {
			back := shot(t, ctx)
			if differ(img, back, img.Bounds()) >= img.Bounds().Dx()*img.Bounds().Dy()/20 {
				break
			}
			if time.Now().After(end) {
				t.Error("setMode(\"layer\") left the LM view on the canvas")
				break
			}
		}
	})

	t.Run("device loss", func(t *testing.T) {
		// The device goes while the text is read (between two chunks of
		// characters): the rest is read on the CPU, the run says why, and
		// the numbers are the native forward's.
		// The loss lands once the first chunk is read and two are still
		// to come, whatever the machine's speed (a fixed 1.5 s wait once
		// came after a warm run had already finished).
		s := eval[lmState](t, ctx, fmt.Sprintf(`(async () => {
			let ended = false;
			const run = ttt.lm(%s, {backend: "webgpu", model: %q}).finally(() => { ended = true; });
			for (;;) {
				const s = ttt.lmState() || {};
				if (ended) return {backend: "ended before the loss", done: -1, reason: ""};
				if (s.backend === "webgpu" && s.done >= 16 && s.done + 32 <= (s.tokens || []).length) break;
				await new Promise((r) => setTimeout(r, 2));
			}
			await ttt.simulateDeviceLoss();
			return await run;
		})()`, jsString(prompt), model))
		if s.Backend != "cpu" || !strings.Contains(s.Reason, "moved to the CPU") || s.Done != len([]rune(prompt)) {
			t.Fatalf("after the loss: %s, %d characters, reason %q", s.Backend, s.Done, s.Reason)
		}
		t.Logf("after the loss: %s", s.Reason)
		checkLM(t, s, ref)
	})

	t.Run("url", func(t *testing.T) {
		text := "Call me Ishmael. Call me Ishmael."
		open(t, ctx, srv.URL+"/?autoplay=0&mode=lm&text="+url.QueryEscape(text))
		var s lmState
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			if s = eval[lmState](t, ctx, `ttt.lmState() || {}`); s.Done == len(text) {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if strings.Join(s.Tokens, "") != text || s.Done != len(text) {
			t.Fatalf("?mode=lm&text=…: the LM read %q (%d characters)", strings.Join(s.Tokens, ""), s.Done)
		}
		q := eval[string](t, ctx, `location.search`)
		if v, _ := url.ParseQuery(strings.TrimPrefix(q, "?")); v.Get("mode") != "lm" || v.Get("lmtext") != text {
			t.Errorf("the URL after reading is %q, want mode=lm and the text", q)
		}
		shown := eval[string](t, ctx, `document.getElementById("lm-summary").textContent`)
		if !strings.Contains(shown, "bits per character") {
			t.Errorf("the LM summary says %q", shown)
		}
		// Play walks the scrubber through the characters.
		if at := playedTo(t, ctx, "lm-play"); at < 3 {
			t.Errorf("after Play the scrubber stayed at character %d", at)
		}
		if !eval[bool](t, ctx, `!document.getElementById("lm-text").closest("fieldset").hidden && document.getElementById("config").querySelector("[name=model]").closest("fieldset").hidden`) {
			t.Error("in LM mode the page shows the layer's settings, or hides the LM's")
		}
	})
}

// TestLMEmbed: the embed view opens the LM mode from its address as well.
func TestLMEmbed(t *testing.T) {
	srv := servePage(t)
	ctx := browser(t, false)
	text := "Call me Ishmael."
	open(t, ctx, srv.URL+"/embed.html?mode=lm&lmbackend=cpu&text="+url.QueryEscape(text))
	var s lmState
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if s = eval[lmState](t, ctx, `ttt.lmState() || {}`); s.Done == len(text) {
			break
		}
	}
	if strings.Join(s.Tokens, "") != text || s.Backend != "cpu" || len(s.Loss) != len(text)-1 {
		t.Fatalf("embed.html?mode=lm: read %q on %q, %d losses", strings.Join(s.Tokens, ""), s.Backend, len(s.Loss))
	}
	// Its Play (the embed's LM bar) walks the LM's scrubber (issue 12: it did nothing).
	if at := playedTo(t, ctx, "lm-play"); at < 3 {
		t.Errorf("embed: after Play the scrubber stayed at character %d", at)
	}
	// embed.html draws in its own document (no #view frame to shoot).
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(buf))
	if err != nil {
		t.Fatal(err)
	}
	if n := colours(img, img.Bounds()); n < 50 {
		t.Errorf("the embedded LM view shows %d colours: blank?", n)
	}

	// Save short link in LM mode stores the text as the scenario's lm, and
	// both /s/{id} and /e/{id} open the mode on it.
	saved := "Ahab! Ahab! Queequeg."
	open(t, ctx, srv.URL+"/?autoplay=0&mode=lm&lmbackend=cpu&lmtext="+url.QueryEscape(saved))
	waitLM(t, ctx, saved)
	var link string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && !strings.Contains(link, "/s/"); time.Sleep(200 * time.Millisecond) {
		link = eval[string](t, ctx, `(document.getElementById("link").value.includes("/s/") || document.getElementById("save").click(), document.getElementById("link").value)`)
	}
	if !strings.Contains(link, "/s/") {
		t.Fatalf("Save short link in LM mode left the link box at %q", link)
	}
	for _, page := range []string{link, strings.Replace(link, "/s/", "/e/", 1)} {
		open(t, ctx, page)
		if s := waitLM(t, ctx, saved); s.Backend != "cpu" {
			t.Errorf("%s: the saved LM scenario ran on %q, want its backend cpu", page, s.Backend)
		}
	}
}

// playedTo seeks the LM to character 0, clicks the Play button with id,
// and returns the scrubber's character once it passes 3 (or after 20 s:
// each step is a seek through the page's stepping goroutine, slow on a
// loaded machine).
func playedTo(t *testing.T, ctx context.Context, id string) int {
	t.Helper()
	eval[lmState](t, ctx, fmt.Sprintf(`ttt.lmSeek(0).then(() => { document.getElementById(%q).click(); return ttt.lmState(); })`, id))
	var s lmState
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		if s = eval[lmState](t, ctx, `ttt.lmState()`); s.T >= 3 {
			break
		}
	}
	return s.T
}

// waitLM waits until the page's language model has read text, and returns its state.
func waitLM(t *testing.T, ctx context.Context, text string) lmState {
	t.Helper()
	var s lmState
	n := len([]rune(text))
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if s = eval[lmState](t, ctx, `(window.ttt && ttt.lmState && ttt.lmState()) || {}`); s.Done == n && strings.Join(s.Tokens, "") == text {
			return s
		}
	}
	t.Fatalf("the language model read %q (%d of %d characters), want %q", strings.Join(s.Tokens, ""), s.Done, n, text)
	return s
}

// phraseLoss is the mean loss of lmPhrase's characters at its first and
// second place in prompt (loss[i] scores character i+1).
func phraseLoss(loss []float64, prompt string) (first, second float64) {
	r := []rune(prompt)
	p := []rune(lmPhrase)
	var at []int
	for i := 0; i+len(p) <= len(r); i++ {
		if string(r[i:i+len(p)]) == lmPhrase {
			at = append(at, i)
		}
	}
	mean := func(s int) float64 {
		sum := 0.0
		for i := max(s, 1); i < s+len(p); i++ {
			sum += loss[i-1]
		}
		return sum / float64(s+len(p)-max(s, 1))
	}
	if len(at) < 2 {
		return math.NaN(), math.NaN()
	}
	return mean(at[0]), mean(at[1])
}

// TestLMPageBench times the LM mode per character in Chromium, on
// SwiftShader's WebGPU and on the CPU backend, over a 1,000-character text
// (ttt.lm end to end: the page's chunks, frames and readbacks included).
// It runs only when TTT_BROWSER_BENCH=1:
//
//	TTT_BROWSER_BENCH=1 go test -run TestLMPageBench -v ./e2e
func TestLMPageBench(t *testing.T) {
	if os.Getenv("TTT_BROWSER_BENCH") != "1" {
		t.Skip("set TTT_BROWSER_BENCH=1 to time the LM mode in Chromium")
	}
	srv := servePage(t)
	ctx := browser(t, true)
	if r := open(t, ctx, srv.URL+"/?autoplay=0&backend=gpu"); r.Backend != "webgpu" {
		t.Fatalf("no WebGPU: %s", r.Reason)
	}
	const model = "pretrained"
	text := strings.Repeat("Call me Ishmael. Some years ago, never mind how long precisely. ", 16)[:1000]
	for _, be := range []string{"webgpu", "cpu", "webgpu", "cpu"} { // the first of each warms up
		start := time.Now()
		s := eval[lmState](t, ctx, fmt.Sprintf(`ttt.lm(%s, {backend: %q, model: %q})`, jsString(text), be, model))
		took := time.Since(start)
		t.Logf("%s model on %s (%s): %d characters in %v, %.2f ms a character", model, s.Backend, s.Adapter, s.Done, took.Round(time.Millisecond), took.Seconds()*1000/float64(s.Done))
	}
}
