package demo

import (
	"hash/fnv"
	"math"
	"math/rand/v2"

	"tttexplainer/scenario"
	"tttexplainer/ttt"
)

// The page's layer is an untrained ttt.Layer: its outer-loop parameters
// (projections θ_Q, θ_V, the η gate, W0) are seeded random numbers, because
// the page shows the inner loop, which needs no training to run. Two choices
// make its inner loop worth watching:
//
//   - Embeddings are random with width D larger than the head size d, so no
//     single d×d map turns every token's training view into its label view:
//     the inner model has to memorise the pairs of this context, which is
//     what TTT's hidden state is for.
//   - The layer uses the official share_qk causal convolutions, set by hand
//     rather than trained: the training view k_t looks one token back
//     (conv_k picks s_{t−1}) and the test view q_t at the current token
//     (conv_q picks s_t), while the label view is v_t = u_t θ_V. So the
//     inner model learns "after this token comes that one" from the text it
//     reads, and z_t = f(q_t; W_t) is its guess at what follows token t. A
//     trained model learns convolutions that do much this.
//
// RoPE is off: it would rotate a key and its later query by different
// angles (positions restart every mini-batch) and blur that memory.

// NewLayer builds the seeded layer of a scenario. Scales:
//
//   - θ_Q, θ_V ~ N(0, 1/D), so that the views of unit-variance embeddings
//     have unit variance like a trained model's. The official init (0.02)
//     would make the views so small that f's LayerNorm output, always of
//     unit scale, swamped the target v − k.
//   - W0 ~ N(0, 0.02²) and zero biases, γ = 1, β = 0, τ = 0 (so s_i = 1/i),
//     b_lr = 0 and θ_lr ~ N(0, 0.02²) (the gate starts near ½): the official
//     initialisation of these.
func NewLayer(s *scenario.Scenario) (*ttt.Layer, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	w := s.WidthOf()
	return NewLayerWidth(s, w.D, w.H)
}

// NewLayerWidth builds the seeded layer of a valid scenario with width D and
// H heads (the sweep experiment takes one head of the page's layer).
func NewLayerWidth(s *scenario.Scenario, D, H int) (*ttt.Layer, error) {
	m, err := ttt.ParseModel(s.Model)
	if err != nil {
		return nil, scenario.Errorf("model", "%v", err)
	}
	d := D / H
	rng := rand.New(rand.NewPCG(s.Seed, 0x6c61_7965_72))
	normal := func(n int, std float64) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(std * rng.NormFloat64())
		}
		return v
	}
	fill := func(n int, x float32) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = x
		}
		return v
	}
	std := 1 / math.Sqrt(float64(D))
	l := &ttt.Layer{
		Model: m, D: D, H: H, B: s.B,
		ThetaQ:  normal(D*D, std),
		ThetaV:  normal(D*D, std),
		ShareQK: true,
		// conv weights [4,D]: row 3 multiplies s_t, row 2 multiplies s_{t−1}.
		ConvQW: append(make([]float32, 3*D), fill(D, 1)...),
		ConvKW: append(append(make([]float32, 2*D), fill(D, 1)...), make([]float32, D)...),
		ConvQB: make([]float32, D), ConvKB: make([]float32, D),
		ThetaLR: normal(H*D, 0.02), BLR: make([]float32, H),
		BaseLR: float32(s.LR), LRMult: 1,
		Tau:   make([]float32, s.B),
		Gamma: fill(H*d, 1), Beta: make([]float32, H*d),
		PostGamma: fill(D, 1), PostBeta: make([]float32, D),
		ThetaO: normal(D*D, std),
		Eps:    ttt.DefaultEps,
		Plain:  !s.LN,
	}
	for range H {
		W0 := ttt.NewWeights(m, d)
		switch m {
		case ttt.Linear:
			W0.W = normal(d*d, 0.02)
		case ttt.MLP:
			W0.W1 = normal(d*ttt.Hidden(d), 0.02)
			W0.W2 = normal(ttt.Hidden(d)*d, 0.02)
		}
		l.W0 = append(l.W0, W0)
	}
	return l, l.Validate()
}

// Embed returns U [T,D]: each distinct token gets one embedding, u ~ N(0, 1)
// per feature, seeded by the scenario's seed and the token's text, so a
// token looks the same wherever it occurs.
func Embed(tokens []string, D int, seed uint64) []float32 {
	U := make([]float32, len(tokens)*D)
	cache := map[string][]float32{}
	for t, tok := range tokens {
		u, ok := cache[tok]
		if !ok {
			h := fnv.New64a()
			h.Write([]byte(tok))
			rng := rand.New(rand.NewPCG(seed, h.Sum64()))
			u = make([]float32, D)
			for i := range u {
				u[i] = float32(rng.NormFloat64())
			}
			cache[tok] = u
		}
		copy(U[t*D:(t+1)*D], u)
	}
	return U
}
