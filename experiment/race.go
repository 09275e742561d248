package experiment

import (
	"fmt"
	"time"

	"tttexplainer/demo"
	"tttexplainer/ttt"
)

// The race: naive, primal and dual TTT-Linear on the device and on the CPU.
// The forms compute the same numbers (naive = dual at b = 1, primal = dual
// at any b); the race measures the time per token of each, readback
// included, and the dual/primal ratio the paper reports (> 5× in JAX on TPU).

func (x *exp) race() error {
	T, d, b := x.spec.T, x.spec.D, x.spec.B
	devs := []demo.Device{x.dev}
	if x.dev.Name() != "cpu" {
		devs = append(devs, demo.CPU{})
	}
	runs := []struct {
		label string
		form  ttt.Form
		b     int
	}{
		{"naive (b = 1)", ttt.Naive, 1},
		{"dual (b = 1)", ttt.Dual, 1},
		{fmt.Sprintf("primal (b = %d)", b), ttt.Primal, b},
		{fmt.Sprintf("dual (b = %d)", b), ttt.Dual, b},
	}
	x.total = len(devs) * len(runs)
	online := ttt.RandomProblem(ttt.Linear, T, d, 1, x.spec.Seed).Input()
	mini := ttt.RandomProblem(ttt.Linear, T, d, b, x.spec.Seed).Input()

	tab := Table{Name: "race", Columns: []string{"µs per token", "max |Δ| to the same-b reference", "max |Δ| to the CPU"}}
	per := map[string]time.Duration{}
	cpuZ := map[string][]float32{}
	worst := 0.0
	// The CPU runs first, so that each device row compares with its output.
	for i := len(devs) - 1; i >= 0; i-- {
		dev := devs[i]
		ref := map[int][]float32{} // the first output at each b: naive at 1, primal at b
		for _, r := range runs {
			in := online
			if r.b != 1 {
				in = mini
			}
			var Z []float32
			dt, err := x.timed(x.spec.Runs, true, func() error {
				res, err := dev.Run(r.form, []ttt.HeadInput{in})
				if err != nil {
					return err
				}
				Z = res[0].Z
				return nil
			})
			if err != nil {
				return fmt.Errorf("%s on %s: %w", r.label, dev.Name(), err)
			}
			same := 0.0
			if z, ok := ref[r.b]; ok {
				same = maxAbsDiff(Z, z)
			} else {
				ref[r.b] = Z
			}
			toCPU := 0.0
			if dev.Name() == "cpu" {
				cpuZ[r.label] = Z
			} else {
				toCPU = maxAbsDiff(Z, cpuZ[r.label])
			}
			worst = max(worst, same, toCPU)
			us := dt.Seconds() * 1e6 / float64(T)
			per[dev.Name()+" "+r.label] = dt
			tab.add(dev.Name()+" "+r.label, us, same, toCPU)
			if err := x.step(dev.Name() + " " + r.label); err != nil {
				return err
			}
		}
	}
	x.r.Tables = append(x.r.Tables, tab)
	x.r.Summary["max_diff"] = worst
	for _, dev := range devs {
		p, q := per[dev.Name()+" "+runs[2].label], per[dev.Name()+" "+runs[3].label]
		x.r.Summary["dual_over_primal_speedup_"+dev.Name()] = p.Seconds() / q.Seconds()
		x.r.Summary["dual_us_per_token_"+dev.Name()] = q.Seconds() * 1e6 / float64(T)
	}
	x.r.Headline = fmt.Sprintf("Dual over primal: %.3g× faster on %s", x.r.Summary["dual_over_primal_speedup_"+x.dev.Name()], x.where())
	if x.dev.Name() != "cpu" {
		x.r.Headline += fmt.Sprintf(", %.3g× on the CPU backend", x.r.Summary["dual_over_primal_speedup_cpu"])
	}
	x.r.Headline += fmt.Sprintf(" (the paper: more than 5× in JAX on a TPU). The forms agree to %.2g.", worst)
	x.r.Notes = append(x.r.Notes,
		fmt.Sprintf("TTT-Linear, one head, T = %d, d = %d; each time is the median of %d runs after a warm-up, readback included.", T, d, x.spec.Runs),
		"The paper (Fig. 6 and §2.7) measures the dual form more than 5× faster than the primal in JAX on a TPU; the ratio above is this device's.")
	return nil
}

func init() {
	register("race", "Speed race: naive, primal, dual",
		"The same mini-batch TTT-Linear computed three ways, timed on your device and on the CPU backend. The max |Δ| columns show the outputs agree; the time per token shows what the dual form buys. The paper measured the dual form more than 5× faster than the primal in JAX on a TPU: compare the ratio measured here.",
		(*exp).race)
}
