package ttt

import "fmt"

// Layer is a whole multi-head TTT layer (the official TTTLinear/TTTMLP module):
//
//	XQ, XK, XV = u θ_Q, u θ_K, u θ_V                 (or share_qk: s = u θ_Q, XQ = conv_q(s), XK = conv_k(s))
//	XQ, XK    = RoPE(XQ, XK), positions t mod b
//	Z         = concat_h TTT_h(XQ, XK, XV, lr_h)      [T,D]
//	Z         = LayerNorm_D(Z)                        post-norm over the full width
//	Z         = gelu(u θ_G) ⊙ Z                       Mamba backbone only (ThetaG set)
//	Y         = Z θ_O
type Layer struct {
	Model   Model
	D, H, B int // width, heads (head size d = D/H), mini-batch size

	ThetaQ, ThetaK, ThetaV []float32 // [D,D]; ThetaK unused with ShareQK
	ShareQK                bool
	ConvQW, ConvKW         []float32 // [4,D] share_qk convolutions
	ConvQB, ConvKB         []float32 // [D]
	RopeTheta              float64   // 0: no RoPE

	ThetaLR        []float32 // [H,D] learning-rate gate per head
	BLR            []float32 // [H]
	BaseLR, LRMult float32
	Tau            []float32 // [b]

	Gamma, Beta         []float32 // [H,d] LayerNorm inside f, per head
	PostGamma, PostBeta []float32 // [D]
	ThetaG              []float32 // [D,D] output gate; nil for the Transformer backbone
	ThetaO              []float32 // [D,D]
	W0                  []*Weights
	Eps                 float32
	Plain               bool // inner f without LayerNorm and residual (Head.Plain)
}

// HeadSize is d = D/H.
func (l *Layer) HeadSize() int { return l.D / l.H }

// Validate checks the layer's shapes.
func (l *Layer) Validate() error {
	if l.H < 1 || l.D < 1 || l.D > MaxD || l.D%l.H != 0 {
		return fmt.Errorf("ttt: layer width D = %d with H = %d heads: want 1 ≤ D ≤ %d and D divisible by H", l.D, l.H, MaxD)
	}
	D, H, d := l.D, l.H, l.HeadSize()
	checks := []struct {
		name string
		got  int
		want int
	}{
		{"theta_q", len(l.ThetaQ), D * D}, {"theta_v", len(l.ThetaV), D * D}, {"theta_o", len(l.ThetaO), D * D},
		{"theta_lr", len(l.ThetaLR), H * D}, {"b_lr", len(l.BLR), H},
		{"ttt_gamma", len(l.Gamma), H * d}, {"ttt_beta", len(l.Beta), H * d},
		{"post_gamma", len(l.PostGamma), D}, {"post_beta", len(l.PostBeta), D},
	}
	if l.ShareQK {
		checks = append(checks, []struct {
			name string
			got  int
			want int
		}{{"conv_q_w", len(l.ConvQW), ConvWidth * D}, {"conv_k_w", len(l.ConvKW), ConvWidth * D}, {"conv_q_b", len(l.ConvQB), D}, {"conv_k_b", len(l.ConvKB), D}}...)
	} else {
		checks = append(checks, struct {
			name string
			got  int
			want int
		}{"theta_k", len(l.ThetaK), D * D})
	}
	if l.ThetaG != nil {
		checks = append(checks, struct {
			name string
			got  int
			want int
		}{"theta_g", len(l.ThetaG), D * D})
	}
	for _, c := range checks {
		if c.got != c.want {
			return fmt.Errorf("ttt: layer %s has %d values, want %d", c.name, c.got, c.want)
		}
	}
	if len(l.W0) != H {
		return fmt.Errorf("ttt: layer has %d initial inner weights, want one per head (%d)", len(l.W0), H)
	}
	return nil
}

// Heads computes every head's views and settings for the input U [T,D].
func (l *Layer) Heads(U []float32, T int) []HeadInput {
	D, H, d := l.D, l.H, l.HeadSize()
	XQ, XK, XV := make([]float32, T*D), make([]float32, T*D), make([]float32, T*D)
	if l.ShareQK {
		s := make([]float32, T*D)
		Project(s, U, l.ThetaQ, T, D, D) // s = u θ_Q       [T,D] @ [D,D] -> [T,D]
		CausalConv(XQ, s, l.ConvQW, l.ConvQB, T, D)
		CausalConv(XK, s, l.ConvKW, l.ConvKB, T, D)
	} else {
		Project(XQ, U, l.ThetaQ, T, D, D)
		Project(XK, U, l.ThetaK, T, D, D)
	}
	Project(XV, U, l.ThetaV, T, D, D)
	if l.RopeTheta != 0 {
		RoPE(XQ, T, H, d, l.B, l.RopeTheta)
		RoPE(XK, T, H, d, l.B, l.RopeTheta)
	}
	heads := make([]HeadInput, H)
	for h := range heads {
		seq := &Seq{XQ: headSlice(XQ, T, D, h, d), XK: headSlice(XK, T, D, h, d), XV: headSlice(XV, T, D, h, d), LR: make([]float32, T)}
		LearningRate(seq.LR, U, l.ThetaLR[h*D:(h+1)*D], l.BLR[h], l.BaseLR, l.LRMult, T, D, d)
		heads[h] = HeadInput{
			Head: &Head{Model: l.Model, D: d, B: l.B, Gamma: l.Gamma[h*d : (h+1)*d], Beta: l.Beta[h*d : (h+1)*d], Tau: l.Tau, Eps: l.Eps, Plain: l.Plain},
			W0:   l.W0[h],
			Seq:  seq,
		}
	}
	return heads
}

// headSlice copies head h's columns [h·d, (h+1)·d) of X [T,D] into a [T,d] slice.
func headSlice(X []float32, T, D, h, d int) []float32 {
	out := make([]float32, T*d)
	for t := 0; t < T; t++ {
		copy(out[t*d:(t+1)*d], X[t*D+h*d:t*D+(h+1)*d])
	}
	return out
}

// Forward runs the layer on U [T,D] with the given form and backend and
// returns Y [T,D] and each head's result.
func (l *Layer) Forward(be Backend, form Form, U []float32, T int) ([]float32, []*Result, error) {
	if err := l.Validate(); err != nil {
		return nil, nil, err
	}
	if T < 1 || T > MaxT || len(U) != T*l.D {
		return nil, nil, fmt.Errorf("ttt: layer input has %d values, want T·D with 1 ≤ T ≤ %d", len(U), MaxT)
	}
	heads := l.Heads(U, T)
	res, err := be.Run(form, heads)
	if err != nil {
		return nil, nil, err
	}
	return l.Output(res, U, T), res, nil
}

// Output combines the heads' Z into Y = (gelu(u θ_G) ⊙ LN_D(concat Z)) θ_O.
func (l *Layer) Output(res []*Result, U []float32, T int) []float32 {
	D, d := l.D, l.HeadSize()
	Z := make([]float32, T*D)
	for h, r := range res {
		for t := 0; t < T; t++ {
			copy(Z[t*D+h*d:t*D+(h+1)*d], r.Z[t*d:(t+1)*d])
		}
	}
	for t := 0; t < T; t++ {
		LayerNorm(Z[t*D:(t+1)*D], Z[t*D:(t+1)*D], l.PostGamma, l.PostBeta, l.Eps)
	}
	if l.ThetaG != nil {
		G := make([]float32, T*D)
		Project(G, U, l.ThetaG, T, D, D) // u θ_G     [T,D] @ [D,D] -> [T,D]
		for i, g := range G {
			Z[i] *= Gelu(g)
		}
	}
	Y := make([]float32, T*D)
	Project(Y, Z, l.ThetaO, T, D, D) // Y = Z θ_O   [T,D] @ [D,D] -> [T,D]
	return Y
}
