package ttt_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"tttexplainer/ttt"
)

// randomLayer builds a layer with seeded parameters. With mamba it has the
// share_qk convolutions and the output gate; without, it is the
// Transformer-backbone layer (θ_K, no convs, no gate).
func randomLayer(m ttt.Model, D, H, b int, mamba bool, seed uint64) *ttt.Layer {
	normal := ttt.Normals(rand.New(rand.NewPCG(seed, 3)))
	d := D / H
	s := 1 / math.Sqrt(float64(D))
	l := &ttt.Layer{
		Model: m, D: D, H: H, B: b,
		ThetaQ: normal(D*D, 0, s), ThetaV: normal(D*D, 0, s), ThetaO: normal(D*D, 0, s),
		RopeTheta: 10000,
		ThetaLR:   normal(H*D, 0, 0.3), BLR: normal(H, 0, 0.1), BaseLR: 1, LRMult: 1,
		Tau:   normal(b, 0, 0.05),
		Gamma: normal(H*d, 1, 0.2), Beta: normal(H*d, 0, 0.1),
		PostGamma: normal(D, 1, 0.2), PostBeta: normal(D, 0, 0.1),
		Eps: ttt.DefaultEps,
	}
	if mamba {
		l.ShareQK = true
		l.ConvQW, l.ConvKW = normal(4*D, 0, 0.5), normal(4*D, 0, 0.5)
		l.ConvQB, l.ConvKB = normal(D, 0, 0.1), normal(D, 0, 0.1)
		l.ThetaG = normal(D*D, 0, s)
	} else {
		l.ThetaK = normal(D*D, 0, s)
	}
	for h := 0; h < H; h++ {
		l.W0 = append(l.W0, ttt.RandomProblem(m, 1, d, b, seed+uint64(h)).W0)
	}
	return l
}

// TestLayerForms: the whole layer agrees across forms, for both backbones.
func TestLayerForms(t *testing.T) {
	const T, D, H, b = 29, 12, 3, 8
	for _, m := range []ttt.Model{ttt.Linear, ttt.MLP} {
		for _, mamba := range []bool{true, false} {
			l := randomLayer(m, D, H, b, mamba, 11)
			U := ttt.RandomProblem(ttt.Linear, T, D, 1, 12).Seq.XQ // [T,D]
			ref, _, err := l.Forward(ttt.CPU{}, ttt.Primal, U, T)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range []ttt.Form{ttt.Dual, ttt.Stream} {
				Y, _, err := l.Forward(ttt.CPU{}, f, U, T)
				if err != nil {
					t.Fatal(err)
				}
				same(t, f.String()+" layer Y vs primal", Y, ref)
			}
		}
	}
}

// TestTransformerBackbone rebuilds the Transformer-backbone layer from its
// parts — per-head projections, RoPE, one head at a time, post-norm, θ_O —
// and checks that Layer wires them the same way.
func TestTransformerBackbone(t *testing.T) {
	const T, D, H, b = 21, 8, 2, 4
	d := D / H
	l := randomLayer(ttt.Linear, D, H, b, false, 5)
	U := ttt.RandomProblem(ttt.Linear, T, D, 1, 6).Seq.XQ
	Y, _, err := l.Forward(ttt.CPU{}, ttt.Dual, U, T)
	if err != nil {
		t.Fatal(err)
	}
	Z := make([]float32, T*D) // concat of heads
	for h := 0; h < H; h++ {
		cols := func(theta []float32) []float32 { // θ[:, h·d:(h+1)·d] as [D,d]
			out := make([]float32, D*d)
			for r := 0; r < D; r++ {
				copy(out[r*d:(r+1)*d], theta[r*D+h*d:r*D+(h+1)*d])
			}
			return out
		}
		seq := &ttt.Seq{XQ: make([]float32, T*d), XK: make([]float32, T*d), XV: make([]float32, T*d), LR: make([]float32, T)}
		ttt.Project(seq.XQ, U, cols(l.ThetaQ), T, D, d)
		ttt.Project(seq.XK, U, cols(l.ThetaK), T, D, d)
		ttt.Project(seq.XV, U, cols(l.ThetaV), T, D, d)
		ttt.RoPE(seq.XQ, T, 1, d, b, l.RopeTheta)
		ttt.RoPE(seq.XK, T, 1, d, b, l.RopeTheta)
		ttt.LearningRate(seq.LR, U, l.ThetaLR[h*D:(h+1)*D], l.BLR[h], l.BaseLR, l.LRMult, T, D, d)
		head := &ttt.Head{Model: ttt.Linear, D: d, B: b, Gamma: l.Gamma[h*d : (h+1)*d], Beta: l.Beta[h*d : (h+1)*d], Tau: l.Tau, Eps: l.Eps}
		r, err := head.Run(ttt.Dual, l.W0[h], seq)
		if err != nil {
			t.Fatal(err)
		}
		for tk := 0; tk < T; tk++ {
			copy(Z[tk*D+h*d:tk*D+(h+1)*d], r.Z[tk*d:(tk+1)*d])
		}
	}
	for tk := 0; tk < T; tk++ {
		ttt.LayerNorm(Z[tk*D:(tk+1)*D], Z[tk*D:(tk+1)*D], l.PostGamma, l.PostBeta, l.Eps)
	}
	want := make([]float32, T*D)
	ttt.Project(want, Z, l.ThetaO, T, D, D)
	same(t, "Transformer-backbone Y", Y, want)
}

func TestLayerValidate(t *testing.T) {
	l := randomLayer(ttt.Linear, 8, 2, 4, true, 1)
	l.ConvKB = l.ConvKB[:3]
	U := make([]float32, 5*8)
	if _, _, err := l.Forward(ttt.CPU{}, ttt.Dual, U, 5); err == nil {
		t.Error("Forward with a short conv_k_b succeeded, want an error")
	}
}
