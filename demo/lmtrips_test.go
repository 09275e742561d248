package demo

import (
	"strings"
	"testing"

	"tttexplainer/gpu"
	"tttexplainer/lm"
	"tttexplainer/ttt"
)

// TestLMRoundTrips: on the GPU (lavapipe here) reading a text costs the
// whole model at most one round trip (one submit, one readback) per
// character, W at each mini-batch end included; showing W afterwards at
// any character (a boundary, between boundaries, the last) costs none.
func TestLMRoundTrips(t *testing.T) {
	dev := openGPU(t)
	be := dev.(GPUDevice).Backend
	m := testLM(t)
	c := m.Config
	text := strings.Repeat("Call me Ishmael. ", 5)[:5*c.B+3] // five whole mini-batches and a partial one
	before := be.Stats()
	r := readAll(t, m, text, dev)
	if r.whole == nil {
		t.Fatalf("the run does not use the whole-model stream (%s)", r.reason)
	}
	n := len(text)
	got := be.Stats()
	if s, rb := got.Submits-before.Submits, got.Readbacks-before.Readbacks; s > n || rb > n || rb == 0 {
		t.Errorf("reading %d characters (%d mini-batch ends, %d layers): %d submits and %d readbacks, want at most 1 and 1 per character", n, n/c.B, c.Layers, s, rb)
	}
	t.Logf("%d characters, %d layers, %d mini-batch ends: %d submits, %d readbacks", n, c.Layers, n/c.B, got.Submits-before.Submits, got.Readbacks-before.Readbacks)
	for _, p := range []int{n, 2 * c.B, 2*c.B + 5, 0, n - 1} {
		if _, err := r.WeightsAt(p); err != nil {
			t.Fatal(err)
		}
	}
	if after := be.Stats(); after != got {
		t.Errorf("W at characters %d, %d, %d, 0 and %d: %d more submits and %d more readbacks, want 0", n, 2*c.B, 2*c.B+5, n-1, after.Submits-got.Submits, after.Readbacks-got.Readbacks)
	}
}

// counting is a device without a whole-model stream that counts its
// streams' GPU round trips: on gpu.Stream each Step is one submit and one
// readback (z and the losses), and each Weights one more.
type counting struct {
	CPU
	trips *int
}

func (c counting) Name() string { return "webgpu" }
func (c counting) NewStream(heads []*ttt.Head, W0 []*ttt.Weights) (lm.HeadStream, error) {
	return countingStream{lm.NewCPUStream(heads, W0), c.trips}, nil
}

type countingStream struct {
	*lm.CPUStream
	trips *int
}

func (c countingStream) Step(z []float32, l []ttt.Losses, q, k, v, lr []float32) error {
	*c.trips++
	return c.CPUStream.Step(z, l, q, k, v, lr)
}

func (c countingStream) Weights() ([]*ttt.Weights, error) {
	*c.trips++
	return c.CPUStream.Weights()
}

// TestLMRoundTripsPerLayer: where the whole model cannot run on the device
// (a device without it, a model past gpu.LMStream's limits) each TTT
// layer's heads step there: one round trip per character and one per
// mini-batch (W at its end, which every later view of W at or before it
// reuses) per layer; showing W at a mini-batch boundary costs none.
func TestLMRoundTripsPerLayer(t *testing.T) {
	m := testLM(t)
	c := m.Config
	trips := 0
	text := strings.Repeat("Call me Ishmael. ", 5)[:5*c.B] // five whole mini-batches
	r := readAll(t, m, text, counting{trips: &trips})
	n := len(text)
	if want := c.Layers * (n + n/c.B); trips != want {
		t.Errorf("reading %d characters: %d round trips, want %d (%d layers × (1 per character + 1 per mini-batch of %d))", n, trips, want, c.Layers, c.B)
	}
	before := trips
	for _, p := range []int{n, 2 * c.B, 0} {
		if _, err := r.WeightsAt(p); err != nil {
			t.Fatal(err)
		}
	}
	if trips != before {
		t.Errorf("W at mini-batch boundaries (characters %d, %d, 0): %d more round trips, want 0", n, 2*c.B, trips-before)
	}
}

// failingModel is a device with a whole-model stream that breaks after
// some characters, as a lost GPU does; until then it computes on the CPU
// what gpu.LMStream does (cpuModelStream).
type failingModel struct {
	CPU
	left   *int
	panics bool
}

func (f failingModel) Name() string { return "webgpu" }
func (f failingModel) NewModelStream(m *lm.Model) (ModelStream, error) {
	s := &cpuModelStream{b: m.Config.B}
	st, err := m.NewStream(func(h []*ttt.Head, W0 []*ttt.Weights) (lm.HeadStream, error) {
		hs, err := lm.CPUHeads(h, W0)
		l := &loggedHeads{HeadStream: hs}
		s.logs = append(s.logs, l)
		return l, err
	})
	s.st = st
	return &failingModelStream{s, f.left, f.panics}, err
}

// cpuModelStream is a ModelStream on the CPU: lm.Stream, with each
// layer's head inputs logged as they pass.
type cpuModelStream struct {
	st   *lm.Stream
	logs []*loggedHeads
	b    int
}

func (c *cpuModelStream) Step(token int) (gpu.LMStep, error) {
	s, err := c.st.Step(token)
	if err != nil {
		return gpu.LMStep{}, err
	}
	out := gpu.LMStep{Step: s}
	for _, l := range c.logs {
		out.XQ, out.XK, out.XV, out.Eta = append(out.XQ, l.q), append(out.XK, l.k), append(out.XV, l.v), append(out.Eta, l.eta)
	}
	if c.st.Pos()%c.b == 0 {
		out.W, err = c.st.Weights()
	}
	return out, err
}

func (c *cpuModelStream) Close() { c.st.Close() }

type loggedHeads struct {
	lm.HeadStream
	q, k, v, eta []float32 // the last token's
}

func (h *loggedHeads) Step(z []float32, losses []ttt.Losses, q, k, v, lr []float32) error {
	h.q, h.k, h.v, h.eta = append([]float32(nil), q...), append([]float32(nil), k...), append([]float32(nil), v...), append([]float32(nil), lr...)
	return h.HeadStream.Step(z, losses, q, k, v, lr)
}

type failingModelStream struct {
	*cpuModelStream
	left   *int
	panics bool
}

func (f *failingModelStream) Step(token int) (gpu.LMStep, error) {
	if *f.left--; *f.left < 0 {
		if f.panics {
			panic(errLost)
		}
		return gpu.LMStep{}, errLost
	}
	return f.cpuModelStream.Step(token)
}

// skewedModel's stream is the CPU's with probability 0 of character at
// (1-based) moved by by: kernels that compute a slightly wrong answer.
type skewedModel struct {
	CPU
	at int
	by float32
}

func (f skewedModel) Name() string { return "webgpu" }
func (f skewedModel) NewModelStream(m *lm.Model) (ModelStream, error) {
	s, err := failingModel{left: new(int), panics: false}.NewModelStream(m)
	return &skewedModelStream{s.(*failingModelStream).cpuModelStream, f.at, f.by, 0}, err
}

type skewedModelStream struct {
	*cpuModelStream
	at int
	by float32
	n  int
}

func (f *skewedModelStream) Step(token int) (gpu.LMStep, error) {
	s, err := f.cpuModelStream.Step(token)
	if f.n++; f.n == f.at && err == nil {
		s.Probs = append([]float32(nil), s.Probs...)
		s.Probs[0] += f.by
	}
	return s, err
}

// TestLMDeviceChecked: the first LMCheck characters of a run on a device
// are read on the CPU too. Kernels off by more than the tolerance, even
// once and past the first mini-batch's end, move the model to the CPU with
// a reason that says so, and the run ends with the CPU's numbers; off by
// less, the run stays on the device.
func TestLMDeviceChecked(t *testing.T) {
	m := testLM(t)
	want := readAll(t, m, lmPrompt, CPU{})
	for _, tc := range []struct {
		at     int
		by     float32
		moved  bool
		reason string
	}{{18, 1e-3, true, "disagree with the CPU reference at character 18"}, {1, -0.5, true, "at character 1"}, {18, 1e-6, false, ""}, {LMCheck + 1, 1e-3, false, ""}} {
		r := readAll(t, m, lmPrompt, skewedModel{at: tc.at, by: tc.by})
		got, reason := r.Device()
		if moved := got.Name() == "cpu"; moved != tc.moved || !strings.Contains(reason, tc.reason) {
			t.Errorf("off by %g at character %d: on %s (%q), want moved to the CPU: %v", tc.by, tc.at, got.Name(), reason, tc.moved)
		}
		if tc.moved {
			compareRuns(t, r, want)
		}
	}
}
