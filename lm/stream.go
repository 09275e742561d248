package lm

import (
	"errors"
	"fmt"
	"math"

	"tttexplainer/ttt"
)

// HeadStream steps one layer's H heads one token at a time (q, k, v, z:
// [H,d], heads side by side; lr, losses: [H]). It is the one declaration of
// a stream of heads: the CPU's (CPUHeads, demo.CPUStream) and the WebGPU
// one (gpu.Stream) implement it, and the page's devices start them.
type HeadStream interface {
	Step(z []float32, losses []ttt.Losses, q, k, v, lr []float32) error
	Weights() ([]*ttt.Weights, error)
	Close()
}

// NewHeadStream starts a layer's heads at their initial weights W0 (the
// shape of demo.Device's NewStream).
type NewHeadStream func(heads []*ttt.Head, W0 []*ttt.Weights) (HeadStream, error)

// CPUHeads is the CPU's NewHeadStream.
func CPUHeads(heads []*ttt.Head, W0 []*ttt.Weights) (HeadStream, error) {
	if len(heads) == 0 || len(heads) != len(W0) {
		return nil, fmt.Errorf("lm: %d heads with %d initial weights", len(heads), len(W0))
	}
	for _, h := range heads {
		if err := h.Validate(); err != nil {
			return nil, err
		}
	}
	return NewCPUStream(heads, W0), nil
}

// CPUStream is the CPU's HeadStream (the page's stream of H heads): one
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

// Steps takes the tokens of seqs (one per head) as Step would, token by
// token, and returns the weights after the last one (chunkStepper).
func (c *CPUStream) Steps(Z [][]float32, L [][]ttt.Losses, seqs []*ttt.Seq, withW bool) ([]*ttt.Weights, error) {
	d := c.d
	for i := range Z {
		r := i * d
		for h, st := range c.st {
			s := seqs[h]
			L[i][h] = st.Step(Z[i][h*d:(h+1)*d], s.XQ[r:r+d], s.XK[r:r+d], s.XV[r:r+d], s.LR[i])
		}
	}
	if !withW {
		return nil, nil
	}
	return c.Weights()
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

// Pos is how many tokens the stream has taken.
func (c *CPUStream) Pos() int { return c.st[0].Pos() }

// Stream runs a TTT model one character at a time, as the page does: each
// layer's heads step through a HeadStream, and after every token the
// next-character distribution, the token's loss and every head's W are there
// to draw. It computes exactly what the training forward (the dual form)
// computes for the same prefix.
type Stream struct {
	m      *Model
	layers []HeadStream
	t      int
	prev   []float32 // [V] the distribution the current token is scored against
	probs  []float32 // [V]
	x, a   []float32 // [D] residual stream, normed
	q, k   []float32 // [D]
	v, z   []float32 // [D]
	y      []float32 // [D]
	lr     []float32 // [H]
	hg, hu []float32 // [F]
	logits []float32 // [V] the last token's, which the current token is scored against
	mx     float32   // max(logits)
	logS   float64   // ln Σ exp(logits − mx)
	inner  [][]ttt.Losses
	// PreConv: each block's last ttt.ConvWidth−1 normed conv inputs, oldest
	// first ([layer][(ttt.ConvWidth−1)·D]; zero history before the first token).
	hist [][]float32
	// ShareQK: each block's last ttt.ConvWidth−1 shared projections s, the
	// history conv_q and conv_k read, and the current one ([D]).
	qkHist [][]float32
	s      []float32
}

// Step is what Stream.Step returns for one token.
type Step struct {
	Probs []float32      // [V] p(next character | the text so far); valid until the next Step
	Loss  float32        // −ln p(this token) under the previous Step's Probs; NaN for the first token
	Inner [][]ttt.Losses // [layer][head] the TTT inner losses of this token
}

// NewStream starts a stream at position 0. newHeads starts each layer's
// heads (nil: CPUHeads). Only TTT models stream through heads.
func (m *Model) NewStream(newHeads NewHeadStream) (*Stream, error) {
	c := m.Config
	if !c.Mixer.TTT() {
		return nil, fmt.Errorf("lm: a %s model has no TTT heads to stream", c.Mixer)
	}
	if newHeads == nil {
		newHeads = CPUHeads
	}
	D, H, F, V := c.D, c.H, c.FFN, c.Vocab
	f := func(n int) []float32 { return make([]float32, n) }
	s := &Stream{m: m, prev: f(V), probs: f(V), x: f(D), a: f(D), q: f(D), k: f(D), v: f(D), z: f(D), y: f(D), lr: f(H), hg: f(F), hu: f(F), logits: f(V), s: f(D)}
	for l := range m.Params.Blocks {
		heads, W0 := m.StreamHeads(l)
		hs, err := newHeads(heads, W0)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("lm: layer %d: %w", l, err)
		}
		s.layers = append(s.layers, hs)
		s.inner = append(s.inner, make([]ttt.Losses, H))
		if c.PreConv {
			s.hist = append(s.hist, f((ttt.ConvWidth-1)*D))
		}
		if c.ShareQK {
			s.qkHist = append(s.qkHist, f((ttt.ConvWidth-1)*D))
		}
	}
	return s, nil
}

// StreamHeads returns block l's TTT heads as a stream steps them and their
// initial inner weights W0 (fresh copies): the LN γ, β of f, the token
// scale τ (with TauExp, the equivalent clamp-form τ of clampTau) and the
// learned W0, b0 (or the TTT-MLP's W1, b1, W2, b2). NewStream starts each
// layer's HeadStream from them; gpu.LMStream uploads the same.
func (m *Model) StreamHeads(l int) ([]*ttt.Head, []*ttt.Weights) {
	c, bp := m.Config, m.Params.Blocks[l]
	H, d := c.H, c.HeadSize()
	heads, W0 := make([]*ttt.Head, H), make([]*ttt.Weights, H)
	tau := bp.Tau
	if c.TauExp {
		tau = clampTau(tau)
	}
	for h := 0; h < H; h++ {
		heads[h] = &ttt.Head{Model: ttt.Linear, D: d, B: c.B, Gamma: bp.Gamma[h*d : (h+1)*d], Beta: bp.Beta[h*d : (h+1)*d], Tau: tau, Eps: normEps}
		state := make([]float32, c.stateSize())
		m.initialState(state, bp, h)
		if c.Mixer == TTTMLP {
			heads[h].Model = ttt.MLP
			s := mlpView(state, d)
			W0[h] = &ttt.Weights{Model: ttt.MLP, D: d, W1: s.W1, B1: s.b1, W2: s.W2, B2: s.b2}
		} else {
			W0[h] = &ttt.Weights{Model: ttt.Linear, D: d, W: state[:d*d], B: state[d*d:]}
		}
	}
	return heads, W0
}

// Step reads one token (an index into Vocab) and returns the distribution of the next.
func (s *Stream) Step(token int) (Step, error) {
	m := s.m
	c, p := m.Config, m.Params
	if token < 0 || token >= c.Vocab {
		return Step{}, fmt.Errorf("lm: token %d is outside the vocabulary of %d", token, c.Vocab)
	}
	D, H, d, F, V := c.D, c.H, c.HeadSize(), c.FFN, c.Vocab
	loss := float32(math.NaN())
	if s.t > 0 {
		loss = float32(s.logS - float64(s.logits[token]-s.mx)) // −ln p(token), finite even where p underflows to 0
	}
	copy(s.prev, s.probs)
	copy(s.x, p.Embed[token*D:(token+1)*D])
	var r [1]float32
	for l, bp := range p.Blocks {
		if c.PreConv {
			s.preConv(l, bp)
		}
		rmsNormForward(s.a, r[:], s.x, bp.Norm1, 1, D)
		s.projectQK(l, bp)
		mm(s.v, s.a, bp.ThetaV, 1, D, D) // [1,D] @ [D,D] -> [1,D]
		ropeToken(s.q, s.t, H, d, c.B, c.RopeTheta)
		ropeToken(s.k, s.t, H, d, c.B, c.RopeTheta)
		for h := 0; h < H; h++ {
			s.lr[h] = c.BaseLR * sigmoid(dot(s.a, bp.ThetaLR[h*D:(h+1)*D])+bp.BLR[h]) / float32(d)
		}
		if err := s.layers[l].Step(s.z, s.inner[l], s.q, s.k, s.v, s.lr); err != nil {
			return Step{}, fmt.Errorf("lm: layer %d: %w", l, err)
		}
		ttt.LayerNorm(s.z, s.z, bp.PostGamma, bp.PostBeta, normEps)
		mm(s.y, s.z, bp.ThetaO, 1, D, D)
		addTo(s.x, s.y)
		rmsNormForward(s.a, r[:], s.x, bp.Norm2, 1, D)
		mm(s.hg, s.a, bp.WGate, 1, D, F)
		mm(s.hu, s.a, bp.WUp, 1, D, F)
		for i := range s.hg {
			s.hg[i] = silu(s.hg[i]) * s.hu[i]
		}
		mm(s.y, s.hg, bp.WDown, 1, F, D)
		addTo(s.x, s.y)
	}
	rmsNormForward(s.a, r[:], s.x, p.NormF, 1, D)
	clear(s.logits)
	mmTB(s.logits, s.a, p.Embed, 1, V, D)
	s.mx, s.logS = softmax(s.probs, s.logits)
	s.t++
	return Step{Probs: s.probs, Loss: loss, Inner: s.inner}, nil
}

// preConv adds block l's pre_conv of the current token to s.x.
func (s *Stream) preConv(l int, bp *BlockParams) {
	var r [1]float32
	rmsNormForward(s.a, r[:], s.x, bp.ConvNorm, 1, s.m.Config.D)
	convStep(s.y, s.hist[l], s.a, bp.ConvW, bp.ConvB)
	pushHistory(s.hist[l], s.a)
	addTo(s.x, s.y)
}

// convStep is one token of ttt.CausalConv: y = bias + w[3] ⊙ cur +
// Σ_{j<3} w[j] ⊙ hist[j], where hist [ttt.ConvWidth−1, D] holds the previous
// inputs, oldest first.
func convStep(y, hist, cur, w, bias []float32) {
	D := len(cur)
	copy(y, bias)
	for j := 0; j < ttt.ConvWidth; j++ {
		in := cur
		if j < ttt.ConvWidth-1 {
			in = hist[j*D : (j+1)*D]
		}
		wj := w[j*D : (j+1)*D]
		for m := range y {
			y[m] += wj[m] * in[m]
		}
	}
}

// pushHistory shifts cur into hist, dropping the oldest input.
func pushHistory(hist, cur []float32) {
	D := len(cur)
	copy(hist, hist[D:])
	copy(hist[(ttt.ConvWidth-2)*D:], cur)
}

// projectQK writes the current token's XQ, XK (before RoPE) into s.q, s.k
// from the normed input s.a: θ_Q and θ_K, or with ShareQK s = a θ_QK
// through conv_q and conv_k over block l's history of s.
func (s *Stream) projectQK(l int, bp *BlockParams) {
	D := s.m.Config.D
	if !s.m.Config.ShareQK {
		mm(s.q, s.a, bp.ThetaQ, 1, D, D) // [1,D] @ [D,D] -> [1,D]
		mm(s.k, s.a, bp.ThetaK, 1, D, D)
		return
	}
	mm(s.s, s.a, bp.ThetaQ, 1, D, D) // s = a θ_QK     [1,D] @ [D,D] -> [1,D]
	convStep(s.q, s.qkHist[l], s.s, bp.ConvQW, bp.ConvQB)
	convStep(s.k, s.qkHist[l], s.s, bp.ConvKW, bp.ConvKB)
	pushHistory(s.qkHist[l], s.s)
}

// Pos is the number of tokens read so far.
func (s *Stream) Pos() int { return s.t }

// Weights returns copies of every layer's heads' current inner weights
// ([layer][head]: W [d,d] and b [d]).
func (s *Stream) Weights() ([][]*ttt.Weights, error) {
	out := make([][]*ttt.Weights, len(s.layers))
	var errs []error
	for l, hs := range s.layers {
		w, err := hs.Weights()
		out[l] = w
		errs = append(errs, err)
	}
	return out, errors.Join(errs...)
}

// Close releases the head streams.
func (s *Stream) Close() {
	for _, hs := range s.layers {
		hs.Close()
	}
	s.layers = nil
}
