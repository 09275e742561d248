package ttt

import (
	"fmt"
	"math"
	"testing"
)

// TestTokenGrad: the panel's gradient is ∇ of the exported loss (finite
// differences of Head.Loss, an MSE: ℓ = MSE·d/2), its error is f(k) − v
// with f = k + LN(f_res) (f_res when Plain), and its loss is Head.Loss's.
func TestTokenGrad(t *testing.T) {
	for _, m := range []Model{Linear, MLP} {
		for _, plain := range []bool{false, true} {
			t.Run(fmt.Sprintf("%v/plain=%v", m, plain), func(t *testing.T) {
				const d = 6
				p := RandomProblem(m, 2, d, 1, 31)
				p.Head.Plain = plain
				hd, w := &p.Head, p.W0
				k, v := p.Seq.XK[:d], p.Seq.XV[:d]
				tg := hd.TokenGrad(w, k, v)
				// LNLoss and LNL2Grad round differently: a few ulps apart.
				if got := hd.Loss(w, k, v); math.Abs(float64(got-tg.Loss)) > 1e-6*float64(got) {
					t.Errorf("Loss %g, TokenGrad.Loss %g", got, tg.Loss)
				}
				z := make([]float32, d)
				s := newScratch(m, d)
				s.fres(z, k, w)
				if !plain {
					LayerNorm(z, z, hd.Gamma, hd.Beta, hd.Eps)
					addTo(z, k)
				}
				for i := range z {
					if math.Abs(float64(tg.Pred[i]-z[i])) > 1e-6 || tg.Err[i] != tg.Pred[i]-v[i] {
						t.Fatalf("pred[%d] %g (want %g), error %g", i, tg.Pred[i], z[i], tg.Err[i])
					}
				}
				loss := func() float64 { return float64(hd.Loss(w, k, v)) * d / 2 }
				gs := tg.Grad.Tensors()
				for ti, tensor := range w.Tensors() {
					for i := range tensor {
						fd := centralDiff(tensor, i, loss)
						if e := math.Abs(fd - float64(gs[ti][i])); e > fdTol {
							t.Errorf("∂ℓ/∂%s[%d] = %.6f, finite difference %.6f", w.TensorNames()[ti], i, gs[ti][i], fd)
						}
					}
				}
			})
		}
	}
}
