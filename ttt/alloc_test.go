package ttt_test

import (
	"testing"

	"tttexplainer/ttt"
)

// Steady-state steps allocate nothing: the page steps a layer many times a
// second, and a garbage-collection pause there is a dropped frame.

func TestStreamStepAllocatesNothing(t *testing.T) {
	for _, tc := range []struct {
		m ttt.Model
		o ttt.Opt
	}{{ttt.Linear, ttt.Opt{}}, {ttt.MLP, ttt.Opt{}}, {ttt.Linear, ttt.Opt{Kind: ttt.Adam, Beta: 0.9, Beta2: 0.999, Eps: 1e-8, Eta: 0.01, Decay: 0.01}}, {ttt.MLP, ttt.Opt{Kind: ttt.Momentum, Beta: 0.9}}} {
		const d, b = 16, 4
		m := tc.m
		p := ttt.RandomProblem(m, 64, d, b, 1)
		st, err := ttt.NewStreamStateOpt(&p.Head, p.W0, tc.o)
		if err != nil {
			t.Fatal(err)
		}
		z := make([]float32, d)
		i := 0
		allocs := testing.AllocsPerRun(50, func() {
			r := (i % 64) * d
			st.Step(z, p.Seq.XQ[r:r+d], p.Seq.XK[r:r+d], p.Seq.XV[r:r+d], p.Seq.LR[i%64])
			i++
		})
		if allocs != 0 {
			t.Errorf("%v %v: StreamState.Step allocates %v times per token, want 0", m, tc.o.Kind, allocs)
		}
	}
}

func TestDualStepAllocatesNothing(t *testing.T) {
	for _, m := range []ttt.Model{ttt.Linear, ttt.MLP} {
		const d, b = 16, 8
		p := ttt.RandomProblem(m, b, d, b, 1)
		st := ttt.NewDualState(&p.Head, p.W0)
		out := ttt.NewResult(m, b, d)
		s := &p.Seq
		allocs := testing.AllocsPerRun(20, func() {
			st.Step(out.Z, out.LossStart, out.LossBefore, out.LossAfter, s.XQ, s.XK, s.XV, s.LR)
		})
		if allocs != 0 {
			t.Errorf("%v: DualState.Step allocates %v times per mini-batch, want 0", m, allocs)
		}
	}
}
