package lm

import (
	"math"
	"math/rand/v2"
	"testing"

	"tttexplainer/ttt"
)

// streamTol bounds |stream − training forward| on probabilities and losses:
// the two sum the same float32 terms in different orders (running sums
// against the dual form's matmuls), which measures about 1e-6 here.
const streamTol = 1e-4

// TestStreamEqualsForward: the page's per-token forward gives the training
// forward's (dual form) next-token distribution and loss at every position,
// across several mini-batches and a ragged end.
func TestStreamEqualsForward(t *testing.T) {
	for _, v := range []variant{{mixer: TTTLinear}, {mixer: TTTMLP}, {mixer: TTTLinear, preConv: true}, {mixer: TTTMLP, preConv: true}, {mixer: TTTLinear, shareQK: true},
		{mixer: TTTLinear, preConv: true, shareQK: true, tauExp: true}, {mixer: TTTMLP, tauExp: true}} {
		t.Run(v.String(), func(t *testing.T) { testStreamEqualsForward(t, v) })
	}
}

func testStreamEqualsForward(t *testing.T, v variant) {
	c := v.config()
	c.Context = 23
	rng := rand.New(rand.NewPCG(5, 6))
	m, _ := New(c, 9)
	spread(m.Params, rng)
	tokens, _ := tinySequence(c, rng)
	targets := append(append([]int(nil), tokens[1:]...), 0)
	w := newWork(c)
	m.forward(w, tokens, targets)
	st, err := m.NewStream(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var worst float64
	for i, tok := range tokens {
		step, err := st.Step(tok)
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 {
			worst = max(worst, math.Abs(float64(step.Loss-w.loss[i-1])))
		}
		for v := 0; v < c.Vocab; v++ {
			worst = max(worst, math.Abs(float64(step.Probs[v]-w.probs[i*c.Vocab+v])))
		}
	}
	t.Logf("stream vs forward: maxdiff = %.2g", worst)
	if worst > streamTol || math.IsNaN(worst) {
		t.Fatalf("stream vs forward: maxdiff = %g, want ≤ %g", worst, streamTol)
	}
	ws, err := st.Weights()
	if err != nil || len(ws) != c.Layers || len(ws[0]) != c.H || ws[0][0].Size() != c.stateSize() {
		t.Fatalf("Weights() = %d layers, %v", len(ws), err)
	}
}

// TestMixerEqualsLayer: the LM's TTT mixer computes what ttt.Layer.Forward
// computes with the same parameters (no gate; separate θ_Q, θ_K or share_qk).
func TestMixerEqualsLayer(t *testing.T) {
	for _, v := range []variant{{mixer: TTTLinear}, {mixer: TTTMLP}, {mixer: TTTLinear, shareQK: true}} {
		t.Run(v.String(), func(t *testing.T) { testMixerEqualsLayer(t, v) })
	}
}

func testMixerEqualsLayer(t *testing.T, v variant) {
	mixer := v.mixer
	c := v.config()
	c.Context = 19
	rng := rand.New(rand.NewPCG(7, 8))
	m, _ := New(c, 10)
	spread(m.Params, rng)
	bp := m.Params.Blocks[0]
	T, D, H, d := c.Context, c.D, c.H, c.HeadSize()
	U := randVec(rng, T*D, 1)
	model := ttt.Linear
	if mixer == TTTMLP {
		model = ttt.MLP
	}
	layer := &ttt.Layer{Model: model, D: D, H: H, B: c.B, ThetaQ: bp.ThetaQ, ThetaK: bp.ThetaK, ThetaV: bp.ThetaV,
		RopeTheta: c.RopeTheta, ThetaLR: bp.ThetaLR, BLR: bp.BLR, BaseLR: c.BaseLR, LRMult: 1, Tau: bp.Tau,
		Gamma: bp.Gamma, Beta: bp.Beta, PostGamma: bp.PostGamma, PostBeta: bp.PostBeta, ThetaO: bp.ThetaO, Eps: normEps,
		ShareQK: c.ShareQK, ConvQW: bp.ConvQW, ConvQB: bp.ConvQB, ConvKW: bp.ConvKW, ConvKB: bp.ConvKB}
	for h := 0; h < H; h++ {
		state := make([]float32, c.stateSize())
		m.initialState(state, bp, h)
		if mixer == TTTMLP {
			s := mlpView(state, d)
			layer.W0 = append(layer.W0, &ttt.Weights{Model: ttt.MLP, D: d, W1: s.W1, B1: s.b1, W2: s.W2, B2: s.b2})
		} else {
			layer.W0 = append(layer.W0, &ttt.Weights{Model: ttt.Linear, D: d, W: state[:d*d], B: state[d*d:]})
		}
	}
	for _, form := range []ttt.Form{ttt.Primal, ttt.Dual} {
		want, _, err := layer.Forward(ttt.CPU{}, form, U, T)
		if err != nil {
			t.Fatal(err)
		}
		w := newWork(c)
		b := w.blocks[0]
		copy(b.a1, U)
		m.mixerForward(w, b, bp, T)
		got := make([]float32, T*D)
		mm(got, b.Zn, bp.ThetaO, T, D, D)
		var worst float64
		for i := range got {
			worst = max(worst, math.Abs(float64(got[i]-want[i]))/(1+math.Abs(float64(want[i]))))
		}
		t.Logf("mixer vs ttt.Layer.Forward (%v): maxdiff = %.2g", form, worst)
		if worst > streamTol {
			t.Errorf("mixer vs ttt.Layer.Forward (%v): maxdiff = %g", form, worst)
		}
	}
}

// TestStreamLossFiniteWhenPUnderflows: a character the model all but rules
// out (p underflows to 0 in float32) still gets a finite loss, −ln p from the
// logits, as the training forward computes it; the page's JSON has no ±Inf.
func TestStreamLossFiniteWhenPUnderflows(t *testing.T) {
	c := tinyConfig(TTTLinear)
	m, _ := New(c, 9)
	for i := range m.Params.NormF {
		m.Params.NormF[i] *= 1e4 // logits of order 1e3 apart: most p underflow to 0
	}
	st, err := m.NewStream(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	underflowed := false
	for i := 0; i < 2*c.Vocab; i++ {
		tok := i % c.Vocab
		if i > 0 && st.probs[tok] == 0 {
			underflowed = true
		}
		step, err := st.Step(tok)
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 && (math.IsInf(float64(step.Loss), 0) || math.IsNaN(float64(step.Loss)) || step.Loss < 0) {
			t.Fatalf("token %d: loss %v, want finite and ≥ 0", i, step.Loss)
		}
	}
	if !underflowed {
		t.Fatal("no probability underflowed: the test does not test what it says")
	}
}
