package demo

import (
	"fmt"
	"math"
	"testing"

	"tttexplainer/scenario"
	"tttexplainer/ttt"
)

// stepTol is the float32 agreement of the panel's numbers with a stream
// replayed here: the same code in the same order, so only the runner's
// snapshot replays could differ, and they do not.
const stepTol = 1e-5

func closeTo(a, b float32, tol float64) bool {
	return math.Abs(float64(a)-float64(b)) <= tol+tol*math.Abs(float64(b))
}

func sameWeights(t *testing.T, what string, got, want *ttt.Weights, tol float64) {
	t.Helper()
	wt := want.Tensors()
	for i, g := range got.Tensors() {
		for j := range g {
			if !closeTo(g[j], wt[i][j], tol) {
				t.Fatalf("%s: %s[%d] = %g, want %g", what, got.TensorNames()[i], j, g[j], wt[i][j])
			}
		}
	}
}

// TestStepViews holds the one-step panel to a stream replayed token by
// token with ttt: W_{t−1} and W_t, the losses before and after, ΔW = W_t −
// W_{t−1}, the token's own term as the outer product −s_i lr_t kᵀ G, and
// W_t = W⁰ + Σ_{j≤i} (s_i/s_j) Own_j, the stream's running sum rebuilt from
// the panel's terms of the mini-batch's tokens.
func TestStepViews(t *testing.T) {
	for _, c := range []struct {
		model, form string
		b           int
		ln          bool
	}{
		{"linear", "stream", 1, true}, {"linear", "stream", 5, true}, {"linear", "dual", 4, false},
		{"mlp", "stream", 3, true}, {"mlp", "primal", 4, true},
	} {
		t.Run(fmt.Sprintf("%s_%s_b%d_ln%v", c.model, c.form, c.b, c.ln), func(t *testing.T) {
			s := scenario.Default()
			s.Model, s.Form, s.B, s.LN = c.model, c.form, c.b, c.ln
			r, err := NewRunner(s, CPU{})
			if err != nil {
				t.Fatal(err)
			}
			const n = 23 // several mini-batches and a partial one
			for range n {
				if _, err := r.Step(); err != nil {
					t.Fatal(err)
				}
			}
			d := r.Views.D
			for h, hi := range r.Views.Heads {
				st := ttt.NewStreamState(hi.Head, hi.W0)
				ref := []*ttt.Weights{hi.W0.Clone()}
				var losses []ttt.Losses
				z := make([]float32, d)
				for tok := range n {
					row := hi.Seq.XQ[tok*d : (tok+1)*d]
					losses = append(losses, st.Step(z, row, hi.Seq.XK[tok*d:(tok+1)*d], hi.Seq.XV[tok*d:(tok+1)*d], hi.Seq.LR[tok]))
					ref = append(ref, st.Weights().Clone())
				}
				var own []*StepView // the panel's views of the current mini-batch
				for tt := 1; tt <= n; tt++ {
					views, err := r.StepViews(tt)
					if err != nil {
						t.Fatal(err)
					}
					v := views[h]
					at := fmt.Sprintf("token %d head %d", tt, h)
					if v.I != (tt-1)%c.b+1 || v.Start != tt-v.I {
						t.Fatalf("%s: i = %d, start %d", at, v.I, v.Start)
					}
					sameWeights(t, at+" W_{t−1}", v.WPrev, ref[tt-1], stepTol)
					sameWeights(t, at+" W_t", v.W, ref[tt], stepTol)
					sum := v.WPrev.Clone()
					for i, x := range sum.Tensors() {
						for j := range x {
							x[j] += v.DW.Tensors()[i][j]
						}
					}
					sameWeights(t, at+" W_{t−1} + ΔW", sum, v.W, stepTol)
					l := losses[tt-1]
					if !closeTo(v.LossBefore, l.Before, stepTol) || !closeTo(v.LossAfter, l.After, stepTol) || !closeTo(v.LossStart, l.Start, stepTol) {
						t.Fatalf("%s: losses start %g before %g after %g, the stream gives %+v", at, v.LossStart, v.LossBefore, v.LossAfter, l)
					}
					if got := hi.Head.Loss(v.WPrev, v.K, v.V); !closeTo(got, l.Before, stepTol) {
						t.Fatalf("%s: ℓ(W_{t−1}) recomputed %g, logged %g", at, got, l.Before)
					}
					for j := range v.Err {
						if v.Err[j] != v.Pred[j]-v.V[j] {
							t.Fatalf("%s: error[%d] = %g, want f − v = %g", at, j, v.Err[j], v.Pred[j]-v.V[j])
						}
					}
					if c.model == "linear" {
						checkOuter(t, at, v, d)
						if !c.ln {
							checkPlainLinear(t, at, v, ref[v.Start], d)
						}
					}
					if v.I == 1 {
						own = own[:0]
						sameWeights(t, at+" ΔW at a mini-batch start", v.DW, v.Own, stepTol)
					}
					own = append(own, v)
					// W_t = W⁰ − s_i Σ_j lr_j ∇ℓ_j = W⁰ + Σ_j (s_i/s_j) Own_j.
					rebuilt := ref[v.Start].Clone()
					for _, o := range own {
						for i, x := range rebuilt.Tensors() {
							for j := range x {
								x[j] += v.S / o.S * o.Own.Tensors()[i][j]
							}
						}
					}
					sameWeights(t, at+" W⁰ + the mini-batch's own terms", rebuilt, v.W, 1e-4)
				}
			}
		})
	}
}

// checkOuter: TTT-Linear's own term is −s_i lr_t kᵀ G (and −s_i lr_t G for b).
func checkOuter(t *testing.T, at string, v *StepView, d int) {
	t.Helper()
	a := -v.S * v.LR
	for r := range d {
		for c := range d {
			if want := a * v.K[r] * v.G[c]; !closeTo(v.Own.W[r*d+c], want, 1e-6) {
				t.Fatalf("%s: own W[%d,%d] = %g, want −s lr k[%d] G[%d] = %g", at, r, c, v.Own.W[r*d+c], r, c, want)
			}
		}
		if want := a * v.G[r]; !closeTo(v.Own.B[r], want, 1e-6) {
			t.Fatalf("%s: own b[%d] = %g, want %g", at, r, v.Own.B[r], want)
		}
	}
}

// checkPlainLinear: with LayerNorm off, f(k) = k W⁰ + b and G = f(k) − v,
// computed here from W⁰ alone.
func checkPlainLinear(t *testing.T, at string, v *StepView, W0 *ttt.Weights, d int) {
	t.Helper()
	for c := range d {
		p := W0.B[c]
		for r := range d {
			p += v.K[r] * W0.W[r*d+c]
		}
		if !closeTo(v.Pred[c], p, 1e-5) || !closeTo(v.G[c], p-v.V[c], 1e-5) {
			t.Fatalf("%s: pred[%d] %g, G %g; want k W⁰ + b = %g, G = %g", at, c, v.Pred[c], v.G[c], p, p-v.V[c])
		}
	}
}

// TestStepLossFalls: at b = 1 every gradient is taken at W_{t−1}, so for a
// small η the step lowers the token's own loss, token after token.
func TestStepLossFalls(t *testing.T) {
	s := scenario.Default()
	s.B, s.Form, s.LR = 1, "stream", 0.05
	r, err := NewRunner(s, CPU{})
	if err != nil {
		t.Fatal(err)
	}
	for tt := 1; tt <= 40; tt++ {
		if _, err := r.Step(); err != nil {
			t.Fatal(err)
		}
		views, err := r.StepViews(tt)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range views {
			if !(v.LossAfter < v.LossBefore) {
				t.Errorf("token %d head %d: ℓ after %g, before %g: want lower", tt, v.Head, v.LossAfter, v.LossBefore)
			}
			if caps := v.Captions(); len(caps) != len(StepParts) {
				t.Errorf("token %d: %d captions, want %d", tt, len(caps), len(StepParts))
			}
		}
	}
	if _, err := r.StepViews(r.done + 1); err == nil {
		t.Error("StepViews past the tokens computed: no error")
	}
}

// BenchmarkStepViews is the panel's cost per frame: every head's step on
// a token mid-mini-batch (docs/BENCHMARKS.md has the numbers).
func BenchmarkStepViews(b *testing.B) {
	for _, width := range []string{"small", "wide"} {
		b.Run(width, func(b *testing.B) {
			s := scenario.Default()
			s.Width = width
			r, err := NewRunner(s, CPU{})
			if err != nil {
				b.Fatal(err)
			}
			for range 37 {
				if _, err := r.Step(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.StepViews(37); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
