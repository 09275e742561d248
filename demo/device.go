package demo

import "tttexplainer/ttt"

// A Device is a backend the page can run a layer on: the CPU, or the
// reader's GPU through WebGPU (GPUDevice).
type Device interface {
	ttt.Backend
	ttt.BareRunner
	// NewStream starts the stream form of the heads at W0 (copied).
	NewStream(heads []*ttt.Head, W0 []*ttt.Weights) (HeadStream, error)
	// Adapter names the hardware, "" for the CPU.
	Adapter() string
}

// CPU is the pure-Go backend: the reference, and the fallback.
type CPU struct{ ttt.CPU }

// NewStream starts a CPUStream.
func (CPU) NewStream(heads []*ttt.Head, W0 []*ttt.Weights) (HeadStream, error) {
	return NewCPUStream(heads, W0), nil
}

// Adapter is empty: the CPU backend is this page's own WebAssembly.
func (CPU) Adapter() string { return "" }

// newEngine starts a form on a device at token start, a mini-batch
// boundary, from the weights there (W) and the sequence's W0. lossW0 [H][T]
// is ℓ(W0; x_t), for a stream that does not start at W0.
func newEngine(dev Device, form ttt.Form, v *Views, start int, W, W0 []*ttt.Weights, lossW0 [][]float32) (Engine, error) {
	if form == ttt.Stream {
		heads := make([]*ttt.Head, v.H)
		for h, hi := range v.Heads {
			heads[h] = hi.Head
		}
		s, err := dev.NewStream(heads, W)
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
