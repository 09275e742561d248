package ttt

import (
	"fmt"
	"math"
	"testing"
)

// testOpts are the optimisers every stream test runs: each kind, with and
// without weight decay.
var testOpts = []struct {
	name string
	o    Opt
}{
	{"gd", Opt{}},
	{"gd+wd", Opt{Decay: 0.05}},
	{"momentum", Opt{Kind: Momentum, Beta: 0.9}},
	{"momentum+wd", Opt{Kind: Momentum, Beta: 0.5, Decay: 0.02}},
	{"adam", Opt{Kind: Adam, Beta: 0.9, Beta2: 0.999, Eps: 1e-8, Eta: 0.01}},
	{"adam+wd", Opt{Kind: Adam, Beta: 0.8, Beta2: 0.99, Eps: 1e-6, Eta: 0.003, Decay: 0.01}},
}

func diffOf(name string, got, want []float32) Diff {
	g, w := make([]float64, len(got)), make([]float64, len(want))
	for i := range got {
		g[i] = float64(got[i])
	}
	for i := range want {
		w[i] = float64(want[i])
	}
	return CompareArray(name, g, w, AbsTol, RelTol)
}

// TestStreamOptVsReference steps StreamState with every optimiser and checks
// z, the four losses and W_t after every token against the primal-style
// reference RunOpt, on sizes that are not powers of two and sequences that
// end in a partial mini-batch.
func TestStreamOptVsReference(t *testing.T) {
	for _, m := range []Model{Linear, MLP} {
		for _, d := range []int{4, 7, 16} {
			for _, b := range []int{1, 3, 16} {
				for _, tc := range testOpts {
					T := 2*b + b/2 + 1
					if b == 1 {
						T = 9
					}
					t.Run(fmt.Sprintf("%v/d%d/b%d/%s", m, d, b, tc.name), func(t *testing.T) {
						p := RandomProblem(m, T, d, b, uint64(31*d+b))
						hd, in := &p.Head, &p.Seq
						var Wt []*Weights
						want := hd.runOpt(tc.o, p.W0, in, func(_ int, w *Weights) { Wt = append(Wt, w.Clone()) })
						st, err := NewStreamStateOpt(hd, p.W0, tc.o)
						if err != nil {
							t.Fatal(err)
						}
						z := make([]float32, d)
						for tok := 0; tok < T; tok++ {
							r := tok * d
							l := st.Step(z, in.XQ[r:r+d], in.XK[r:r+d], in.XV[r:r+d], in.LR[tok])
							if df := diffOf(fmt.Sprintf("token %d z", tok), z, want.Z[r:r+d]); !df.OK() {
								t.Fatal(df)
							}
							got := []float32{l.W0, l.Start, l.Before, l.After}
							exp := []float32{want.LossW0[tok], want.LossStart[tok], want.LossBefore[tok], want.LossAfter[tok]}
							if df := diffOf(fmt.Sprintf("token %d losses", tok), got, exp); !df.OK() {
								t.Fatal(df)
							}
							gt, wt := st.Weights().Tensors(), Wt[tok].Tensors()
							for j, name := range TensorNames(m) {
								if df := diffOf(fmt.Sprintf("token %d %s", tok, name), gt[j], wt[j]); !df.OK() {
									t.Fatal(df)
								}
							}
						}
					})
				}
			}
		}
	}
}

// TestOptGDIsTheStream: plain GD without decay through the reference is the
// existing stream form bit for bit, and so is momentum with β = 0 through
// the optimiser's own update path.
func TestOptGDIsTheStream(t *testing.T) {
	for _, m := range []Model{Linear, MLP} {
		for _, b := range []int{1, 3, 16} {
			p := RandomProblem(m, 2*b+3, 7, b, 5)
			want, err := p.Head.Run(Stream, p.W0, &p.Seq)
			if err != nil {
				t.Fatal(err)
			}
			ref, err := p.Head.RunOpt(Opt{}, p.W0, &p.Seq)
			if err != nil {
				t.Fatal(err)
			}
			st, err := NewStreamStateOpt(&p.Head, p.W0, Opt{Kind: Momentum, Beta: 0})
			if err != nil {
				t.Fatal(err)
			}
			mom := NewResult(m, p.Seq.T(), 7)
			st.Run(mom, &p.Seq)
			for _, got := range []struct {
				name string
				r    *Result
			}{{"RunOpt(GD)", ref}, {"momentum β=0", mom}} {
				pairs := [][2][]float32{{got.r.Z, want.Z}, {got.r.LossStart, want.LossStart}, {got.r.LossBefore, want.LossBefore}, {got.r.LossAfter, want.LossAfter}}
				for i, w := range want.Final.Tensors() {
					pairs = append(pairs, [2][]float32{got.r.Final.Tensors()[i], w})
				}
				for i, pr := range pairs {
					for j := range pr[1] {
						if math.Float32bits(pr[0][j]) != math.Float32bits(pr[1][j]) {
							t.Fatalf("%v b=%d %s: array %d [%d] = %v, want %v bit for bit", m, b, got.name, i, j, pr[0][j], pr[1][j])
						}
					}
				}
			}
		}
	}
}

// TestAdamFirstStep: Adam's first step moves every weight whose gradient is
// well above ε by α (the bias correction makes m̂/√v̂ = ±1), and none by more.
func TestAdamFirstStep(t *testing.T) {
	for _, m := range []Model{Linear, MLP} {
		const d, eta = 7, 0.01
		p := RandomProblem(m, 1, d, 4, 9)
		st, err := NewStreamStateOpt(&p.Head, p.W0, Opt{Kind: Adam, Beta: 0.9, Beta2: 0.999, Eps: 1e-8, Eta: eta})
		if err != nil {
			t.Fatal(err)
		}
		z := make([]float32, d)
		st.Step(z, p.Seq.XQ, p.Seq.XK, p.Seq.XV, p.Seq.LR[0])
		moved := 0
		for i, w := range st.Weights().Tensors() {
			for j, x := range w {
				step := math.Abs(float64(x - p.W0.Tensors()[i][j]))
				if step > eta*(1+1e-4) {
					t.Fatalf("%v: tensor %d [%d] moved %g, more than α = %g", m, i, j, step, eta)
				}
				if step > eta*(1-1e-3) {
					moved++
				}
			}
		}
		// Every weight with a gradient of this token moves by α: for the MLP
		// a few GELU units can be flat, so ask for most, not all.
		if moved < p.W0.Size()*9/10 {
			t.Errorf("%v: %d of %d weights moved by α = %g, want nearly all", m, moved, p.W0.Size(), eta)
		}
	}
}

// TestWeightDecayForgets: with every learning rate zero the gradient plays
// no part, and each mini-batch shrinks W by exactly 1 − λ.
func TestWeightDecayForgets(t *testing.T) {
	const b, lambda = 3, 0.1
	p := RandomProblem(Linear, 2*b, 5, b, 3)
	clear(p.Seq.LR)
	st, err := NewStreamStateOpt(&p.Head, p.W0, Opt{Kind: Momentum, Beta: 0.9, Decay: lambda})
	if err != nil {
		t.Fatal(err)
	}
	st.Run(NewResult(Linear, 2*b, 5), &p.Seq)
	want := p.W0.Clone()
	for range 2 {
		for _, w := range want.Tensors() {
			for j := range w {
				w[j] *= 1 - lambda
			}
		}
	}
	for i, w := range want.Tensors() {
		if df := diffOf("W after two mini-batches", st.Weights().Tensors()[i], w); !df.OK() || df.MaxAbs > 1e-7 {
			t.Error(df)
		}
	}
}

func TestOptValidate(t *testing.T) {
	nan := float32(math.NaN())
	for _, o := range []Opt{
		{Decay: 1}, {Decay: -0.1}, {Decay: nan},
		{Kind: Momentum, Beta: 1}, {Kind: Momentum, Beta: -0.5}, {Kind: Momentum, Beta: nan},
		{Kind: Adam, Beta: 0.9, Beta2: 1, Eps: 1e-8, Eta: 0.01},
		{Kind: Adam, Beta: 0.9, Beta2: 0.999, Eps: 0, Eta: 0.01},
		{Kind: Adam, Beta: 0.9, Beta2: 0.999, Eps: 1e-8, Eta: 0},
		{Kind: Adam, Beta: 0.9, Beta2: 0.999, Eps: 1e-8, Eta: nan},
		{Kind: 7},
	} {
		if err := o.Validate(); err == nil {
			t.Errorf("%+v.Validate() = nil, want an error", o)
		}
	}
	for _, tc := range testOpts {
		if err := tc.o.Validate(); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}
