package demo

import (
	"strings"
	"testing"

	"tttexplainer/lm"
	"tttexplainer/ttt"
)

// counting is a device that counts its streams' GPU round trips: on
// gpu.Stream each Step is one submit and one readback (z and the losses),
// and each Weights one more.
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

// TestLMRoundTrips: reading a text costs each TTT layer one round trip per
// character and one per mini-batch (W at its end, which every later view of
// W at or before it reuses); showing W at a mini-batch boundary costs none.
// (One round trip per character for the whole model would need the norms,
// the FFN and the read-out on the GPU too: layer 2 reads layer 1's output.)
func TestLMRoundTrips(t *testing.T) {
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
