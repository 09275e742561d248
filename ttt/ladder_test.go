package ttt_test

import (
	"fmt"
	"testing"

	"tttexplainer/ttt"
)

// The ladder: each form is checked against the one below it on sizes that are
// not powers of two and sequences that end in a partial mini-batch.
//
//	naive = primal(b=1) = dual(b=1) = stream(b=1)
//	primal = dual = stream for every b

func run(t *testing.T, form ttt.Form, p *ttt.Problem) ttt.Arrays {
	t.Helper()
	r, err := p.Head.Run(form, p.W0, &p.Seq)
	if err != nil {
		t.Fatalf("%v: %v", form, err)
	}
	return r.Arrays()
}

func expectSame(t *testing.T, what string, got, want ttt.Arrays) {
	t.Helper()
	for _, d := range ttt.Compare(got, want, ttt.AbsTol, ttt.RelTol) {
		if !d.OK() {
			t.Errorf("%s: %v", what, d)
		}
	}
}

func TestLadderOnline(t *testing.T) {
	for _, m := range []ttt.Model{ttt.Linear, ttt.MLP} {
		for _, d := range []int{4, 7, 12, 16, 64} {
			t.Run(fmt.Sprintf("%v/d=%d", m, d), func(t *testing.T) {
				p := ttt.RandomProblem(m, 37, d, 1, uint64(d))
				naive := run(t, ttt.Naive, p)
				for _, f := range []ttt.Form{ttt.Primal, ttt.Dual, ttt.Stream} {
					expectSame(t, f.String()+" vs naive", run(t, f, p), naive)
				}
			})
		}
	}
}

func TestLadderMiniBatch(t *testing.T) {
	for _, m := range []ttt.Model{ttt.Linear, ttt.MLP} {
		for _, d := range []int{4, 7, 12, 16, 64} {
			for _, b := range []int{1, 2, 3, 5, 8, 16, 64} {
				T := 2*b + b/2 + 1 // ends in a partial mini-batch whenever b > 1
				if m == ttt.MLP && d == 64 && b == 64 {
					T = b + 7 // the MLP primal form holds b copies of 2·d·4d weights
				}
				t.Run(fmt.Sprintf("%v/d=%d/b=%d/T=%d", m, d, b, T), func(t *testing.T) {
					p := ttt.RandomProblem(m, T, d, b, uint64(1000*d+b))
					primal := run(t, ttt.Primal, p)
					expectSame(t, "dual vs primal", run(t, ttt.Dual, p), primal)
					expectSame(t, "stream vs primal", run(t, ttt.Stream, p), primal)
				})
			}
		}
	}
}

// TestLadderPlain: the forms agree with LN and residual switched off too.
func TestLadderPlain(t *testing.T) {
	for _, m := range []ttt.Model{ttt.Linear, ttt.MLP} {
		for _, d := range []int{7, 16} {
			for _, b := range []int{1, 3, 16} {
				p := ttt.RandomProblem(m, 2*b+b/2+1, d, b, uint64(77*d+b))
				p.Head.Plain = true
				primal := run(t, ttt.Primal, p)
				what := fmt.Sprintf("plain %v d=%d b=%d", m, d, b)
				expectSame(t, what+" dual vs primal", run(t, ttt.Dual, p), primal)
				expectSame(t, what+" stream vs primal", run(t, ttt.Stream, p), primal)
				if b == 1 {
					expectSame(t, what+" naive vs primal", run(t, ttt.Naive, p), primal)
				}
				p.Head.Plain = false
				if ttt.CompareArray("Z", run(t, ttt.Dual, p)["Z"], primal["Z"], ttt.AbsTol, ttt.RelTol).OK() {
					t.Errorf("%s: Z is the same with LN on and off", what)
				}
			}
		}
	}
}

// TestBatchGD runs b = T, one mini-batch over the whole sequence.
func TestBatchGD(t *testing.T) {
	for _, m := range []ttt.Model{ttt.Linear, ttt.MLP} {
		p := ttt.RandomProblem(m, 40, 8, 40, 5)
		primal := run(t, ttt.Primal, p)
		expectSame(t, m.String()+" dual vs primal, b = T", run(t, ttt.Dual, p), primal)
		expectSame(t, m.String()+" stream vs primal, b = T", run(t, ttt.Stream, p), primal)
	}
}

// TestNaiveNeedsOnline: the naive form is online GD and refuses a larger b.
func TestNaiveNeedsOnline(t *testing.T) {
	p := ttt.RandomProblem(ttt.Linear, 10, 4, 4, 1)
	if _, err := p.Head.Run(ttt.Naive, p.W0, &p.Seq); err == nil {
		t.Fatal("Run(Naive) with b = 4 succeeded, want an error")
	}
}

// TestStreamExposesW: after every token the stream's W equals the primal
// form's virtual W_i, which is what the page draws.
func TestStreamExposesW(t *testing.T) {
	const T, d, b = 11, 6, 4
	p := ttt.RandomProblem(ttt.Linear, T, d, b, 9)
	st := ttt.NewStreamState(&p.Head, p.W0)
	z := make([]float32, d)
	for n := 1; n <= T; n++ {
		i := n - 1
		st.Step(z, p.Seq.XQ[i*d:n*d], p.Seq.XK[i*d:n*d], p.Seq.XV[i*d:n*d], p.Seq.LR[i])
		prefix := &ttt.Seq{XQ: p.Seq.XQ[:n*d], XK: p.Seq.XK[:n*d], XV: p.Seq.XV[:n*d], LR: p.Seq.LR[:n]}
		// Over a prefix of n tokens the primal form ends on W_n, whether or not n ends a mini-batch.
		r, err := p.Head.Run(ttt.Primal, p.W0, prefix)
		if err != nil {
			t.Fatal(err)
		}
		got := ttt.Arrays{"W": widen(st.Weights().W), "b": widen(st.Weights().B)}
		want := ttt.Arrays{"W": widen(r.Final.W), "b": widen(r.Final.B)}
		expectSame(t, fmt.Sprintf("W after %d tokens", n), got, want)
	}
}

func widen(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}
