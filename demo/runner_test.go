package demo

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"tttexplainer/lm"
	"tttexplainer/scenario"
	"tttexplainer/ttt"
	"tttexplainer/ttt/golden"
)

// formTol is the float32 agreement of different forms on the same run
// (different summation orders), as in ttt's ladder tests.
const formTol = 1e-4

func run(t *testing.T, s scenario.Scenario, dev Device) *Runner {
	t.Helper()
	r, err := NewRunner(s, dev)
	if err != nil {
		t.Fatalf("NewRunner(%+v): %v", s, err)
	}
	for {
		ok, err := r.Step()
		if err != nil {
			t.Fatalf("Step at %d: %v", r.Pos(), err)
		}
		if !ok {
			break
		}
	}
	if r.Pos() != r.T || r.Done() != r.T {
		t.Fatalf("after stepping to the end: shown %d, done %d, want %d", r.Pos(), r.Done(), r.T)
	}
	return r
}

func near(a, b float64) bool { return math.Abs(a-b) <= formTol+formTol*math.Abs(b) }

// TestFormsAgree steps every form through the same scenario and checks that
// they give the same per-token losses and the same weights wherever they
// have weights: the page's forms differ in how much they compute at once,
// never in the numbers.
func TestFormsAgree(t *testing.T) {
	for _, model := range []string{"linear", "mlp"} {
		for _, b := range []int{1, 5} { // 5: the presets' lengths are not multiples
			s := scenario.Default()
			s.Model, s.B, s.Input = model, b, "recall"
			ref := run(t, withForm(s, "stream"), CPU{})
			forms := []string{"primal", "dual"}
			if b == 1 {
				forms = append(forms, "naive")
			}
			for _, form := range forms {
				r := run(t, withForm(s, form), CPU{})
				for tok := range r.T {
					a, c := r.L[tok], ref.L[tok]
					for h := range a {
						for _, p := range [][2]float32{{a[h].W0, c[h].W0}, {a[h].Start, c[h].Start}, {a[h].Before, c[h].Before}, {a[h].After, c[h].After}} {
							if !near(float64(p[0]), float64(p[1])) {
								t.Fatalf("%s %s b=%d: token %d head %d losses %+v, stream gives %+v", model, form, b, tok, h, a[h], c[h])
							}
						}
					}
				}
				for p := 0; p <= r.T; p += b {
					W, err := r.WeightsAt(p)
					if err != nil {
						t.Fatal(err)
					}
					Wref, _ := ref.WeightsAt(p)
					for h := range W {
						for i, x := range W[h].Tensors() {
							y := Wref[h].Tensors()[i]
							for j := range x {
								if !near(float64(x[j]), float64(y[j])) {
									t.Fatalf("%s %s b=%d: W after %d tokens, head %d, %s[%d] = %g, stream %g", model, form, b, p, h, W[h].TensorNames()[i], j, x[j], y[j])
								}
							}
						}
					}
				}
			}
		}
	}
}

func withForm(s scenario.Scenario, form string) scenario.Scenario { s.Form = form; return s }

// TestRepeatLearnsTheContext is the page's main claim on the default
// scenario: one gradient step lowers the loss (ℓ(W_t) ≤ ℓ(W_{t−1}) on
// average), ℓ(W0) stays where it was, and phrases that come back are
// predicted better than on their first appearance.
func TestRepeatLearnsTheContext(t *testing.T) {
	r := run(t, scenario.Default(), CPU{})
	var before, after, first, again, nFirst, nAgain float64
	for tok, L := range r.L {
		_, _, b, a := MeanLoss(L)
		before += b
		after += a
		switch o := r.Input.Occurrence[tok]; {
		case o == 0:
			first += b
			nFirst++
		case o > 0:
			again += b
			nAgain++
		}
	}
	n := float64(r.T)
	t.Logf("T = %d: mean ℓ(W_{t−1}) = %.3f, ℓ(W_t) = %.3f; first appearances %.3f, repeats %.3f", r.T, before/n, after/n, first/nFirst, again/nAgain)
	if after > before {
		t.Errorf("mean ℓ(W_t) = %.3f > mean ℓ(W_{t−1}) = %.3f: the steps do not lower the loss", after/n, before/n)
	}
	if again/nAgain > 0.8*first/nFirst {
		t.Errorf("repeated phrases' loss %.3f is not well below their first appearance's %.3f", again/nAgain, first/nFirst)
	}
	w0first, w0last := meanW0(r, 0, 64), meanW0(r, r.T-64, r.T)
	if math.Abs(w0last-w0first) > 0.25*w0first {
		t.Errorf("ℓ(W0) moved from %.3f to %.3f; it should stay flat", w0first, w0last)
	}
}

func meanW0(r *Runner, a, b int) float64 {
	s := 0.0
	for _, L := range r.L[a:b] {
		w0, _, _, _ := MeanLoss(L)
		s += w0
	}
	return s / float64(b-a)
}

// TestRecallBeatsChance: a wide layer without LayerNorm, online GD, answers
// most recall questions from what it memorised, far above chance, while
// the random-token control has nothing to answer.
func TestRecallBeatsChance(t *testing.T) {
	s := scenario.Default()
	s.Input, s.Width, s.LN, s.B, s.LR, s.Form = "recall", "wide", false, 1, 1, "naive"
	r := run(t, s, CPU{})
	right, asked, guesses := r.Recall(r.T)
	chance := 1 / float64(len(r.Input.Values))
	t.Logf("recall: %d/%d right (chance %.2f); guesses %v", right, asked, chance, guesses)
	if asked != len(r.Input.Queries) || asked == 0 {
		t.Fatalf("asked %d questions, want %d", asked, len(r.Input.Queries))
	}
	if acc := float64(right) / float64(asked); acc < 5*chance {
		t.Errorf("recall accuracy %.2f, want at least 5× chance (%.2f)", acc, chance)
	}
}

// TestScrubRecomputes: a layer too big to keep W after every token keeps it
// every few mini-batches and recomputes the rest; the recomputed weights
// equal those a fully recorded run keeps.
func TestScrubRecomputes(t *testing.T) {
	s := scenario.Default()
	s.Model, s.Width = "mlp", "wide"
	r := run(t, s, CPU{})
	if r.every <= 1 {
		t.Fatalf("snapshot every %d tokens: the wide MLP should exceed the budget and keep fewer", r.every)
	}
	if n := len(r.snaps); n*2*r.W0[0].Size()*4*len(r.W0) > 2*SnapshotBudget {
		t.Errorf("%d snapshots exceed the budget", n)
	}
	for _, p := range []int{0, 1, s.B - 1, s.B, 3*s.B + 7, r.every + 5, r.T - 1, r.T} {
		got, err := r.WeightsAt(p)
		if err != nil {
			t.Fatal(err)
		}
		// The reference: a fresh CPU stream over the first p tokens.
		heads := make([]*ttt.Head, r.Views.H)
		for h, hi := range r.Views.Heads {
			heads[h] = hi.Head
		}
		st := lm.NewCPUStream(heads, r.W0)
		if err := catchUp(newStreamEngine("cpu", r.Views, st), 0, p, r.Views); err != nil {
			t.Fatal(err)
		}
		want, _ := st.Weights()
		if Checksum(got) != Checksum(want) {
			t.Errorf("WeightsAt(%d): checksum %08x, a fresh stream gives %08x", p, Checksum(got), Checksum(want))
		}
	}
	r.Seek(40)
	if r.Pos() != 40 || r.Point(40) != 40 {
		t.Errorf("after Seek(40): shown %d, point %d", r.Pos(), r.Point(40))
	}
}

// failing is a device that breaks after some calls, as a lost GPU does.
type failing struct {
	CPU
	left   *int
	panics bool // fail by panicking, as a JavaScript exception inside WebGPU does
}

var errLost = errors.New("device lost (test)")

func (f failing) Name() string { return "webgpu" }
func (f failing) NewStream(heads []*ttt.Head, W0 []*ttt.Weights) (lm.HeadStream, error) {
	return failingStream{lm.NewCPUStream(heads, W0), f.left, f.panics}, nil
}
func (f failing) Run(form ttt.Form, heads []ttt.HeadInput) ([]*ttt.Result, error) {
	if *f.left--; *f.left < 0 {
		return nil, errLost
	}
	return f.CPU.Run(form, heads)
}

type failingStream struct {
	*lm.CPUStream
	left   *int
	panics bool
}

func (f failingStream) Step(z []float32, l []ttt.Losses, q, k, v, lr []float32) error {
	if *f.left--; *f.left < 0 {
		if f.panics {
			panic(errLost)
		}
		return errLost
	}
	return f.CPUStream.Step(z, l, q, k, v, lr)
}

// Steps fails as Step does, once per chunk.
func (f failingStream) Steps(Z [][]float32, L [][]ttt.Losses, seqs []*ttt.Seq, withW bool) ([]*ttt.Weights, error) {
	if *f.left--; *f.left < 0 {
		if f.panics {
			panic(errLost)
		}
		return nil, errLost
	}
	return f.CPUStream.Steps(Z, L, seqs, withW)
}

// TestDeviceLossFallsBack: when the device fails mid-run the run moves to
// the CPU, says why, keeps its history and ends with the same numbers as a
// run that was on the CPU all along.
func TestDeviceLossFallsBack(t *testing.T) {
	for _, tc := range []struct {
		form   string
		panics bool
	}{{"stream", false}, {"dual", false}, {"stream", true}} {
		form, left := tc.form, 7
		s := withForm(scenario.Default(), form)
		r := run(t, s, failing{left: &left, panics: tc.panics})
		dev, reason := r.Device()
		if dev.Name() != "cpu" || !strings.Contains(reason, "device lost (test)") || !strings.Contains(reason, "moved to the CPU") {
			t.Errorf("%s: after the loss the device is %s, reason %q", form, dev.Name(), reason)
		}
		ref := run(t, s, CPU{})
		for tok := range r.T {
			if r.L[tok][0] != ref.L[tok][0] && !near(float64(r.L[tok][0].Before), float64(ref.L[tok][0].Before)) {
				t.Fatalf("%s: token %d losses %+v, a CPU run %+v", form, tok, r.L[tok][0], ref.L[tok][0])
			}
		}
		a, _ := r.WeightsAt(r.T)
		b, _ := ref.WeightsAt(r.T)
		if Checksum(a) != Checksum(b) {
			t.Errorf("%s: final weights differ from a CPU run's", form)
		}
	}
}

// TestReplayGolden replays every reference case through the page's replay
// on the CPU and compares with the float64 reference at 1e-4.
func TestReplayGolden(t *testing.T) {
	cases, err := golden.Cases()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		name := c.Name
		out, err := Replay(CPU{}, c.JSON, "")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := ttt.DecodeOutput(out)
		if err != nil {
			t.Fatalf("%s: the replay's JSON: %v", name, err)
		}
		for _, d := range ttt.Compare(got, c.Want, ttt.AbsTol, ttt.RelTol) {
			if !d.OK() {
				t.Errorf("%s: %v", name, d)
			}
		}
	}
	for _, tc := range []struct{ in, form, want string }{
		{`{`, "", "not valid"},
		{`{"kind": "linear", "inputs": {}}`, "", "inputs"},
		{`[]`, "", "not valid"},
	} {
		if _, err := Replay(CPU{}, []byte(tc.in), tc.form); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Replay(%q) = %v, want an error mentioning %q", tc.in, err, tc.want)
		}
	}
	data, _ := golden.Read(golden.Names()[0])
	if _, err := Replay(CPU{}, data, "sideways"); err == nil || !strings.Contains(err.Error(), "sideways") {
		t.Errorf("Replay with form sideways: %v, want an error naming it", err)
	}
}

// TestSession drives the page's session as the page does: step, play,
// scrub, switch backend, reset, and read the state as JSON.
func TestSession(t *testing.T) {
	ss := newTestSession(t, nil, false)
	if f := ss.Frame(); f.Backend != "cpu" || !strings.Contains(f.Reason, "looking for") {
		t.Errorf("before the probe: backend %s, reason %q", f.Backend, f.Reason)
	}
	if err := ss.ProbeGPU(); err != nil {
		t.Fatal(err)
	}
	if f := ss.Frame(); f.Backend != "cpu" || !strings.Contains(f.Reason, "no GPU backend") {
		t.Errorf("without a GPU: backend %s, reason %q", f.Backend, f.Reason)
	}
	if err := ss.Step(3); err != nil {
		t.Fatal(err)
	}
	if err := ss.Step(0); err != nil { // to the end of the mini-batch
		t.Fatal(err)
	}
	if f := ss.Frame(); f.Pos != 16 || f.Point != 16 {
		t.Errorf("after 3 tokens and a mini-batch step: shown %d (point %d), want 16", f.Pos, f.Point)
	}
	s := scenario.Default()
	s.Speed = 1000
	if err := ss.SetScenario(s); err != nil {
		t.Fatal(err)
	}
	if err := ss.Play(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for ss.Frame().Pos < 100 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := ss.Pause(); err != nil {
		t.Fatal(err)
	}
	f := ss.Frame()
	if f.Pos < 100 || f.Playing {
		t.Fatalf("after playing: shown %d, playing %v", f.Pos, f.Playing)
	}
	if err := ss.Seek(50); err != nil {
		t.Fatal(err)
	}
	st := ss.Frame().State(true)
	if st.T != 50 || len(st.LossBefore) != 50 || st.Weights["head0.W"] == nil || st.Checksum == "" {
		t.Errorf("state after seeking to 50: t %d, %d losses, weights %v", st.T, len(st.LossBefore), st.Weights != nil)
	}
	if _, err := json.Marshal(st); err != nil {
		t.Errorf("state is not JSON: %v", err)
	}
	faster := ss.Frame().Scenario
	faster.Speed = 300
	if err := ss.SetScenario(faster); err != nil {
		t.Fatal(err)
	}
	if f := ss.Frame(); f.Done < 100 || f.Scenario.Speed != 300 {
		t.Errorf("a new speed restarted the run or was lost: done %d, speed %v", f.Done, f.Scenario.Speed)
	}
	if err := ss.SetBackend("gpu"); err != nil {
		t.Fatal(err)
	}
	if f := ss.Frame(); f.Backend != "cpu" || f.Done < 100 {
		t.Errorf("asking for the GPU without one: backend %s, %d tokens kept", f.Backend, f.Done)
	}
	if err := ss.Reset(); err != nil {
		t.Fatal(err)
	}
	if f := ss.Frame(); f.Done != 0 || f.Pos != 0 {
		t.Errorf("after reset: done %d, shown %d", f.Done, f.Pos)
	}
	bad := scenario.Default()
	bad.B = 99
	if err := ss.SetScenario(bad); err == nil || !strings.Contains(err.Error(), "b:") {
		t.Errorf("a bad scenario: %v, want an error naming b", err)
	}
}
