package lm

import (
	"math/rand/v2"
	"testing"

	"tttexplainer/ttt"
)

// Finite-difference checks of each op's backward on its own, against a
// random linear read-out L = Σ r ⊙ outputs, along random directions of each
// input (checkDirection).

func randVec(rng *rand.Rand, n int, std float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64() * std)
	}
	return v
}

func readout(r []float32, outs ...[]float32) float64 {
	var s float64
	i := 0
	for _, o := range outs {
		for _, v := range o {
			s += float64(r[i]) * float64(v)
			i++
		}
	}
	return s
}

func TestRMSNormGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	n, D := 3, 6
	x, g, r := randVec(rng, n*D, 1), randVec(rng, D, 1), randVec(rng, n*D, 1)
	y, rr := make([]float32, n*D), make([]float32, n)
	f := func() float64 { rmsNormForward(y, rr, x, g, n, D); return readout(r, y) }
	f()
	dx, dg := make([]float32, n*D), make([]float32, D)
	rmsNormBackward(dx, dg, r, x, g, rr, n, D)
	checkDirection(t, "x", x, dx, rng, f)
	checkDirection(t, "g", g, dg, rng, f)
}

func TestCausalConvGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 9))
	T, D := 6, 5
	x, w, b, r := randVec(rng, T*D, 1), randVec(rng, ttt.ConvWidth*D, 1), randVec(rng, D, 1), randVec(rng, T*D, 1)
	y := make([]float32, T*D)
	f := func() float64 { ttt.CausalConv(y, x, w, b, T, D); return readout(r, y) }
	dx, dw, db := make([]float32, T*D), make([]float32, ttt.ConvWidth*D), make([]float32, D)
	causalConvBackward(dx, dw, db, r, x, w, T, D)
	checkDirection(t, "s", x, dx, rng, f)
	checkDirection(t, "w", w, dw, rng, f)
	checkDirection(t, "bias", b, db, rng, f)
}

func TestLayerNormGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	d := 7
	z, gam, bet, r := randVec(rng, d, 1), randVec(rng, d, 1), randVec(rng, d, 1), randVec(rng, d, 1)
	y := make([]float32, d)
	f := func() float64 { ttt.LayerNorm(y, z, gam, bet, normEps); return readout(r, y) }
	dz, dg, db := make([]float32, d), make([]float32, d), make([]float32, d)
	layerNormBackward(dz, dg, db, r, z, gam)
	checkDirection(t, "z", z, dz, rng, f)
	checkDirection(t, "gamma", gam, dg, rng, f)
	checkDirection(t, "beta", bet, db, rng, f)
}

// The inner loss's gradient G = LNL2Grad(z, t) differentiated once more:
// the outer loop's second-order path.
func TestLNL2GradGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 3))
	d := 7
	z, tg, gam, bet, r := randVec(rng, d, 1), randVec(rng, d, 1), randVec(rng, d, 1), randVec(rng, d, 1), randVec(rng, d, 1)
	g := make([]float32, d)
	f := func() float64 { ttt.LNL2Grad(g, z, tg, gam, bet, normEps); return readout(r, g) }
	dz, dt, dgam, dbet := make([]float32, d), make([]float32, d), make([]float32, d), make([]float32, d)
	lnl2GradBackward(dz, dt, dgam, dbet, r, z, tg, gam, bet, make([]float32, d), make([]float32, d))
	checkDirection(t, "z", z, dz, rng, f)
	checkDirection(t, "target", tg, dt, rng, f)
	checkDirection(t, "gamma", gam, dgam, rng, f)
	checkDirection(t, "beta", bet, dbet, rng, f)
}

func TestRoPEGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 4))
	T, H, d := 9, 2, 6
	x, r := randVec(rng, T*H*d, 1), randVec(rng, T*H*d, 1)
	y := make([]float32, len(x))
	f := func() float64 { copy(y, x); ttt.RoPE(y, T, H, d, 4, 10000); return readout(r, y) }
	dx := append([]float32(nil), r...)
	ttt.RoPEInverse(dx, T, H, d, 4, 10000)
	checkDirection(t, "x", x, dx, rng, f)
}

func TestAttentionGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 5))
	T, d := 9, 4
	Q, K, V, r := randVec(rng, T*d, 1), randVec(rng, T*d, 1), randVec(rng, T*d, 1), randVec(rng, T*d, 1)
	Z, P := make([]float32, T*d), make([]float32, T*T)
	f := func() float64 { attentionForward(Z, P, Q, K, V, T, d); return readout(r, Z) }
	f()
	dQ, dK, dV := make([]float32, T*d), make([]float32, T*d), make([]float32, T*d)
	attentionBackward(dQ, dK, dV, r, P, Q, K, V, make([]float32, T), T, d)
	checkDirection(t, "Q", Q, dQ, rng, f)
	checkDirection(t, "K", K, dK, rng, f)
	checkDirection(t, "V", V, dV, rng, f)
}

func TestLinearAttentionGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 6))
	T, d := 9, 4
	Q, K, V, r := randVec(rng, T*d, 1), randVec(rng, T*d, 1), randVec(rng, T*d, 1), randVec(rng, T*d, 1)
	Z, A, den, fq, fk := make([]float32, T*d), make([]float32, T*T), make([]float32, T), make([]float32, T*d), make([]float32, T*d)
	f := func() float64 { linearAttentionForward(Z, A, den, fq, fk, Q, K, V, T, d); return readout(r, Z) }
	f()
	dQ, dK, dV := make([]float32, T*d), make([]float32, T*d), make([]float32, T*d)
	linearAttentionBackward(dQ, dK, dV, r, Z, A, den, fq, fk, Q, K, V, make([]float32, T*d), make([]float32, T*d), T, d)
	checkDirection(t, "Q", Q, dQ, rng, f)
	checkDirection(t, "K", K, dK, rng, f)
	checkDirection(t, "V", V, dV, rng, f)
}

// TestInnerGradient checks one mini-batch of the TTT-Linear inner loop —
// outputs and the carried state (W', b') — against every input: Q, K, V,
// lr, the start state, γ, β and τ. n = 3 < b = 4 is a ragged mini-batch.
func TestInnerGradient(t *testing.T) {
	for _, n := range []int{4, 3} {
		rng := rand.New(rand.NewPCG(1, uint64(7+n)))
		b, d := 4, 5
		h := &innerHead{d: d, b: b, gamma: randVec(rng, d, 1), beta: randVec(rng, d, 0.5), tau: randVec(rng, b, 0.2)}
		Q, K, V := randVec(rng, n*d, 1), randVec(rng, n*d, 1), randVec(rng, n*d, 1)
		lr := randVec(rng, n, 0.1)
		for i := range lr {
			lr[i] = 0.2 + lr[i]*lr[i]
		}
		W, c := randVec(rng, d*d, 0.3), randVec(rng, d, 0.3)
		rZ, rW, rc := randVec(rng, n*d, 1), randVec(rng, d*d, 1), randVec(rng, d, 1)
		w := newInnerWork(b, d)
		Z, W1, c1 := make([]float32, n*d), make([]float32, d*d), make([]float32, d)
		f := func() float64 {
			copy(W1, W)
			copy(c1, c)
			h.forward(w, Z, W1, c1, Q, K, V, lr, n)
			return readout(rZ, Z) + readout(rW, W1) + readout(rc, c1)
		}
		dW, dc := append([]float32(nil), rW...), append([]float32(nil), rc...)
		dQ, dK, dV, dlr := make([]float32, n*d), make([]float32, n*d), make([]float32, n*d), make([]float32, n)
		g := &innerGrads{gamma: make([]float32, d), beta: make([]float32, d), tau: make([]float32, b)}
		h.backward(w, g, dW, dc, W, c, Q, K, V, lr, rZ, dQ, dK, dV, dlr, n)
		for _, x := range []struct {
			name string
			v, g []float32
		}{{"Q", Q, dQ}, {"K", K, dK}, {"V", V, dV}, {"lr", lr, dlr}, {"W", W, dW}, {"b", c, dc}, {"gamma", h.gamma, g.gamma}, {"beta", h.beta, g.beta}, {"tau", h.tau, g.tau}} {
			checkDirection(t, x.name, x.v, x.g, rng, f)
		}
	}
}

func TestBareLinearAttentionGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 16))
	T, d := 9, 4
	Q, K, V, r := randVec(rng, T*d, 1), randVec(rng, T*d, 1), randVec(rng, T*d, 1), randVec(rng, T*d, 1)
	Z, A := make([]float32, T*d), make([]float32, T*T)
	f := func() float64 { bareLinearAttentionForward(Z, A, Q, K, V, T, d); return readout(r, Z) }
	f()
	dQ, dK, dV := make([]float32, T*d), make([]float32, T*d), make([]float32, T*d)
	bareLinearAttentionBackward(dQ, dK, dV, r, A, Q, K, V, T, d)
	checkDirection(t, "Q", Q, dQ, rng, f)
	checkDirection(t, "K", K, dK, rng, f)
	checkDirection(t, "V", V, dV, rng, f)
}
