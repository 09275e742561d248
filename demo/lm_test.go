package demo

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"tttexplainer/lm"
	"tttexplainer/scenario"
	"tttexplainer/ttt"
)

// lmPrompt is the fixed prompt of the LM tests: a repeated phrase (the
// second reading should cost less once the weights are trained), several
// mini-batches long and ending in a partial one.
const lmPrompt = "Call me Ishmael. Some years ago, never mind how long. Call me Ishmael. Some years ago"

// testLM is the model the tests run: the page's, trained.
func testLM(t *testing.T) *lm.Model {
	t.Helper()
	m, err := PretrainedLM()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func readAll(t *testing.T, m *lm.Model, text string, dev Device) *LMRun {
	t.Helper()
	r, err := NewLMRun(m, text, dev, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	for {
		ok, err := r.Step()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return r
		}
	}
}

func f64(xs []float32) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = float64(x)
	}
	return out
}

func flatW(t *testing.T, r *LMRun, p int) []float64 {
	t.Helper()
	W, err := r.WeightsAt(p)
	if err != nil {
		t.Fatal(err)
	}
	var out []float64
	for _, layer := range W {
		for _, w := range layer {
			for _, x := range w.Tensors() {
				out = append(out, f64(x)...)
			}
		}
	}
	return out
}

// compareTop compares the candidates rank by rank: the probabilities within
// tolerance, and the characters equal unless the reference's neighbours tie
// within tolerance (then the two backends may order them either way).
func compareTop(got, want [][]LMPred) ttt.Diff {
	var g, w []float64
	for i := range want {
		if i >= len(got) || len(got[i]) != len(want[i]) {
			return ttt.Diff{Name: "probs_top", Bad: i, MaxAbs: math.Inf(1)}
		}
		for j, p := range want[i] {
			g, w = append(g, float64(got[i][j].P)), append(w, float64(p.P))
			if got[i][j].Char == p.Char {
				continue
			}
			tie := false
			for _, k := range []int{j - 1, j + 1} {
				if k >= 0 && k < len(want[i]) && math.Abs(float64(want[i][k].P-p.P)) <= ttt.AbsTol+ttt.RelTol*float64(p.P) {
					tie = true
				}
			}
			if !tie {
				return ttt.Diff{Name: fmt.Sprintf("probs_top char %d rank %d: %q, want %q;", i, j, got[i][j].Char, p.Char), Bad: i, MaxAbs: math.Inf(1)}
			}
		}
	}
	return ttt.CompareArray("probs_top", g, w, ttt.AbsTol, ttt.RelTol)
}

// compareRuns checks two runs of the same text: candidates, losses and
// every head's W after every mini-batch boundary and at a few points inside.
func compareRuns(t *testing.T, got, want *LMRun) {
	t.Helper()
	diffs := []ttt.Diff{
		compareTop(got.Top, want.Top),
		ttt.CompareArray("loss", f64(got.Loss), f64(want.Loss), ttt.AbsTol, ttt.RelTol),
	}
	for _, p := range []int{0, 7, 16, 41, want.Done()} {
		diffs = append(diffs, ttt.CompareArray(fmt.Sprintf("W after %d characters", p), flatW(t, got, p), flatW(t, want, p), ttt.AbsTol, ttt.RelTol))
	}
	for _, d := range diffs {
		if !d.OK() {
			t.Error(d)
		} else {
			t.Log(d)
		}
	}
}

// TestLMRunMatchesStream: the page's run on the CPU records what lm.Stream
// computes (every candidate, loss and W), and W replayed from a mini-batch
// boundary equals the stream's own at every character.
func TestLMRunMatchesStream(t *testing.T) {
	m := testLM(t)
	r := readAll(t, m, lmPrompt, CPU{})
	tokens, _ := lm.Encode(lmPrompt)
	if r.Done() != len(tokens) || len(r.Loss) != len(tokens)-1 || r.Pos() != len(tokens) {
		t.Fatalf("read %d of %d characters, %d losses, shown %d", r.Done(), len(tokens), len(r.Loss), r.Pos())
	}
	st, err := m.NewStream(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for i, tok := range tokens {
		step, err := st.Step(tok)
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 && step.Loss != r.Loss[i-1] {
			t.Fatalf("character %d: loss %v, the stream gives %v", i, r.Loss[i-1], step.Loss)
		}
		want := topK(step.Probs, LMTop)
		for j := range want {
			if r.Top[i][j] != want[j] {
				t.Fatalf("character %d: candidates %v, the stream gives %v", i, r.Top[i], want)
			}
		}
		W, _ := st.Weights()
		got, err := r.WeightsAt(i + 1)
		if err != nil {
			t.Fatal(err)
		}
		for l := range W {
			if Checksum(got[l]) != Checksum(W[l]) {
				t.Fatalf("W of layer %d after %d characters: checksum %08x, the stream gives %08x", l, i+1, Checksum(got[l]), Checksum(W[l]))
			}
		}
	}
	if bpc := r.BitsPerChar(); !(bpc > 0) || math.IsInf(bpc, 0) {
		t.Errorf("bits per character = %v", bpc)
	}
	// The candidates are the likeliest, in order, and sum to at most 1.
	sum := float32(0)
	for j, p := range r.Top[5] {
		sum += p.P
		if j > 0 && p.P > r.Top[5][j-1].P {
			t.Errorf("candidates out of order: %v", r.Top[5])
		}
	}
	if sum > 1.0001 {
		t.Errorf("top %d probabilities sum to %v", LMTop, sum)
	}
}

// TestLMGPUMatchesCPU: on the GPU (lavapipe here; TTT_REQUIRE_GPU=1 makes a
// missing adapter fail) the model's forward agrees with the CPU's within
// 1e-4 abs + 1e-4 rel on a fixed prompt: the whole next-character
// distribution and loss at every character, and every layer's and head's W.
func TestLMGPUMatchesCPU(t *testing.T) {
	dev := openGPU(t)
	m := testLM(t)
	gpuRun := readAll(t, m, lmPrompt, dev)
	if d, reason := gpuRun.Device(); d.Name() != "webgpu" || gpuRun.whole == nil {
		t.Fatalf("the run is on %s, whole model on the device: %v: %s", d.Name(), gpuRun.whole != nil, reason)
	}
	compareRuns(t, gpuRun, readAll(t, m, lmPrompt, CPU{}))

	// The full distributions, through lm.Stream on each backend.
	tokens, _ := lm.Encode(lmPrompt)
	gs, err := m.NewStream(func(h []*ttt.Head, W0 []*ttt.Weights) (lm.HeadStream, error) { return dev.NewStream(h, W0) })
	if err != nil {
		t.Fatal(err)
	}
	defer gs.Close()
	cs, _ := m.NewStream(nil)
	var got, want []float64
	for _, tok := range tokens {
		g, err := gs.Step(tok)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := cs.Step(tok)
		got, want = append(got, f64(g.Probs)...), append(want, f64(c.Probs)...)
	}
	d := ttt.CompareArray("probs", got, want, ttt.AbsTol, ttt.RelTol)
	if !d.OK() {
		t.Error(d)
	}
	t.Logf("%s on %s, %d characters", d, dev.Adapter(), len(tokens))
}

// TestLMDeviceLossFallsBack: a device that fails mid-text (by an error, or
// a panic as a JavaScript exception inside WebGPU would) moves the model to
// the CPU, which says why, keeps what was read, and ends with the numbers
// of a run that was on the CPU all along: with each layer's heads on the
// device (failing), and with the whole model there (failingModel), whose
// stream fails at the first character, inside a mini-batch and just after
// one ends.
func TestLMDeviceLossFallsBack(t *testing.T) {
	m := testLM(t)
	want := readAll(t, m, lmPrompt, CPU{})
	for _, tc := range []struct {
		left   int
		panics bool
		whole  bool
	}{{0, false, false}, {37, false, false}, {50, true, false}, {0, false, true}, {37, false, true}, {32, true, true}} {
		left := tc.left
		var dev Device = failing{left: &left, panics: tc.panics}
		if tc.whole {
			dev = failingModel{left: &left, panics: tc.panics}
		}
		r := readAll(t, m, lmPrompt, dev)
		got, reason := r.Device()
		if got.Name() != "cpu" || !strings.Contains(reason, "device lost (test)") || !strings.Contains(reason, "moved to the CPU") || r.whole != nil {
			t.Errorf("failing after %d steps (whole model: %v): on %s, reason %q", tc.left, tc.whole, got.Name(), reason)
		}
		compareRuns(t, r, want)
	}
}

// TestLMBadText: texts the model cannot read are errors that say why, and
// name the character it does not know.
func TestLMBadText(t *testing.T) {
	m := testLM(t)
	for _, tc := range []struct{ text, want string }{
		{"", "the text is empty"},
		{"C", "needs at least 2"},
		{"Call me Ishmaël", `character 'ë' (line 1) is not in the vocabulary`},
		{"Call me\nIshmael 🐋", `character '🐋' (line 2)`},
		{"Call me \xff", "not valid UTF-8"},
		{strings.Repeat("a", scenario.MaxLMText+1), fmt.Sprintf("the text has %d characters; the language model reads at most %d", scenario.MaxLMText+1, scenario.MaxLMText)},
	} {
		_, err := NewLMRun(m, tc.text, CPU{}, "")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewLMRun(%.20q) = %v, want an error containing %q", tc.text, err, tc.want)
		}
	}
	if _, err := NewLMRun(m, strings.Repeat("a", scenario.MaxLMText), CPU{}, ""); err != nil {
		t.Errorf("a text of %d characters: %v", scenario.MaxLMText, err)
	}
	if _, err := NewLMRun(nil, "ab", CPU{}, ""); err == nil {
		t.Error("NewLMRun without a model: no error")
	}
}

// TestLMSession: the session reads a text in chunks, scrubs, reports its
// state as JSON, and passes on the model's loading error.
func TestLMSession(t *testing.T) {
	m := testLM(t)
	ss := newTestSession(t, nil, true)
	ls := NewLMSession(ss, func(string) (*lm.Model, error) { return m, nil })
	if err := ls.Advance(1); err == nil {
		t.Error("Advance before Start: no error")
	}
	if err := ls.Start(lmPrompt, "gpu", "test"); err != nil {
		t.Fatal(err)
	}
	if err := ls.Advance(20); err != nil {
		t.Fatal(err)
	}
	if f := ls.Frame(); f.Done != 20 || f.Backend != "cpu" || !strings.Contains(f.Reason, "no GPU backend") {
		t.Fatalf("after 20 characters: done %d on %s (%q)", f.Done, f.Backend, f.Reason)
	}
	if err := ls.Advance(0); err != nil {
		t.Fatal(err)
	}
	n := len([]rune(lmPrompt))
	if err := ls.Seek(30); err != nil {
		t.Fatal(err)
	}
	f := ls.Frame()
	if f.Done != n || f.Pos != 30 || len(f.Loss) != n-1 || len(f.W) != m.Config.Layers || len(f.W[0]) != m.Config.H {
		t.Fatalf("frame: done %d pos %d, %d losses, W %d layers", f.Done, f.Pos, len(f.Loss), len(f.W))
	}
	b, err := json.Marshal(f.State(true))
	if err != nil {
		t.Fatal(err)
	}
	var s LMState
	if err := json.Unmarshal(b, &s); err != nil || s.T != 30 || len(s.ProbsTop) != n || s.BitsPerChar == nil || len(s.Weights[1][m.Config.H-1].W) != m.Config.HeadSize()*m.Config.HeadSize() {
		t.Fatalf("state: %v, %.200s", err, b)
	}
	// A new text while one is read: the old reading stops and says why.
	if err := ls.Start(strings.Repeat(lmPrompt, 50)[:scenario.MaxLMText], "cpu", "test"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- ls.Advance(0) }()
	for ls.Frame().Done == 0 {
		time.Sleep(time.Millisecond)
	}
	if err := ls.Start(lmPrompt, "cpu", "test"); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err == nil || !strings.Contains(err.Error(), "replaced") {
		t.Errorf("Advance while a new text starts: %v, want an error saying it was replaced", err)
	}
	if f := ls.Frame(); f.Done != 0 || len(f.Text) != len([]rune(lmPrompt)) {
		t.Errorf("after the new text: %d of %d characters read", f.Done, len(f.Text))
	}
	if err := ls.Start("x", "cpu", "test"); err == nil || !strings.Contains(err.Error(), "at least 2") {
		t.Errorf("Start with one character: %v", err)
	}
	if err := ls.Start(lmPrompt, "tpu", "test"); err == nil {
		t.Error("Start on backend tpu: no error")
	}

	_, loadErr := PretrainedLM()
	page := NewLMSession(ss, LoadLM)
	if err := page.Start(lmPrompt, "cpu", "pretrained"); (err == nil) != (loadErr == nil) || (err != nil && err.Error() != loadErr.Error()) {
		t.Errorf("Start with the pretrained model = %v, want %v", err, loadErr)
	}
	if err := page.Start(lmPrompt, "cpu", "untrained"); err != nil {
		t.Errorf("Start with the untrained model: %v", err)
	}
	if err := page.Start(lmPrompt, "cpu", "gpt"); err == nil || !strings.Contains(err.Error(), `unknown model "gpt"`) {
		t.Errorf("Start with model gpt: %v", err)
	}
}

// TestGPULMSessionLosesDevice: the page's LM mode on the GPU goes on on the
// CPU when the device is lost, keeping the characters already read.
func TestGPULMSessionLosesDevice(t *testing.T) {
	openGPU(t) // skips or fails as the environment asks
	m := testLM(t)
	ss := newTestSession(t, OpenWebGPU, true)
	ls := NewLMSession(ss, func(string) (*lm.Model, error) { return m, nil })
	if err := ls.Start(lmPrompt, "gpu", "test"); err != nil { // auto picks the CPU over a software adapter
		t.Fatal(err)
	}
	if err := ls.Advance(40); err != nil {
		t.Fatal(err)
	}
	before := append([]float32(nil), ls.Frame().Loss...)
	if f := ls.Frame(); f.Backend != "webgpu" || len(before) != 39 {
		t.Fatalf("before the loss: %s, %d losses (%s)", f.Backend, len(before), f.Reason)
	}
	ls.Do(func(r *LMRun) error {
		if r.whole == nil {
			t.Errorf("the page's run on the GPU does not use the whole-model stream: %s", r.reason)
		}
		return nil
	})
	if err := ss.LoseGPU(); err != nil {
		t.Fatal(err)
	}
	if err := ls.Advance(0); err != nil {
		t.Fatal(err)
	}
	f := ls.Frame()
	if f.Backend != "cpu" || !strings.Contains(f.Reason, "moved to the CPU") || f.Done != len([]rune(lmPrompt)) {
		t.Fatalf("after the loss: %s, %d characters, reason %q", f.Backend, f.Done, f.Reason)
	}
	for i, l := range before {
		if f.Loss[i] != l {
			t.Fatalf("character %d's loss changed from %v to %v", i+1, l, f.Loss[i])
		}
	}
	var cpu *LMRun
	ls.Do(func(r *LMRun) error { cpu = r; return nil })
	compareRuns(t, cpu, readAll(t, m, lmPrompt, CPU{}))
}
