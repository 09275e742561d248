package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"tttexplainer/ttt"
	"tttexplainer/ttt/golden"
)

// check prints the ladder table: every form on every backend against the
// float64 reference cases, then the forms against each other on seeded inputs.
func check(args []string, stdout io.Writer) error {
	fs := newFlags("check", "[-gpu]")
	withGPU := fs.Bool("gpu", false, "also check the gpu backend")
	if err := parse(fs, args); err != nil {
		return err
	}
	backends := []ttt.Backend{ttt.CPU{}}
	if *withGPU {
		be, release, err := openBackend("gpu")
		if err != nil {
			return err
		}
		defer release()
		backends = append(backends, be)
	}

	fmt.Fprintf(stdout, "The ladder: each form against the float64 reference cases (pass: |got − want| ≤ %g + %g·|want| on every array)\n\n", ttt.AbsTol, ttt.RelTol)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "case\tform")
	for _, be := range backends {
		fmt.Fprintf(tw, "\t%s max |error|", be.Name())
	}
	fmt.Fprintln(tw)
	failed, total := 0, 0
	cases, err := golden.Cases()
	if err != nil {
		return err
	}
	for _, c := range cases {
		for _, form := range c.Forms() {
			fmt.Fprintf(tw, "%s\t%s", c.Name, form)
			for _, be := range backends {
				total++
				cell, ok := checkCase(c.Case, be, form)
				if !ok {
					failed++
				}
				fmt.Fprintf(tw, "\t%s", cell)
			}
			fmt.Fprintln(tw)
		}
	}
	tw.Flush()

	fmt.Fprintf(stdout, "\nThe forms against each other on seeded random inputs (T = 50, d = 12; max |Δ| from the primal form over Z, losses and final weights)\n\n")
	tw = tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "model\tb")
	for _, be := range backends {
		for _, f := range ttt.Forms {
			fmt.Fprintf(tw, "\t%s %s", be.Name(), f)
		}
	}
	fmt.Fprintln(tw)
	for _, m := range []ttt.Model{ttt.Linear, ttt.MLP} {
		for _, b := range []int{1, 3, 16} {
			p := ttt.RandomProblem(m, 50, 12, b, uint64(100*b+int(m)))
			ref, err := ttt.CPU{}.Run(ttt.Primal, []ttt.HeadInput{p.Input()})
			if err != nil {
				return err
			}
			want := ref[0].Arrays()
			fmt.Fprintf(tw, "%s\t%d", m, b)
			for _, be := range backends {
				for _, f := range ttt.Forms {
					if f == ttt.Naive && b != 1 {
						fmt.Fprint(tw, "\t–")
						continue
					}
					total++
					res, err := be.Run(f, []ttt.HeadInput{p.Input()})
					if err != nil {
						failed++
						fmt.Fprintf(tw, "\tFAIL: %v", err)
						continue
					}
					worst, ok := worstDiff(ttt.Compare(res[0].Arrays(), want, ttt.AbsTol, ttt.RelTol))
					if !ok {
						failed++
					}
					fmt.Fprintf(tw, "\t%s", verdict(worst, ok))
				}
			}
			fmt.Fprintln(tw)
		}
	}
	tw.Flush()
	if failed > 0 {
		return fmt.Errorf("%d of %d checks failed", failed, total)
	}
	fmt.Fprintf(stdout, "\nall %d checks passed\n", total)
	return nil
}

func checkCase(c *ttt.Case, be ttt.Backend, form ttt.Form) (string, bool) {
	out, err := c.Run(be, form)
	if err != nil {
		return "FAIL: " + err.Error(), false
	}
	worst, ok := worstDiff(ttt.Compare(out.Arrays(), c.Want, ttt.AbsTol, ttt.RelTol))
	return verdict(worst, ok), ok
}

func worstDiff(ds []ttt.Diff) (ttt.Diff, bool) {
	var worst ttt.Diff
	ok := true
	for _, d := range ds {
		if !d.OK() && ok {
			worst, ok = d, false
		}
		if ok && d.MaxAbs >= worst.MaxAbs {
			worst = d
		}
	}
	return worst, ok
}

func verdict(d ttt.Diff, ok bool) string {
	if ok {
		return fmt.Sprintf("ok %.1e", d.MaxAbs)
	}
	return "FAIL " + d.String()
}
