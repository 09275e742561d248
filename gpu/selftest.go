package gpu

import (
	"fmt"

	"tttexplainer/ttt"
)

// SelfTest runs a small seeded problem (2 heads, d = 12, b = 16, T = 37, so
// the last mini-batch is partial) through every form the GPU has for both
// inner models, runs the same problem on the CPU, and compares every output,
// loss and final weight at ttt.AbsTol + ttt.RelTol. It returns a one-line
// summary, or an error naming the first array outside the tolerance.
func (be *Backend) SelfTest() (string, error) {
	const H, T, d, b = 2, 37, 12, 16
	worst, arrays := 0.0, 0
	for _, m := range []ttt.Model{ttt.Linear, ttt.MLP} {
		heads := make([]ttt.HeadInput, H)
		for i := range heads {
			heads[i] = ttt.RandomProblem(m, T, d, b, uint64(100+i)).Input()
		}
		for _, f := range []ttt.Form{ttt.Primal, ttt.Dual, ttt.Stream} {
			if !Supports(m, f) {
				continue
			}
			want, err := ttt.CPU{}.Run(f, heads)
			if err != nil {
				return "", fmt.Errorf("gpu self-test: the CPU failed: %v", err)
			}
			got, err := be.Run(f, heads)
			if err != nil {
				return "", fmt.Errorf("gpu self-test (%v %v): %w", m, f, err)
			}
			for h := range got {
				for _, df := range CompareResults(got[h], want[h]) {
					arrays++
					worst = max(worst, df.MaxAbs)
					if !df.OK() {
						return "", fmt.Errorf("gpu self-test (%v %v, head %d) on %s: %v", m, f, h, be.Adapter(), df)
					}
				}
			}
		}
	}
	return fmt.Sprintf("gpu self-test OK on %s: %d arrays, max |Δ| = %.2e vs the CPU", be.Adapter(), arrays, worst), nil
}

// CompareResults compares every array of two results of one head (Z, the four
// losses, the final weights) at ttt.AbsTol + ttt.RelTol.
func CompareResults(got, want *ttt.Result) []ttt.Diff {
	w := func(x []float32) []float64 {
		out := make([]float64, len(x))
		for i, v := range x {
			out[i] = float64(v)
		}
		return out
	}
	c := func(name string, g, wa []float32) ttt.Diff {
		return ttt.CompareArray(name, w(g), w(wa), ttt.AbsTol, ttt.RelTol)
	}
	out := []ttt.Diff{
		c("Z", got.Z, want.Z),
		c("loss_w0", got.LossW0, want.LossW0),
		c("loss_start", got.LossStart, want.LossStart),
		c("loss_before", got.LossBefore, want.LossBefore),
		c("loss_after", got.LossAfter, want.LossAfter),
	}
	gt, wt := got.Final.Tensors(), want.Final.Tensors()
	for i, name := range want.Final.TensorNames() {
		out = append(out, c("final."+name, gt[i], wt[i]))
	}
	return out
}
