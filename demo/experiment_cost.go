package demo

import (
	"fmt"
	"math"
	"time"

	"tttexplainer/scenario"

	"tttexplainer/ttt"
)

// Cost against context: the time per token of TTT-Linear's dual form stays
// flat as T grows (its state is d×d whatever the context), while causal
// softmax attention's grows with T (each token attends to every earlier one):
// linear against quadratic time per sequence, measured. T doubles from
// spec.MinT to spec.MaxT; a T the device refuses ends the curve and says why.

func (x *exp) cost() error {
	d, b := x.spec.D, x.spec.B
	att, err := x.attention()
	if err != nil {
		return err
	}
	var Ts []int
	for T := x.spec.MinT; T <= x.spec.MaxT; T *= 2 {
		Ts = append(Ts, T)
	}
	x.total = 2 * len(Ts)
	tab := Table{Name: "cost against context", Columns: []string{"T", "TTT-Linear dual µs per token", "softmax attention µs per token"},
		Chart: &Chart{X: 0, Y: []int{1, 2}, LogX: true, LogY: true, YLab: "µs per token"}}
	var lt, ls, lT []float64
	for _, T := range Ts {
		p := ttt.RandomProblem(ttt.Linear, T, d, b, x.spec.Seed)
		tT, err := x.timed(x.spec.Runs, T == x.spec.MinT, func() error {
			_, err := x.dev.Run(ttt.Dual, []ttt.HeadInput{p.Input()})
			return err
		})
		if err == nil {
			err = x.step(fmt.Sprintf("TTT, T = %d", T))
		}
		var tS time.Duration
		if err == nil {
			Z := make([]float32, T*d)
			scale := float32(1 / math.Sqrt(float64(d))) // the usual 1/√d, folded into Q
			Q := make([]float32, T*d)
			for i, q := range p.Seq.XQ {
				Q[i] = q * scale
			}
			tS, err = x.timed(x.spec.Runs, T == x.spec.MinT, func() error { return att.SoftmaxAttention(Z, Q, p.Seq.XK, p.Seq.XV, 1, T, d) })
		}
		if err == nil {
			err = x.step(fmt.Sprintf("softmax attention, T = %d", T))
		}
		if err != nil {
			if x.ctx.Err() != nil || T == x.spec.MinT {
				return err
			}
			x.r.Notes = append(x.r.Notes, fmt.Sprintf("The curve stops at T = %d: the device failed at T = %d (%v).", T/2, T, err))
			break
		}
		tab.add(fmt.Sprintf("T = %d", T), float64(T), tT.Seconds()*1e6/float64(T), tS.Seconds()*1e6/float64(T))
		lT, lt, ls = append(lT, math.Log(float64(T))), append(lt, math.Log(tT.Seconds())), append(ls, math.Log(tS.Seconds()))
	}
	x.r.Tables = append(x.r.Tables, tab)
	x.r.Summary["max_t"] = float64(tab.Rows[len(tab.Rows)-1][0])
	if len(lT) >= 2 {
		x.r.Summary["ttt_exponent"] = slope(lT, lt)
		x.r.Summary["softmax_exponent"] = slope(lT, ls)
	}
	x.r.Notes = append(x.r.Notes, fmt.Sprintf("T doubles from %d up to the cap of %d tokens (the page's default cap is %d: softmax attention's work grows as T², and a device that fails at some T ends the curve there, saying so).", x.spec.MinT, x.spec.MaxT, scenario.MaxCostT))
	x.r.Notes = append(x.r.Notes, fmt.Sprintf("One head, d = %d, TTT mini-batch b = %d; each time is the median of %d run(s), readback included, after a warm-up at the first T. The exponents fit time per sequence ∝ T^k: 1 is linear, 2 quadratic.", d, b, x.spec.Runs))
	return nil
}

// slope is the least-squares slope of y against x.
func slope(x, y []float64) float64 {
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= float64(len(x))
	my /= float64(len(y))
	var num, den float64
	for i := range x {
		num += (x[i] - mx) * (y[i] - my)
		den += (x[i] - mx) * (x[i] - mx)
	}
	return num / den
}
