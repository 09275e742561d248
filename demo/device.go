package demo

import (
	"fmt"

	"tttexplainer/gpu"
	"tttexplainer/lm"
	"tttexplainer/ttt"
)

// A Device is a backend the page can run a layer on: the CPU, or the
// reader's GPU through WebGPU (GPUDevice).
type Device interface {
	ttt.Backend
	ttt.BareRunner
	// NewStream starts the stream form of the heads at W0 (copied).
	NewStream(heads []*ttt.Head, W0 []*ttt.Weights) (lm.HeadStream, error)
	// NewOptStream starts the stream form with an inner optimiser.
	NewOptStream(heads []*ttt.Head, W0 []*ttt.Weights, o ttt.Opt) (lm.HeadStream, error)
	// Adapter names the hardware, "" for the CPU.
	Adapter() string
}

// A ModelDevice runs a whole language model one character per round trip
// (GPUDevice: gpu.LMStream). LMRun uses it where a device has it, and steps
// each layer's heads through NewStream where it has not.
type ModelDevice interface {
	NewModelStream(m *lm.Model) (ModelStream, error)
}

// ModelStream reads a text through a whole language model, one character
// per Step: the next character's distribution, the loss, every layer's
// head inputs and inner losses, and W at the end of each mini-batch
// (gpu.LMStep).
type ModelStream interface {
	Step(token int) (gpu.LMStep, error)
	Close()
}

// CPU is the pure-Go backend: the reference, and the fallback.
type CPU struct{ ttt.CPU }

// NewStream starts a CPUStream.
func (CPU) NewStream(heads []*ttt.Head, W0 []*ttt.Weights) (lm.HeadStream, error) {
	return lm.NewCPUStream(heads, W0), nil
}

// NewOptStream starts a CPUStream with an inner optimiser.
func (CPU) NewOptStream(heads []*ttt.Head, W0 []*ttt.Weights, o ttt.Opt) (lm.HeadStream, error) {
	return lm.NewCPUOptStream(heads, W0, o)
}

// Adapter is empty: the CPU backend is this page's own WebAssembly.
func (CPU) Adapter() string { return "" }

// LinearAttention runs ttt.LinearAttention per head.
func (CPU) LinearAttention(Z, Q, K, V []float32, H, T, d int) error {
	return perHead(ttt.LinearAttention, Z, Q, K, V, H, T, d)
}

// SoftmaxAttention runs ttt.SoftmaxAttention per head.
func (CPU) SoftmaxAttention(Z, Q, K, V []float32, H, T, d int) error {
	return perHead(ttt.SoftmaxAttention, Z, Q, K, V, H, T, d)
}

// perHead runs a one-head attention on each head of Z, Q, K, V [H,T,d].
func perHead(attend func(Z, Q, K, V []float32, T, d int), Z, Q, K, V []float32, H, T, d int) error {
	if n := H * T * d; len(Z) != n || len(Q) != n || len(K) != n || len(V) != n {
		return fmt.Errorf("attention: Z, Q, K, V have %d, %d, %d, %d values, want H·T·d = %d", len(Z), len(Q), len(K), len(V), n)
	}
	n := T * d
	for h := range H {
		attend(Z[h*n:(h+1)*n], Q[h*n:(h+1)*n], K[h*n:(h+1)*n], V[h*n:(h+1)*n], T, d)
	}
	return nil
}

// newEngine starts a form on a device at token start, a mini-batch
// boundary, from the weights there (W) and the sequence's W0. lossW0 [H][T]
// is ℓ(W0; x_t), for a stream that does not start at W0. A stream with a
// stateful optimiser (momentum, Adam) must start at token 0, where its
// moments are zero.
func newEngine(dev Device, form ttt.Form, v *Views, start int, W, W0 []*ttt.Weights, lossW0 [][]float32, o ttt.Opt) (Engine, error) {
	if o != (ttt.Opt{}) && form != ttt.Stream {
		return nil, fmt.Errorf("the %v form has no inner optimiser but plain GD", form)
	}
	if o.Stateful() && start != 0 {
		return nil, fmt.Errorf("demo: a %v stream restarts at token 0, not %d", o.Kind, start)
	}
	if form == ttt.Stream {
		heads := make([]*ttt.Head, v.H)
		for h, hi := range v.Heads {
			heads[h] = hi.Head
		}
		var s lm.HeadStream
		var err error
		if o == (ttt.Opt{}) {
			s, err = dev.NewStream(heads, W)
		} else {
			s, err = dev.NewOptStream(heads, W, o)
		}
		if err != nil {
			return nil, err
		}
		e := newStreamEngine(dev.Name(), v, s)
		if start > 0 {
			e.lossW0 = lossW0
		}
		return e, nil
	}
	return newChunkEngine(dev, form, v, W, W0)
}
