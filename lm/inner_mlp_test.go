package lm

import (
	"math"
	"math/rand/v2"
	"testing"

	"tttexplainer/ttt"
)

func TestGeluGrad2(t *testing.T) {
	for _, x := range []float32{-3, -1.2, -0.3, 0, 0.4, 1.1, 2.5} {
		const eps = 1e-3
		fd := (float64(ttt.GeluGrad(x+eps)) - float64(ttt.GeluGrad(x-eps))) / (2 * eps)
		if got := float64(geluGrad2(x)); math.Abs(got-fd) > 1e-3 {
			t.Errorf("geluGrad2(%g) = %g; finite difference %g", x, got, fd)
		}
	}
}

// TestInnerMLPGradient checks one TTT-MLP mini-batch, outputs and carried
// state, against every input.
func TestInnerMLPGradient(t *testing.T) {
	for _, n := range []int{4, 3} {
		rng := rand.New(rand.NewPCG(2, uint64(7+n)))
		b, d := 4, 3
		h := &innerHead{d: d, b: b, gamma: randVec(rng, d, 1), beta: randVec(rng, d, 0.5), tau: randVec(rng, b, 0.2)}
		Q, K, V := randVec(rng, n*d, 1), randVec(rng, n*d, 1), randVec(rng, n*d, 1)
		lr := randVec(rng, n, 0.1)
		for i := range lr {
			lr[i] = 0.2 + lr[i]*lr[i]
		}
		size := mlpSize(d)
		S := randVec(rng, size, 0.4)
		r, rS := randVec(rng, n*d, 1), randVec(rng, size, 1)
		w := newMLPWork(b, d)
		Z, S1 := make([]float32, n*d), make([]float32, size)
		f := func() float64 {
			copy(S1, S)
			h.forwardMLP(w, Z, mlpView(S1, d), Q, K, V, lr, n)
			return readout(r, Z) + readout(rS, S1)
		}
		dS := append([]float32(nil), rS...)
		dQ, dK, dV, dlr := make([]float32, n*d), make([]float32, n*d), make([]float32, n*d), make([]float32, n)
		g := &innerGrads{gamma: make([]float32, d), beta: make([]float32, d), tau: make([]float32, b)}
		h.backwardMLP(w, g, mlpView(dS, d), mlpView(S, d), Q, K, V, lr, r, dQ, dK, dV, dlr, n)
		sv, dv := mlpView(S, d), mlpView(dS, d)
		for _, x := range []struct {
			name string
			v, g []float32
		}{{"Q", Q, dQ}, {"K", K, dK}, {"V", V, dV}, {"lr", lr, dlr}, {"W1", sv.W1, dv.W1}, {"b1", sv.b1, dv.b1}, {"W2", sv.W2, dv.W2}, {"b2", sv.b2, dv.b2}, {"gamma", h.gamma, g.gamma}, {"beta", h.beta, g.beta}, {"tau", h.tau, g.tau}} {
			checkDirection(t, x.name, x.v, x.g, rng, f)
		}
	}
}

// TestInnerMLPEqualsHead: the mini-batch forward equals ttt's primal TTT-MLP head.
func TestInnerMLPEqualsHead(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	b, d, T := 4, 5, 11
	hd := &innerHead{d: d, b: b, gamma: randVec(rng, d, 1), beta: randVec(rng, d, 0.5), tau: randVec(rng, b, 0.2)}
	Q, K, V := randVec(rng, T*d, 1), randVec(rng, T*d, 1), randVec(rng, T*d, 1)
	lr := make([]float32, T)
	for i := range lr {
		lr[i] = 0.3
	}
	S := randVec(rng, mlpSize(d), 0.3)
	v := mlpView(S, d)
	W0 := &ttt.Weights{Model: ttt.MLP, D: d, W1: append([]float32(nil), v.W1...), B1: append([]float32(nil), v.b1...), W2: append([]float32(nil), v.W2...), B2: append([]float32(nil), v.b2...)}
	head := &ttt.Head{Model: ttt.MLP, D: d, B: b, Gamma: hd.gamma, Beta: hd.beta, Tau: hd.tau, Eps: normEps}
	res, err := head.Run(ttt.Primal, W0, &ttt.Seq{XQ: Q, XK: K, XV: V, LR: lr})
	if err != nil {
		t.Fatal(err)
	}
	w := newMLPWork(b, d)
	Z := make([]float32, T*d)
	for t0 := 0; t0 < T; t0 += b {
		n := min(b, T-t0)
		hd.forwardMLP(w, Z[t0*d:(t0+n)*d], v, Q[t0*d:(t0+n)*d], K[t0*d:(t0+n)*d], V[t0*d:(t0+n)*d], lr[t0:t0+n], n)
	}
	var worst float64
	for i := range Z {
		worst = max(worst, math.Abs(float64(Z[i]-res.Z[i])))
	}
	t.Logf("TTT-MLP mini-batch vs ttt primal: maxdiff = %.2g", worst)
	if worst > 1e-4 {
		t.Fatalf("maxdiff = %g", worst)
	}
}
