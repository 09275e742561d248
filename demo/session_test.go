package demo

import (
	"testing"
	"time"

	"tttexplainer/lm"
	"tttexplainer/scenario"
	"tttexplainer/ttt"
)

// gated is the CPU behind a gate: every chunk its streams take waits for a
// token on release and says so on entered first, so that a test can hold a
// chunk in flight while it works the session.
type gated struct {
	CPU
	entered chan int // the chunk's first token
	release chan struct{}
}

func (g gated) Name() string    { return "webgpu" }
func (g gated) Adapter() string { return "gated CPU (test)" }
func (g gated) NewStream(heads []*ttt.Head, W0 []*ttt.Weights) (lm.HeadStream, error) {
	return gatedStream{lm.NewCPUStream(heads, W0), g}, nil
}

type gatedStream struct {
	*lm.CPUStream
	g gated
}

func (s gatedStream) Steps(Z [][]float32, L [][]ttt.Losses, seqs []*ttt.Seq, withW bool) ([]*ttt.Weights, error) {
	s.g.entered <- s.CPUStream.Pos()
	<-s.g.release
	return s.CPUStream.Steps(Z, L, seqs, withW)
}

// releaseUntil releases the chunk in flight, and any chunk the session
// starts before it hears the command, until the command answers.
func (g gated) releaseUntil(answer <-chan error) error {
	g.release <- struct{}{}
	for {
		select {
		case err := <-answer:
			return err
		case <-g.entered:
			g.release <- struct{}{}
		}
	}
}

// TestPlayAhead plays at top speed on a device whose chunks are held in
// flight: pause, seek and step answer once the chunk lands, the playhead
// never passes the tokens computed, and the run ends with exactly the
// losses of the reference stream (ttt.CPU, the whole sequence at once) at
// every t.
func TestPlayAhead(t *testing.T) {
	g := gated{entered: make(chan int, 1), release: make(chan struct{})}
	s := scenario.Default()
	s.Backend, s.Speed = "gpu", TopSpeed
	ss, err := NewSession(s, func() (Device, string, error) { return g, "a gated CPU", nil })
	if err != nil {
		t.Fatal(err)
	}
	go ss.Loop()
	if err := ss.ProbeGPU(); err != nil {
		t.Fatal(err)
	}
	if f := ss.Frame(); f.Backend != "webgpu" {
		t.Fatalf("after the probe: backend %s (%s)", f.Backend, f.Reason)
	}
	if err := ss.Play(); err != nil {
		t.Fatal(err)
	}
	// The first chunk is in flight: nothing is shown yet.
	<-g.entered
	if f := ss.Frame(); f.Pos != 0 || !f.Playing {
		t.Fatalf("with the first chunk in flight: shown %d, playing %v", f.Pos, f.Playing)
	}
	g.release <- struct{}{}
	// The second chunk is in flight while the first is shown.
	<-g.entered
	deadline := time.Now().Add(5 * time.Second)
	for ss.Frame().Pos < ChunkTokens && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if f := ss.Frame(); f.Pos != ChunkTokens || f.Done != ChunkTokens {
		t.Fatalf("with the second chunk in flight at top speed: shown %d, done %d, want %d and %d", f.Pos, f.Done, ChunkTokens, ChunkTokens)
	}
	// Pause waits for the chunk in flight, then stops.
	paused := make(chan error, 1)
	go func() { paused <- ss.Pause() }()
	select {
	case err := <-paused:
		t.Fatalf("Pause answered (%v) with a chunk in flight", err)
	case <-time.After(50 * time.Millisecond):
	}
	if err := g.releaseUntil(paused); err != nil {
		t.Fatal(err)
	}
	if f := ss.Frame(); f.Playing || f.Done < 2*ChunkTokens || f.Pos > f.Done {
		t.Fatalf("after pausing: playing %v, shown %d, done %d", f.Playing, f.Pos, f.Done)
	}
	// Seek and step over the tokens computed need no device.
	if err := ss.Seek(40); err != nil {
		t.Fatal(err)
	}
	if err := ss.Step(3); err != nil {
		t.Fatal(err)
	}
	if f := ss.Frame(); f.Pos != 43 || f.Point != 43 {
		t.Fatalf("after seek(40) and step(3): shown %d (point %d)", f.Pos, f.Point)
	}
	// Play on with a chunk in flight, then step: the step waits for it.
	if err := ss.Play(); err != nil {
		t.Fatal(err)
	}
	<-g.entered
	stepped := make(chan error, 1)
	go func() { stepped <- ss.Step(1) }()
	if err := g.releaseUntil(stepped); err != nil {
		t.Fatal(err)
	}
	if f := ss.Frame(); f.Playing || f.Pos < 44 || f.Pos > f.Done {
		t.Fatalf("after a step during play: playing %v, shown %d, done %d", f.Playing, f.Pos, f.Done)
	}
	// Now play to the end with the gate open.
	go func() {
		for range g.entered {
			g.release <- struct{}{}
		}
	}()
	if err := ss.Play(); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(20 * time.Second)
	for ss.Frame().Playing && time.Now().Before(deadline) {
		if f := ss.Frame(); f.Pos > f.Done {
			t.Fatalf("the playhead %d passed the tokens computed %d", f.Pos, f.Done)
		}
		time.Sleep(time.Millisecond)
	}
	f := ss.Frame()
	if f.Playing || f.Pos != f.T {
		t.Fatalf("after playing to the end: playing %v, shown %d of %d (%s)", f.Playing, f.Pos, f.T, f.Error)
	}
	r := ss.r
	want, err := ttt.CPU{}.Run(ttt.Stream, r.Views.Heads)
	if err != nil {
		t.Fatal(err)
	}
	for tok := range r.T {
		for h, w := range want {
			got := r.L[tok][h]
			if got.Before != w.LossBefore[tok] || got.After != w.LossAfter[tok] || got.W0 != w.LossW0[tok] {
				t.Fatalf("token %d head %d: losses %+v, the reference stream's W0 %v before %v after %v", tok, h, got, w.LossW0[tok], w.LossBefore[tok], w.LossAfter[tok])
			}
		}
	}
	if f.TokensPerS <= 0 {
		t.Errorf("tokens/s after playing: %v", f.TokensPerS)
	}
}

// newTestSession starts a session on the default scenario with its loop
// running, and probes the GPU (openGPU may be nil) when probe is set.
func newTestSession(t *testing.T, openGPU OpenGPU, probe bool) *Session {
	t.Helper()
	ss, err := NewSession(scenario.Default(), openGPU)
	if err != nil {
		t.Fatal(err)
	}
	go ss.Loop()
	if probe {
		if err := ss.ProbeGPU(); err != nil {
			t.Fatal(err)
		}
	}
	return ss
}
