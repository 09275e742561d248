package experiment

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
	// Beside the times, the work each did: tokens out (read off the
	// outputs), TTT's mini-batches (one dispatch each on a GPU) and the
	// (query, key) pairs causal softmax attention scores.
	tab := Table{Name: "cost against context", Columns: []string{"T", "TTT-Linear dual µs per token", "softmax attention µs per token",
		"TTT tokens out", "TTT mini-batches", "softmax tokens out", "softmax (query, key) pairs"},
		Chart: &Chart{X: 0, Y: []int{1, 2}, LogX: true, LogY: true, YLab: "µs per token"}}
	var lt, ls, lT []float64
	for _, T := range Ts {
		p := ttt.RandomProblem(ttt.Linear, T, d, b, x.spec.Seed)
		var zT []float32 // TTT's outputs [T,d]
		tT, err := x.timed(x.spec.Runs, T == x.spec.MinT, func() error {
			res, err := x.dev.Run(ttt.Dual, []ttt.HeadInput{p.Input()})
			if err == nil {
				zT = res[0].Z
			}
			return err
		})
		if err == nil {
			err = x.step(fmt.Sprintf("TTT, T = %d", T))
		}
		var tS time.Duration
		Z := make([]float32, T*d) // softmax attention's outputs [T,d]
		if err == nil {
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
		tab.add(fmt.Sprintf("T = %d", T), float64(T), tT.Seconds()*1e6/float64(T), tS.Seconds()*1e6/float64(T),
			float64(len(zT)/d), float64((T+b-1)/b), float64(tokensOut(Z, d)), float64(T)*float64(T+1)/2)
		lT, lt, ls = append(lT, math.Log(float64(T))), append(lt, math.Log(tT.Seconds())), append(ls, math.Log(tS.Seconds()))
	}
	x.r.Tables = append(x.r.Tables, tab)
	x.r.Summary["max_t"] = float64(tab.Rows[len(tab.Rows)-1][0])
	if len(lT) >= 2 {
		x.r.Summary["ttt_exponent"] = slope(lT, lt)
		x.r.Summary["softmax_exponent"] = slope(lT, ls)
		x.r.Headline = fmt.Sprintf("Time per sequence grows as T^%.2f for TTT and T^%.2f for softmax attention, up to T = %d on %s.",
			x.r.Summary["ttt_exponent"], x.r.Summary["softmax_exponent"], int(x.r.Summary["max_t"]), x.where())
	}
	x.r.Notes = append(x.r.Notes, fmt.Sprintf("T doubles from %d up to the cap of %d tokens (the page's default cap is %d: softmax attention's work grows as T², and a device that fails at some T ends the curve there, saying so).", x.spec.MinT, x.spec.MaxT, scenario.MaxCostT))
	x.r.Notes = append(x.r.Notes, fmt.Sprintf("One head, d = %d, TTT mini-batch b = %d; each time is the median of %d run(s), readback included, after a warm-up at the first T. The exponents fit time per sequence ∝ T^k: 1 is linear, 2 quadratic.", d, b, x.spec.Runs))
	return nil
}

// tokensOut counts the rows of Z [T,d] that the attention wrote: a row
// of zeros is one it skipped (Z starts zeroed; a written row is a convex
// mix of the values, never all zeros for random V).
func tokensOut(Z []float32, d int) int {
	n := 0
	for t := 0; t*d < len(Z); t++ {
		for _, z := range Z[t*d : (t+1)*d] {
			if z != 0 {
				n++
				break
			}
		}
	}
	return n
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

func init() {
	register("cost", "Cost against context",
		"Time per token as the context T doubles. TTT's state is d×d whatever T is, so its work per token is one mini-batch's share, the same at every T (time per sequence ∝ T); causal softmax attention looks at every earlier token, so its work per token grows with T (∝ T² per sequence). The table counts the work (mini-batches, query–key pairs) beside the times. Log–log axes: the fitted exponents are in the summary.",
		(*exp).cost)
}
