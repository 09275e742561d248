package gpu

import (
	"errors"
	"fmt"

	"tttexplainer/shaders"
	"tttexplainer/ttt"
)

// Stream runs H heads one token at a time, as ttt.StreamState does for one:
// it keeps each head's mini-batch start W⁰, the running sums A and the
// current weights W̄ = W⁰ − s_i A on the device. Each Step is one dispatch,
// one submit and one small readback (z and the four losses); the weights come
// back only when Weights is called. A Stream has its own buffers, so it may
// be interleaved with Backend.Run. With an inner optimiser (NewOptStream)
// the moments live on the device too.
type Stream struct {
	be     *Backend
	ws     *workspace
	l      *layout
	kernel string
	eps    float32
	plain  uint32
	pos    int // tokens taken in the current mini-batch
	seq    []float32
	opt    ttt.Opt
	steps  int // mini-batches committed: Adam's step number is steps + 1
}

// NewStream starts a stream at W0 (one weight set per head, copied). The
// heads must share their model, d, b and LayerNorm eps.
func (be *Backend) NewStream(heads []*ttt.Head, W0 []*ttt.Weights) (*Stream, error) {
	return be.NewOptStream(heads, W0, ttt.Opt{})
}

// NewOptStream starts a stream whose inner loop takes the optimiser o's
// steps, as ttt.NewStreamStateOpt does, with the same kernels: momentum and
// Adam keep their moments in two more weight sets on the device.
func (be *Backend) NewOptStream(heads []*ttt.Head, W0 []*ttt.Weights, o ttt.Opt) (*Stream, error) {
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("gpu: %w", err)
	}
	if len(heads) == 0 || len(W0) != len(heads) {
		return nil, fmt.Errorf("gpu: a stream needs one W0 per head, got %d heads and %d weight sets", len(heads), len(W0))
	}
	in := make([]ttt.HeadInput, len(heads))
	for i, h := range heads {
		if h == nil {
			return nil, fmt.Errorf("gpu: head %d is nil", i)
		}
		d := h.D
		// One zero token stands in for the views: checkHeads wants a sequence.
		in[i] = ttt.HeadInput{Head: h, W0: W0[i], Seq: &ttt.Seq{XQ: make([]float32, d), XK: make([]float32, d), XV: make([]float32, d), LR: make([]float32, 1)}}
	}
	s, err := checkHeads(ttt.Stream, in)
	if err != nil {
		return nil, err
	}
	for _, h := range heads[1:] {
		if h.Eps != heads[0].Eps || h.Plain != heads[0].Plain {
			return nil, errors.New("gpu: the heads of one stream must share the LayerNorm eps and Plain")
		}
	}
	kernel := shaders.StreamLinear
	if s.model == ttt.MLP {
		kernel = shaders.StreamMLP
	}
	nsets := 3
	if o.Stateful() {
		nsets = 5 // the moments m⁰, v⁰
	}
	st := &Stream{be: be, ws: &workspace{be: be}, l: newLayout(s, nsets, scratchFloats(kernel, s.b, s.d)), kernel: kernel, eps: heads[0].Eps, opt: o}
	if heads[0].Plain {
		st.plain = 1
	}
	st.seq = make([]float32, st.l.seqFloats)
	be.mu.Lock()
	defer be.mu.Unlock()
	if be.pipes == nil {
		return nil, errors.New("gpu: the backend is closed")
	}
	if err := be.upload(st.ws, st.l, heads, []*ttt.Seq{}, W0); err != nil {
		st.ws.release()
		return nil, err
	}
	return st, nil
}

// Heads is the number of heads H.
func (st *Stream) Heads() int { return st.l.H }

// Pos is the number of tokens taken in the current mini-batch.
func (st *Stream) Pos() int { return st.pos }

// Step takes one token for every head (q, k, v: [H,d]; lr: [H]), writes
// z [H,d] and each head's four losses into losses [H], and advances the state.
func (st *Stream) Step(z []float32, losses []ttt.Losses, q, k, v, lr []float32) error {
	l := st.l
	H, d := l.H, l.d
	if len(q) != H*d || len(k) != H*d || len(v) != H*d || len(lr) != H || len(z) != H*d || len(losses) != H {
		return fmt.Errorf("gpu: Step wants q, k, v, z of H·d = %d values and lr, losses of H = %d; got %d, %d, %d, %d and %d, %d",
			H*d, H, len(q), len(k), len(v), len(z), len(lr), len(losses))
	}
	for _, a := range [][]float32{q, k, v, lr} {
		if !finite(a) {
			return errors.New("gpu: Step: q, k, v or lr holds NaN or Inf")
		}
	}
	// The seq layout with T = 1: XQ | XK | XV [H,1,d], lr [H,1].
	copy(st.seq, q)
	copy(st.seq[H*d:], k)
	copy(st.seq[2*H*d:], v)
	copy(st.seq[3*H*d:], lr)
	p := l.params(st.eps)
	p.T0, p.N, p.Pos, p.Plain = 0, 1, u32(st.pos), st.plain
	if st.pos == l.b-1 {
		p.Reset = 1
	}
	op := st.opt
	p.Opt, p.Beta1, p.Beta2, p.OEps, p.Alpha, p.Decay = u32(int(op.Kind)), op.Beta, op.Beta2, op.Eps, op.Eta, op.Decay
	p.C1, p.C2 = op.Correction(st.steps + 1)
	be := st.be
	be.mu.Lock()
	defer be.mu.Unlock()
	if be.pipes == nil || st.ws == nil {
		return errors.New("gpu: the stream or its backend is closed")
	}
	if err := st.ws.write(bufSeq, 0, st.seq); err != nil {
		return err
	}
	got, err := st.ws.run([]dispatch{{st.kernel, p, H}}, []readReq{{bufOut, l.outFloats}})
	if err != nil {
		return err
	}
	if err := checkGuards("out", got[0], l.outGuards()); err != nil {
		return err
	}
	o := f32s(got[0])
	copy(z, o[l.outZ:l.outZ+H*d])
	for i := range losses {
		losses[i] = ttt.Losses{W0: o[l.outW0+i], Start: o[l.outStart+i], Before: o[l.outBefore+i], After: o[l.outAfter+i]}
	}
	st.pos = (st.pos + 1) % l.b
	if st.pos == 0 {
		st.steps++
	}
	return nil
}

// Weights reads back the current weights W̄ of every head (one more submit
// and readback; call it when the page redraws W, not every token).
func (st *Stream) Weights() ([]*ttt.Weights, error) {
	be := st.be
	be.mu.Lock()
	defer be.mu.Unlock()
	if be.pipes == nil || st.ws == nil {
		return nil, errors.New("gpu: the stream or its backend is closed")
	}
	l := st.l
	got, err := st.ws.run(nil, []readReq{{bufSt, l.stFloats}})
	if err != nil {
		return nil, err
	}
	if err := checkGuards("state", got[0], l.stGuards()); err != nil {
		return nil, err
	}
	s := f32s(got[0])
	cur := guard + 2*l.setStride
	out := make([]*ttt.Weights, l.H)
	for i := range out {
		out[i] = unpackWeights(s[cur:cur+l.setSize], l, i)
	}
	return out, nil
}

// Close releases the stream's buffers.
func (st *Stream) Close() {
	st.be.mu.Lock()
	defer st.be.mu.Unlock()
	if st.ws != nil && st.be.pipes != nil {
		st.ws.release()
	}
	st.ws = nil
}
