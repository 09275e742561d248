package experiment

import (
	"fmt"

	"tttexplainer/demo"
	"tttexplainer/scenario"
	"tttexplainer/ttt"
)

// The sweep: the mini-batch size b trades quality for speed. Small b takes
// more, fresher gradient steps (a lower inner loss); large b makes each
// mini-batch a few big matmuls (less time per token on a parallel device).
// One head of the page's layer (d = spec.D, LayerNorm on, η = 0.1) reads the
// prose preset, repeated up to T tokens, in the dual form at every b.

func (x *exp) sweep() error {
	T, d := x.spec.T, x.spec.D
	x.total = len(x.spec.Bs)
	in, err := demo.BuildInput(&scenario.Scenario{Input: "prose", Seed: x.spec.Seed})
	if err != nil {
		return err
	}
	tokens := make([]string, T)
	for t := range tokens {
		tokens[t] = in.Tokens[t%len(in.Tokens)]
	}
	tab := Table{Name: "mini-batch sweep", Columns: []string{"b", "µs per token", "final inner loss", "loss at W0"},
		Chart: &Chart{X: 1, Y: []int{2}, LogX: true, YLab: "final inner loss", PointLabel: new(int)}} // each point labelled with its b (column 0)
	for _, b := range x.spec.Bs {
		s := scenario.Default()
		s.Form, s.B, s.Seed = "dual", b, x.spec.Seed
		l, err := demo.NewLayerWidth(&s, d, 1)
		if err != nil {
			return err
		}
		heads := l.Heads(demo.Embed(tokens, d, s.Seed), T)
		var res []*ttt.Result
		dt, err := x.timed(x.spec.Runs, true, func() error {
			res, err = x.dev.Run(ttt.Dual, heads)
			return err
		})
		if err != nil {
			return fmt.Errorf("b = %d: %w", b, err)
		}
		final, w0 := lastQuarter(res[0].LossBefore), lastQuarter(res[0].LossW0)
		tab.add(fmt.Sprintf("b = %d", b), float64(b), dt.Seconds()*1e6/float64(T), final, w0)
		x.r.Summary[fmt.Sprintf("final_loss_b%d", b)] = final
		if err := x.step(fmt.Sprintf("b = %d", b)); err != nil {
			return err
		}
	}
	x.r.Tables = append(x.r.Tables, tab)
	best, fast := tab.Rows[0], tab.Rows[0] // [b, µs per token, final loss, loss at W0]
	for _, p := range tab.Rows {
		if p[2] < best[2] {
			best = p
		}
		if p[1] < fast[1] {
			fast = p
		}
	}
	x.r.Headline = fmt.Sprintf("On %s: the lowest final inner loss, %.3g, at b = %d (%.3g µs per token); the fastest, %.3g µs per token, at b = %d.",
		x.where(), best[2], int(best[0]), best[1], fast[1], int(fast[0]))
	x.r.Notes = append(x.r.Notes, fmt.Sprintf("Final inner loss: the mean of ℓ(W_{t−1}; x_t), each token's loss before its own step, over the last quarter of the T = %d tokens; time: the median of %d dual-form runs, readback included.", T, x.spec.Runs))
	return nil
}

// lastQuarter is the mean of the last quarter of v.
func lastQuarter(v []float32) float64 {
	tail := v[len(v)-max(1, len(v)/4):]
	s := 0.0
	for _, x := range tail {
		s += float64(x)
	}
	return s / float64(len(tail))
}

func init() {
	register("sweep", "Mini-batch trade-off",
		"One head reads prose in the dual form at each mini-batch size b, one point per b, labelled with its b. Small b takes more, fresher gradient steps; large b gives each step more parallel work, so less time per token on a GPU. The paper found smaller b better down to b = 16, at a cost in time; here the untrained layer's fixed η matters too: look at which b gives the lowest final loss, and what it costs.",
		(*exp).sweep)
}
