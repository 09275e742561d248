package lm

import (
	"fmt"

	"tttexplainer/ttt"
)

// Model is a character-level language model: a config and its parameters.
type Model struct {
	Config Config
	Params *Params
}

// New returns a freshly initialised model.
func New(c Config, seed uint64) (*Model, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &Model{Config: c, Params: InitParams(c, seed)}, nil
}

// blockCache is what one block's backward needs from its forward.
type blockCache struct {
	xConv, aC []float32 // [T,D] PreConv: block input, RMSNorm_conv(xConv)
	rC        []float32 // [T] its reciprocal RMS
	xIn, a1   []float32 // [T,D] block input, RMSNorm(xIn)
	r1, r2    []float32 // [T] reciprocal RMS
	S         []float32 // [T,D] ShareQK: s = a1 θ_QK, the convs' input
	Q, K, V   []float32 // [H,T,d] head views after RoPE
	sig, lr   []float32 // [H,T] TTT η gate σ(·) and lr_t
	Ws        []float32 // [H, mini-batches, state] TTT inner weights at each mini-batch start
	P         []float32 // [H,T,T] attention probabilities or linear-attention scores
	den       []float32 // [H,T] linear-attention normaliser
	fq, fk    []float32 // [H,T,d] φ(Q), φ(K)
	Zh        []float32 // [H,T,d] head outputs
	Z, Zn     []float32 // [T,D] concatenated heads, post-norm
	xMid, a2  []float32 // [T,D] after the mixer, RMSNorm(xMid)
	hg, hu, m []float32 // [T,F] SwiGLU gate, up, silu(gate) ⊙ up
}

// work is one sequence's forward cache and backward scratch, sized for the
// context and reused across steps.
type work struct {
	c      Config
	T      int
	x      []float32 // [T,D] the residual stream
	blocks []*blockCache
	aF, rF []float32 // [T,D], [T]
	probs  []float32 // [T,V]
	loss   []float32 // [T]
	inner  *innerWork
	mlp    *mlpWork

	// backward scratch
	dx, da, dZ, dPq, dPk, dPv []float32 // [T,D]
	dQ, dK, dV                []float32 // [T,d]
	dF1, dF2                  []float32 // [T,F]
	dlogits                   []float32 // [T,V]
	dlr, dp                   []float32 // [T]
	dW, start                 []float32 // [state]: one head's inner weights
	dZh                       []float32 // [T,d]
	dfq, dfk                  []float32 // [T,d]
}

func newWork(c Config) *work {
	T, D, H, d, F, V := c.Context, c.D, c.H, c.HeadSize(), c.FFN, c.Vocab
	f := func(n int) []float32 { return make([]float32, n) }
	w := &work{c: c, x: f(T * D), aF: f(T * D), rF: f(T), probs: f(T * V), loss: f(T), inner: newInnerWork(c.B, d), mlp: newMLPWork(c.B, d),
		dx: f(T * D), da: f(T * D), dZ: f(T * D), dPq: f(T * D), dPk: f(T * D), dPv: f(T * D),
		dQ: f(T * d), dK: f(T * d), dV: f(T * d), dF1: f(T * F), dF2: f(T * F), dlogits: f(T * V), dlr: f(T), dp: f(T),
		dW: f(c.stateSize()), start: f(c.stateSize()), dZh: f(T * d), dfq: f(T * d), dfk: f(T * d)}
	for l := 0; l < c.Layers; l++ {
		b := &blockCache{xIn: f(T * D), a1: f(T * D), r1: f(T), r2: f(T), Q: f(H * T * d), K: f(H * T * d), V: f(H * T * d),
			Zh: f(H * T * d), Z: f(T * D), Zn: f(T * D), xMid: f(T * D), a2: f(T * D), hg: f(T * F), hu: f(T * F), m: f(T * F)}
		if c.PreConv {
			b.xConv, b.aC, b.rC = f(T*D), f(T*D), f(T)
		}
		if c.ShareQK {
			b.S = f(T * D)
		}
		switch c.Mixer {
		case TTTLinear, TTTMLP:
			nmb := (T + c.B - 1) / c.B
			b.sig, b.lr, b.Ws = f(H*T), f(H*T), f(H*nmb*c.stateSize())
		case Attention, RoPELinearAttention:
			b.P = f(H * T * T)
		case LinearAttention:
			b.P, b.den, b.fq, b.fk = f(H*T*T), f(H*T), f(H*T*d), f(H*T*d)
		}
		w.blocks = append(w.blocks, b)
	}
	return w
}

// forward runs the model on tokens (T ≤ Context) and, when targets is not
// nil, fills w.loss[t] = −ln p(targets[t] | tokens[..t]). It leaves the
// probabilities in w.probs.
func (m *Model) forward(w *work, tokens, targets []int) {
	c, p := m.Config, m.Params
	T, D, V := len(tokens), c.D, c.Vocab
	w.T = T
	for t, tok := range tokens {
		copy(w.x[t*D:(t+1)*D], p.Embed[tok*D:(tok+1)*D])
	}
	for l, b := range w.blocks {
		m.blockForward(w, b, p.Blocks[l], T)
	}
	rmsNormForward(w.aF, w.rF, w.x, p.NormF, T, D)
	logits := w.dlogits[:T*V]
	clear(logits)
	mmTB(logits, w.aF, p.Embed, T, V, D) // aF Eᵀ     [T,D] @ [V,D]ᵀ -> [T,V]
	for t := 0; t < T; t++ {
		tgt := 0
		if targets != nil {
			tgt = targets[t]
		}
		w.loss[t] = crossEntropy(w.probs[t*V:(t+1)*V], logits[t*V:(t+1)*V], tgt)
	}
}

func (m *Model) blockForward(w *work, b *blockCache, bp *BlockParams, T int) {
	c := m.Config
	D, F := c.D, c.FFN
	x := w.x[:T*D]
	if c.PreConv {
		// x += CausalConv_k4(RMSNorm_conv(x)).
		copy(b.xConv, x)
		rmsNormForward(b.aC, b.rC, x, bp.ConvNorm, T, D)
		Y := w.da[:T*D]
		ttt.CausalConv(Y, b.aC, bp.ConvW, bp.ConvB, T, D) // [T,D] ⊛ [4,D] -> [T,D]
		addTo(x, Y)
	}
	copy(b.xIn, x)
	rmsNormForward(b.a1, b.r1, x, bp.Norm1, T, D)
	m.mixerForward(w, b, bp, T)
	Y := w.da[:T*D]
	mm(Y, b.Zn, bp.ThetaO, T, D, D) // Zn θ_O     [T,D] @ [D,D] -> [T,D]
	addTo(x, Y)
	copy(b.xMid, x)
	rmsNormForward(b.a2, b.r2, x, bp.Norm2, T, D)
	mm(b.hg, b.a2, bp.WGate, T, D, F) // [T,D] @ [D,F] -> [T,F]
	mm(b.hu, b.a2, bp.WUp, T, D, F)
	for i := range b.m[:T*F] {
		b.m[i] = silu(b.hg[i]) * b.hu[i]
	}
	mm(Y, b.m, bp.WDown, T, F, D) // [T,F] @ [F,D] -> [T,D]
	addTo(x, Y)
}

// mixerForward computes the heads' views from a1, runs the mixer's cores and
// the post-norm: b.Zn = LN_D(concat_h Z_h).
func (m *Model) mixerForward(w *work, b *blockCache, bp *BlockParams, T int) {
	c := m.Config
	D, H, d := c.D, c.H, c.HeadSize()
	Pq, Pk, Pv := w.dPq[:T*D], w.dPk[:T*D], w.dPv[:T*D] // borrowed: the backward overwrites them
	if c.ShareQK {
		mm(b.S, b.a1, bp.ThetaQ, T, D, D)                   // s = a1 θ_QK     [T,D] @ [D,D] -> [T,D]
		ttt.CausalConv(Pq, b.S, bp.ConvQW, bp.ConvQB, T, D) // XQ = conv_q(s)  [T,D] ⊛ [4,D] -> [T,D]
		ttt.CausalConv(Pk, b.S, bp.ConvKW, bp.ConvKB, T, D) // XK = conv_k(s)
	} else {
		mm(Pq, b.a1, bp.ThetaQ, T, D, D) // XQ = a1 θ_Q     [T,D] @ [D,D] -> [T,D]
		mm(Pk, b.a1, bp.ThetaK, T, D, D)
	}
	mm(Pv, b.a1, bp.ThetaV, T, D, D)
	if per := c.ropePeriod(); per > 0 {
		ttt.RoPE(Pq, T, H, d, per, c.RopeTheta)
		ttt.RoPE(Pk, T, H, d, per, c.RopeTheta)
	}
	split := func(dst, src []float32) {
		for h := 0; h < H; h++ {
			for t := 0; t < T; t++ {
				copy(dst[(h*T+t)*d:(h*T+t+1)*d], src[t*D+h*d:t*D+(h+1)*d])
			}
		}
	}
	split(b.Q, Pq)
	split(b.K, Pk)
	split(b.V, Pv)
	for h := 0; h < H; h++ {
		hq, hk, hv, hz := b.Q[h*T*d:(h+1)*T*d], b.K[h*T*d:(h+1)*T*d], b.V[h*T*d:(h+1)*T*d], b.Zh[h*T*d:(h+1)*T*d]
		switch c.Mixer {
		case TTTLinear, TTTMLP:
			m.tttHeadForward(w, b, bp, h, hz, hq, hk, hv, T)
		case Attention:
			attentionForward(hz, b.P[h*T*T:(h+1)*T*T], hq, hk, hv, T, d)
		case RoPELinearAttention:
			bareLinearAttentionForward(hz, b.P[h*T*T:(h+1)*T*T], hq, hk, hv, T, d)
		case LinearAttention:
			linearAttentionForward(hz, b.P[h*T*T:(h+1)*T*T], b.den[h*T:(h+1)*T], b.fq[h*T*d:(h+1)*T*d], b.fk[h*T*d:(h+1)*T*d], hq, hk, hv, T, d)
		}
		for t := 0; t < T; t++ {
			copy(b.Z[t*D+h*d:t*D+(h+1)*d], hz[t*d:(t+1)*d])
		}
	}
	for t := 0; t < T; t++ {
		ttt.LayerNorm(b.Zn[t*D:(t+1)*D], b.Z[t*D:(t+1)*D], bp.PostGamma, bp.PostBeta, normEps)
	}
}

// head returns head h's inner settings.
func (m *Model) head(bp *BlockParams, h int) *innerHead {
	d := m.Config.HeadSize()
	return &innerHead{d: d, b: m.Config.B, gamma: bp.Gamma[h*d : (h+1)*d], beta: bp.Beta[h*d : (h+1)*d], tau: bp.Tau, tauExp: m.Config.TauExp}
}

// tttHeadForward computes head h's η gate and runs its inner loop mini-batch
// by mini-batch, keeping W⁰, b⁰ at each start.
func (m *Model) tttHeadForward(w *work, b *blockCache, bp *BlockParams, h int, Z, Q, K, V []float32, T int) {
	c := m.Config
	D, d, B := c.D, c.HeadSize(), c.B
	sig, lr := b.sig[h*T:(h+1)*T], b.lr[h*T:(h+1)*T]
	for t := 0; t < T; t++ {
		sig[t] = sigmoid(dot(b.a1[t*D:(t+1)*D], bp.ThetaLR[h*D:(h+1)*D]) + bp.BLR[h])
		lr[t] = c.BaseLR * sig[t] / float32(d)
	}
	nmb := (c.Context + B - 1) / B
	size := c.stateSize()
	state := w.dW // the head's inner weights, evolving
	m.initialState(state, bp, h)
	hd := m.head(bp, h)
	for k, t0 := 0, 0; t0 < T; k, t0 = k+1, t0+B {
		n := min(B, T-t0)
		copy(b.Ws[(h*nmb+k)*size:], state)
		r := func(s []float32) []float32 { return s[t0*d : (t0+n)*d] }
		if c.Mixer == TTTMLP {
			hd.forwardMLP(w.mlp, r(Z), mlpView(state, d), r(Q), r(K), r(V), lr[t0:t0+n], n)
		} else {
			hd.forward(w.inner, r(Z), state[:d*d], state[d*d:], r(Q), r(K), r(V), lr[t0:t0+n], n)
		}
	}
}

// stateSize is the number of floats in one head's inner weights.
func (c Config) stateSize() int {
	d := c.HeadSize()
	if c.Mixer == TTTMLP {
		return mlpSize(d)
	}
	return d*d + d
}

// initialState copies head h's learned initial inner weights into state.
func (m *Model) initialState(state []float32, bp *BlockParams, h int) {
	d := m.Config.HeadSize()
	if m.Config.Mixer == TTTMLP {
		hid := ttt.Hidden(d)
		s := mlpView(state, d)
		copy(s.W1, bp.W1[h*d*hid:(h+1)*d*hid])
		copy(s.b1, bp.B1[h*hid:(h+1)*hid])
		copy(s.W2, bp.W2[h*hid*d:(h+1)*hid*d])
		copy(s.b2, bp.B2[h*d:(h+1)*d])
		return
	}
	copy(state[:d*d], bp.W0[h*d*d:(h+1)*d*d])
	copy(state[d*d:], bp.B0[h*d:(h+1)*d])
}

// meanLoss is the mean of w.loss over the sequence.
func (w *work) meanLoss() float64 {
	var s float64
	for _, l := range w.loss[:w.T] {
		s += float64(l)
	}
	return s / float64(w.T)
}

func checkTokens(c Config, tokens []int) error {
	if len(tokens) < 1 || len(tokens) > c.Context {
		return fmt.Errorf("lm: %d tokens, want 1..%d", len(tokens), c.Context)
	}
	for i, t := range tokens {
		if t < 0 || t >= c.Vocab {
			return fmt.Errorf("lm: token %d at %d is outside the vocabulary of %d", t, i, c.Vocab)
		}
	}
	return nil
}
