package ttt_test

import (
	"fmt"
	"math"

	"tttexplainer/ttt"
)

// A stream whose inner loop is Adam: its first step moves each weight by
// about the step size α, whatever the gradient's scale.
func ExampleNewStreamStateOpt() {
	p := ttt.RandomProblem(ttt.Linear, 1, 4, 1, 1)
	o := ttt.Opt{Kind: ttt.Adam, Beta: 0.9, Beta2: 0.999, Eps: 1e-8, Eta: 0.01}
	st, err := ttt.NewStreamStateOpt(&p.Head, p.W0, o)
	if err != nil {
		panic(err)
	}
	z := make([]float32, 4)
	st.Step(z, p.Seq.XQ, p.Seq.XK, p.Seq.XV, p.Seq.LR[0])
	fmt.Printf("|ΔW[0]| = %.4f\n", math.Abs(float64(st.Weights().W[0]-p.W0.W[0])))
	// Output: |ΔW[0]| = 0.0100
}
