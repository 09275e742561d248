package demo

import (
	"fmt"

	"tttexplainer/lm"
	"tttexplainer/ttt"
)

// An Engine computes one form of a layer's heads on one backend, a chunk of
// tokens at a time, each chunk starting where the previous one ended.
//
// How much a chunk is depends on the form, and that is the honest difference
// between them on the page:
//
//   - stream (and naive, which is stream with b = 1): one token; the weights
//     W_t exist after every token.
//   - primal and dual: one mini-batch of b tokens, computed by the backend's
//     form from the mini-batch's start W⁰. The dual form never builds the
//     per-token W_i, so the page shows W only at mini-batch ends.
//
// Every form takes its gradients of a mini-batch at W⁰, so computing a
// sequence mini-batch by mini-batch from the previous end is exactly the
// form's whole-sequence computation, cut at its own seams.
type Engine interface {
	Backend() string
	// Next is the number of tokens the next Advance takes from token t0.
	Next(t0 int) int
	// Advance computes tokens [t0, t0+n) of every head: z into Z [n][H·d]
	// (heads side by side) and the losses into L [n][H].
	Advance(t0, n int, Z [][]float32, L [][]ttt.Losses) error
	// Weights returns copies of every head's weights after the last token
	// advanced.
	Weights() ([]*ttt.Weights, error)
	Close()
}

// Views are every head's inputs to the inner loop for a whole sequence:
// the layer computes them before any inner step (projections, convolutions,
// the η gate), identically for every form and backend.
type Views struct {
	T, H, D int // tokens, heads, head size d
	B       int
	Heads   []ttt.HeadInput
}

// NewViews computes the views of U [T,D] for a layer.
func NewViews(l *ttt.Layer, U []float32, T int) *Views {
	return &Views{T: T, H: l.H, D: l.HeadSize(), B: l.B, Heads: l.Heads(U, T)}
}

// slice returns head h's views of tokens [t0, t1).
func (v *Views) slice(h, t0, t1 int) *ttt.Seq {
	s, d := v.Heads[h].Seq, v.D
	return &ttt.Seq{XQ: s.XQ[t0*d : t1*d], XK: s.XK[t0*d : t1*d], XV: s.XV[t0*d : t1*d], LR: s.LR[t0:t1]}
}

// CPUStream is the CPU's lm.HeadStream (the page's stream of H heads): one
// ttt.StreamState per head.
type CPUStream struct {
	st []*ttt.StreamState
	d  int
}

// NewCPUStream starts a stream for the heads at W0 (copied).
func NewCPUStream(heads []*ttt.Head, W0 []*ttt.Weights) *CPUStream {
	c := &CPUStream{d: heads[0].D}
	for i, h := range heads {
		c.st = append(c.st, ttt.NewStreamState(h, W0[i]))
	}
	return c
}

// NewCPUOptStream starts a stream whose heads take the optimiser o's steps.
func NewCPUOptStream(heads []*ttt.Head, W0 []*ttt.Weights, o ttt.Opt) (*CPUStream, error) {
	c := &CPUStream{d: heads[0].D}
	for i, h := range heads {
		st, err := ttt.NewStreamStateOpt(h, W0[i], o)
		if err != nil {
			return nil, err
		}
		c.st = append(c.st, st)
	}
	return c, nil
}

// Step takes one token for every head.
func (c *CPUStream) Step(z []float32, losses []ttt.Losses, q, k, v, lr []float32) error {
	d := c.d
	for h, st := range c.st {
		r := h * d
		losses[h] = st.Step(z[r:r+d], q[r:r+d], k[r:r+d], v[r:r+d], lr[h])
	}
	return nil
}

// Weights returns copies of the current weights.
func (c *CPUStream) Weights() ([]*ttt.Weights, error) {
	out := make([]*ttt.Weights, len(c.st))
	for i, st := range c.st {
		out[i] = st.Weights().Clone()
	}
	return out, nil
}

// Close does nothing: the CPU holds no device memory.
func (c *CPUStream) Close() {}

// streamEngine runs the stream form (and naive, its b = 1 case) token by token.
type streamEngine struct {
	name        string
	v           *Views
	s           lm.HeadStream
	q, k, x, lr []float32 // one token of every head, [H,d] and [H]
	// lossW0 [H][T] replaces the stream's own ℓ(W0) when it started after
	// token 0 (from the weights there, not from W0); nil otherwise.
	lossW0 [][]float32
}

// newStreamEngine runs views through an lm.HeadStream that starts at a
// mini-batch boundary (where the stream's running sums are zero).
func newStreamEngine(name string, v *Views, s lm.HeadStream) *streamEngine {
	H, d := v.H, v.D
	return &streamEngine{name: name, v: v, s: s, q: make([]float32, H*d), k: make([]float32, H*d), x: make([]float32, H*d), lr: make([]float32, H)}
}

func (e *streamEngine) Backend() string { return e.name }
func (e *streamEngine) Next(int) int    { return 1 }

func (e *streamEngine) Advance(t0, n int, Z [][]float32, L [][]ttt.Losses) error {
	d := e.v.D
	for i := 0; i < n; i++ {
		t := t0 + i
		for h, hi := range e.v.Heads {
			r := t * d
			copy(e.q[h*d:], hi.Seq.XQ[r:r+d])
			copy(e.k[h*d:], hi.Seq.XK[r:r+d])
			copy(e.x[h*d:], hi.Seq.XV[r:r+d])
			e.lr[h] = hi.Seq.LR[t]
		}
		if err := e.s.Step(Z[i], L[i], e.q, e.k, e.x, e.lr); err != nil {
			return err
		}
		if e.lossW0 != nil {
			for h := range L[i] {
				L[i][h].W0 = e.lossW0[h][t]
			}
		}
	}
	return nil
}

func (e *streamEngine) Weights() ([]*ttt.Weights, error) { return e.s.Weights() }
func (e *streamEngine) Close()                           { e.s.Close() }

// chunkEngine runs the primal or dual form one mini-batch at a time through
// a ttt.Backend. ℓ(W0; x_t) is not part of a mini-batch's own run (which
// starts at its W⁰): it is computed once, up front, by the same backend
// and form with every learning rate zero, where ℓ(W_{t−1}) is ℓ(W0).
type chunkEngine struct {
	be     ttt.Backend
	form   ttt.Form
	v      *Views
	W      []*ttt.Weights // every head's W⁰ of the next mini-batch
	lossW0 [][]float32    // [H][T]
}

func newChunkEngine(be ttt.Backend, form ttt.Form, v *Views, W []*ttt.Weights, W0 []*ttt.Weights) (*chunkEngine, error) {
	e := &chunkEngine{be: be, form: form, v: v}
	for _, w := range W {
		e.W = append(e.W, w.Clone())
	}
	frozen := make([]ttt.HeadInput, v.H)
	for h, hi := range v.Heads {
		s := *hi.Seq
		s.LR = make([]float32, v.T)
		frozen[h] = ttt.HeadInput{Head: hi.Head, W0: W0[h], Seq: &s}
	}
	res, err := be.Run(form, frozen)
	if err != nil {
		return nil, fmt.Errorf("computing ℓ(W0) on the %s backend: %w", be.Name(), err)
	}
	for _, r := range res {
		e.lossW0 = append(e.lossW0, r.LossBefore)
	}
	return e, nil
}

func (e *chunkEngine) Backend() string { return e.be.Name() }

func (e *chunkEngine) Next(t0 int) int {
	b := e.v.B
	return min(b-t0%b, e.v.T-t0)
}

func (e *chunkEngine) Advance(t0, n int, Z [][]float32, L [][]ttt.Losses) error {
	d := e.v.D
	in := make([]ttt.HeadInput, e.v.H)
	for h, hi := range e.v.Heads {
		in[h] = ttt.HeadInput{Head: hi.Head, W0: e.W[h], Seq: e.v.slice(h, t0, t0+n)}
	}
	res, err := e.be.Run(e.form, in)
	if err != nil {
		return err
	}
	for h, r := range res {
		for i := 0; i < n; i++ {
			copy(Z[i][h*d:(h+1)*d], r.Z[i*d:(i+1)*d])
			L[i][h] = ttt.Losses{W0: e.lossW0[h][t0+i], Start: r.LossStart[i], Before: r.LossBefore[i], After: r.LossAfter[i]}
		}
		e.W[h].CopyFrom(r.Final)
	}
	return nil
}

func (e *chunkEngine) Weights() ([]*ttt.Weights, error) {
	out := make([]*ttt.Weights, len(e.W))
	for i, w := range e.W {
		out[i] = w.Clone()
	}
	return out, nil
}

func (e *chunkEngine) Close() {}
