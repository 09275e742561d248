package ttt_test

import (
	"testing"

	"tttexplainer/ttt"
)

// The three equivalences of the paper, on seeded inputs (the golden
// linear_attention_equivalence case checks the first against float64 too).

func qkv(T, d int, seed uint64) (Q, K, V []float32) {
	p := ttt.RandomProblem(ttt.Linear, T, d, 1, seed)
	// Scale down so that the delta rule with η = 1 stays stable (|k|² < 2).
	for i := range p.Seq.XK {
		p.Seq.XK[i] *= 0.25
	}
	return p.Seq.XQ, p.Seq.XK, p.Seq.XV
}

func same(t *testing.T, what string, got, want []float32) {
	t.Helper()
	d := ttt.CompareArray(what, widen(got), widen(want), ttt.AbsTol, ttt.RelTol)
	if !d.OK() {
		t.Error(d)
	} else {
		t.Log(d)
	}
}

// Theorem 1: bare TTT-Linear with batch GD is causal linear attention.
func TestBareBatchGDIsLinearAttention(t *testing.T) {
	const T, d = 45, 7
	Q, K, V := qkv(T, d, 1)
	want := make([]float32, T*d)
	ttt.LinearAttention(want, Q, K, V, T, d)
	for _, form := range []ttt.Form{ttt.Primal, ttt.Dual} {
		got := make([]float32, T*d)
		ttt.BareTTT(form, got, Q, K, V, T, d, T)
		same(t, form.String()+" bare batch GD vs linear attention", got, want)
	}
	// With smaller mini-batches the bare learner is no longer linear attention.
	got := make([]float32, T*d)
	ttt.BareTTT(ttt.Dual, got, Q, K, V, T, d, 16)
	if ttt.CompareArray("b=16", widen(got), widen(want), ttt.AbsTol, ttt.RelTol).OK() {
		t.Error("bare TTT with b = 16 equals linear attention; it should differ")
	}
}

// b = 1 bare TTT-Linear is the delta rule.
func TestBareOnlineIsDeltaRule(t *testing.T) {
	const T, d = 45, 7
	Q, K, V := qkv(T, d, 2)
	want := make([]float32, T*d)
	ttt.DeltaRule(want, Q, K, V, T, d, 1)
	for _, form := range []ttt.Form{ttt.Primal, ttt.Dual} {
		got := make([]float32, T*d)
		ttt.BareTTT(form, got, Q, K, V, T, d, 1)
		same(t, form.String()+" bare online GD vs delta rule", got, want)
	}
}

// Theorem 2: the Nadaraya–Watson learner is causal softmax attention.
func TestNadarayaWatsonIsSoftmaxAttention(t *testing.T) {
	const T, d = 45, 7
	Q, K, V := qkv(T, d, 3)
	want := make([]float32, T*d)
	ttt.SoftmaxAttention(want, Q, K, V, T, d)
	got := make([]float32, T*d)
	nw := ttt.NewNadarayaWatson(d)
	for i := 0; i < T; i++ {
		nw.Train(K[i*d:(i+1)*d], V[i*d:(i+1)*d])
		nw.Predict(got[i*d:(i+1)*d], Q[i*d:(i+1)*d])
	}
	same(t, "Nadaraya–Watson vs softmax attention", got, want)
}
