package ttt

import (
	"fmt"
	"math"
	"testing"
)

// Finite-difference checks of the hand-written gradients: the fused LN + L2
// backward, and the MLP's gradients with respect to every weight. The inner
// loop's gradient is the heart of TTT and the likeliest place for a slip.
//
// Central differences in float32 with step h have rounding error about
// 1e-7·|ℓ|/h and truncation error O(h²); h = 1e-2 keeps both near 1e-4, while
// a wrong formula is off by O(|g|).
const (
	fdStep = 1e-2
	fdTol  = 2e-3
)

// ell is ℓ = ½‖LN(z) − target‖², from the MSE LNLoss returns.
func ell(z, target, gamma, beta []float32) float64 {
	return float64(LNLoss(z, target, gamma, beta, DefaultEps)) * float64(len(z)) / 2
}

func TestLNL2GradFiniteDifference(t *testing.T) {
	for _, d := range []int{4, 7, 16} {
		p := RandomProblem(Linear, 3, d, 1, uint64(d))
		z, target := p.Seq.XQ[:d], p.Seq.XK[:d]
		g := make([]float32, d)
		mse := LNL2Grad(g, z, target, p.Head.Gamma, p.Head.Beta, DefaultEps)
		if want := LNLoss(z, target, p.Head.Gamma, p.Head.Beta, DefaultEps); mse != want {
			t.Errorf("d=%d: LNL2Grad's MSE = %v, want LNLoss = %v", d, mse, want)
		}
		for m := range z {
			fd := centralDiff(z, m, func() float64 { return ell(z, target, p.Head.Gamma, p.Head.Beta) })
			if e := math.Abs(fd - float64(g[m])); e > fdTol {
				t.Errorf("d=%d: g[%d] = %.6f, finite difference %.6f (|Δ| = %.1e)", d, m, g[m], fd, e)
			}
		}
	}
}

// centralDiff perturbs x[i] by ±fdStep and returns (f(+) − f(−)) / 2h.
func centralDiff(x []float32, i int, f func() float64) float64 {
	old := x[i]
	x[i] = old + fdStep
	up := f()
	x[i] = old - fdStep
	down := f()
	x[i] = old
	return (up - down) / (2 * fdStep)
}

// TestInnerGradFiniteDifference checks ∇_W ℓ for every weight of both inner
// models, as scratch.grad and scratch.step compute it for the forms.
func TestInnerGradFiniteDifference(t *testing.T) {
	for _, m := range []Model{Linear, MLP} {
		for _, c := range []struct {
			d     int
			plain bool
		}{{4, false}, {7, false}, {5, true}} {
			d := c.d
			t.Run(fmt.Sprintf("%v/d=%d/plain=%v", m, d, c.plain), func(t *testing.T) {
				p := RandomProblem(m, 2, d, 1, uint64(10+d))
				p.Head.Plain = c.plain
				hd, w := &p.Head, p.W0
				k, v := p.Seq.XK[:d], p.Seq.XV[:d]
				s := newScratch(m, d)
				s.grad(hd, w, k, v)
				grad := NewWeights(m, d)
				s.step(grad, -1, k) // zero − (−1)·∇ = ∇
				loss := func() float64 {
					s2 := newScratch(m, d)
					hd.target(s2.target, v, k)
					return float64(s2.loss(hd, w, k, s2.target)) * float64(d) / 2
				}
				gs := grad.Tensors()
				for ti, tensor := range w.Tensors() {
					for i := range tensor {
						fd := centralDiff(tensor, i, loss)
						if e := math.Abs(fd - float64(gs[ti][i])); e > fdTol {
							t.Errorf("∂ℓ/∂%s[%d] = %.6f, finite difference %.6f (|Δ| = %.1e)", w.TensorNames()[ti], i, gs[ti][i], fd, e)
						}
					}
				}
			})
		}
	}
}

func TestGeluGradFiniteDifference(t *testing.T) {
	for _, x := range []float32{-4, -1.3, -0.2, 0, 0.5, 2, 6} {
		xs := []float32{x}
		fd := centralDiff(xs, 0, func() float64 { return float64(Gelu(xs[0])) })
		if e := math.Abs(fd - float64(GeluGrad(x))); e > fdTol {
			t.Errorf("GeluGrad(%v) = %v, finite difference %v", x, GeluGrad(x), fd)
		}
	}
}
