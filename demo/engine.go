package demo

import (
	"fmt"

	"tttexplainer/lm"
	"tttexplainer/ttt"
)

// An Engine computes one form of a layer's heads on one backend, a chunk of
// tokens at a time, each chunk starting where the previous one ended.
//
// A chunk is several tokens, so that a GPU costs one submit and one
// readback per chunk rather than per token (the page computes ahead of what
// it shows); what a chunk is depends on the form, and that is the honest
// difference between them on the page:
//
//   - stream (and naive, which is stream with b = 1): up to ChunkTokens
//     tokens, one dispatch each; the weights W_t exist after every token.
//   - primal and dual: whole mini-batches of b tokens, up to ChunkTokens,
//     computed by the backend's form from the chunk's start W⁰. The dual
//     form never builds the per-token W_i, so the page shows W only at
//     mini-batch ends.
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
	// advanced (without a device round trip when Advance brought them back).
	Weights() ([]*ttt.Weights, error)
	Close()
}

// ChunkTokens bounds the tokens of one Advance. On SwiftShader a stream
// dispatch costs about 0.1–0.5 ms and a readback 0.6–3 ms: 32 tokens a chunk
// spreads the readback thin and still lands a chunk within a few frames.
const ChunkTokens = 32

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

// seqs returns every head's views of tokens [t0, t1).
func (v *Views) seqs(t0, t1 int) []*ttt.Seq {
	out := make([]*ttt.Seq, v.H)
	for h := range out {
		out[h] = v.slice(h, t0, t1)
	}
	return out
}

// chunkStepper is a HeadStream that takes a chunk of tokens in one go
// (gpu.Stream: one submit and one readback) and brings the weights after it
// back with them.
type chunkStepper interface {
	Steps(Z [][]float32, L [][]ttt.Losses, seqs []*ttt.Seq, withW bool) ([]*ttt.Weights, error)
}

// streamEngine runs the stream form (and naive, its b = 1 case): a chunk at
// a time through a chunkStepper, else token by token.
type streamEngine struct {
	name        string
	v           *Views
	s           lm.HeadStream
	q, k, x, lr []float32      // one token of every head, [H,d] and [H]
	W           []*ttt.Weights // the weights after the last chunk, when it brought them
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

func (e *streamEngine) Next(t0 int) int {
	if _, ok := e.s.(chunkStepper); !ok {
		return 1
	}
	return min(ChunkTokens, e.v.T-t0)
}

func (e *streamEngine) Advance(t0, n int, Z [][]float32, L [][]ttt.Losses) error {
	e.W = nil
	if cs, ok := e.s.(chunkStepper); ok {
		W, err := cs.Steps(Z, L, e.v.seqs(t0, t0+n), true)
		if err != nil {
			return err
		}
		e.W = W
		e.fixLossW0(t0, L)
		return nil
	}
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
	}
	e.fixLossW0(t0, L)
	return nil
}

// fixLossW0 puts ℓ(W0) into the losses of a stream that started late.
func (e *streamEngine) fixLossW0(t0 int, L [][]ttt.Losses) {
	if e.lossW0 == nil {
		return
	}
	for i := range L {
		for h := range L[i] {
			L[i][h].W0 = e.lossW0[h][t0+i]
		}
	}
}

func (e *streamEngine) Weights() ([]*ttt.Weights, error) {
	if e.W != nil {
		return clone(e.W), nil
	}
	return e.s.Weights()
}
func (e *streamEngine) Close() { e.s.Close() }

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

// Next is the rest of the current mini-batch and then whole mini-batches,
// up to ChunkTokens (at least one mini-batch): a run from a mini-batch end
// is the form's own computation of those mini-batches.
func (e *chunkEngine) Next(t0 int) int {
	b := e.v.B
	n := b - t0%b
	for n+b <= ChunkTokens {
		n += b
	}
	return min(n, e.v.T-t0)
}

func (e *chunkEngine) Advance(t0, n int, Z [][]float32, L [][]ttt.Losses) error {
	d := e.v.D
	in := make([]ttt.HeadInput, e.v.H)
	seqs := e.v.seqs(t0, t0+n)
	for h, hi := range e.v.Heads {
		in[h] = ttt.HeadInput{Head: hi.Head, W0: e.W[h], Seq: seqs[h]}
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

func (e *chunkEngine) Weights() ([]*ttt.Weights, error) { return clone(e.W), nil }

func (e *chunkEngine) Close() {}
