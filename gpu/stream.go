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
	outN   int // the tokens per call whose guards the out buffer holds
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
	st.outN = 1
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
	H, d := st.l.H, st.l.d
	if len(q) != H*d || len(k) != H*d || len(v) != H*d || len(lr) != H || len(z) != H*d || len(losses) != H {
		return fmt.Errorf("gpu: Step wants q, k, v, z of H·d = %d values and lr, losses of H = %d; got %d, %d, %d, %d and %d, %d",
			H*d, H, len(q), len(k), len(v), len(z), len(lr), len(losses))
	}
	seqs := make([]*ttt.Seq, H)
	for h := range seqs {
		r := h * d
		seqs[h] = &ttt.Seq{XQ: q[r : r+d], XK: k[r : r+d], XV: v[r : r+d], LR: lr[h : h+1]}
	}
	_, err := st.Steps([][]float32{z}, [][]ttt.Losses{losses}, seqs, false)
	return err
}

// Steps takes n tokens for every head with one submit and one readback:
// one dispatch per token, in order, in one compute pass. seqs[h] holds head
// h's views of the n tokens (T = n); z of token i goes into Z[i] [H·d]
// (heads side by side) and its losses into L[i] [H]. With withW, the same
// readback brings every head's weights W̄ after the last token back too,
// so a page that computes ahead pays one round trip per chunk, not two.
func (st *Stream) Steps(Z [][]float32, L [][]ttt.Losses, seqs []*ttt.Seq, withW bool) ([]*ttt.Weights, error) {
	H, d := st.l.H, st.l.d
	n := len(Z)
	if len(seqs) != H || len(L) != n || n < 1 {
		return nil, fmt.Errorf("gpu: Steps wants %d head views and as many loss rows as z rows (≥ 1); got %d views, %d z and %d loss rows", H, len(seqs), n, len(L))
	}
	for i := range Z {
		if len(Z[i]) != H*d || len(L[i]) != H {
			return nil, fmt.Errorf("gpu: Steps: token %d wants z of H·d = %d values and losses of H = %d; got %d and %d", i, H*d, H, len(Z[i]), len(L[i]))
		}
	}
	// The seq layout with T = n: XQ | XK | XV [H,n,d], lr [H,n].
	l := newLayout(shape{model: st.l.model, H: H, T: n, d: d, b: st.l.b, hid: st.l.hid}, st.l.nsets, st.l.scrStride)
	seq := make([]float32, l.seqFloats)
	for h, s := range seqs {
		if s == nil || len(s.XQ) != n*d || len(s.XK) != n*d || len(s.XV) != n*d || len(s.LR) != n {
			return nil, fmt.Errorf("gpu: Steps: head %d's views are not %d tokens of d = %d", h, n, d)
		}
		for _, a := range [][]float32{s.XQ, s.XK, s.XV, s.LR} {
			if !finite(a) {
				return nil, fmt.Errorf("gpu: Steps: head %d's q, k, v or lr holds NaN or Inf", h)
			}
		}
		copy(seq[h*n*d:], s.XQ)
		copy(seq[(H+h)*n*d:], s.XK)
		copy(seq[(2*H+h)*n*d:], s.XV)
		copy(seq[3*H*n*d+h*n:], s.LR)
	}
	op := st.opt
	steps := make([]dispatch, n)
	pos, done := st.pos, st.steps
	for i := range steps {
		p := l.params(st.eps)
		p.T0, p.N, p.Pos, p.Plain = u32(i), 1, u32(pos), st.plain
		if pos == l.b-1 {
			p.Reset = 1
		}
		p.Opt, p.Beta1, p.Beta2, p.OEps, p.Alpha, p.Decay = u32(int(op.Kind)), op.Beta, op.Beta2, op.Eps, op.Eta, op.Decay
		p.C1, p.C2 = op.Correction(done + 1)
		steps[i] = dispatch{st.kernel, p, H}
		if pos = (pos + 1) % l.b; pos == 0 {
			done++
		}
	}
	reads := []readReq{{bufOut, l.outFloats}}
	if withW {
		reads = append(reads, readReq{bufSt, l.stFloats})
	}
	be := st.be
	be.mu.Lock()
	defer be.mu.Unlock()
	if be.pipes == nil || st.ws == nil {
		return nil, errors.New("gpu: the stream or its backend is closed")
	}
	if err := st.ws.ensure(bufSeq, uint64(l.seqFloats)*4); err != nil {
		return nil, err
	}
	if err := st.ws.ensure(bufOut, uint64(l.outFloats)*4); err != nil {
		return nil, err
	}
	if err := st.ws.write(bufSeq, 0, seq); err != nil {
		return nil, err
	}
	if n != st.outN {
		// The guards sit after each of the n tokens' arrays.
		if err := st.ws.writeGuards(bufOut, l.outGuards()); err != nil {
			return nil, err
		}
		st.outN = n
	}
	got, err := st.ws.run(steps, reads)
	if err != nil {
		return nil, err
	}
	if err := checkGuards("out", got[0], l.outGuards()); err != nil {
		return nil, err
	}
	o := f32s(got[0])
	for i := range Z {
		for h := range H {
			copy(Z[i][h*d:(h+1)*d], o[l.outZ+(h*n+i)*d:])
			L[i][h] = ttt.Losses{W0: o[l.outW0+h*n+i], Start: o[l.outStart+h*n+i], Before: o[l.outBefore+h*n+i], After: o[l.outAfter+h*n+i]}
		}
	}
	st.pos, st.steps = pos, done
	if !withW {
		return nil, nil
	}
	return st.unpackState(got[1])
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
	got, err := st.ws.run(nil, []readReq{{bufSt, st.l.stFloats}})
	if err != nil {
		return nil, err
	}
	return st.unpackState(got[0])
}

// unpackState checks the read-back state buffer's guards and returns the
// current weights W̄ of every head.
func (st *Stream) unpackState(raw []uint32) ([]*ttt.Weights, error) {
	l := st.l
	if err := checkGuards("state", raw, l.stGuards()); err != nil {
		return nil, err
	}
	s := f32s(raw)
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
