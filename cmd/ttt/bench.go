package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"tttexplainer/ttt"
)

// benchResult is one form's timing; -json prints a list of them.
type benchResult struct {
	Backend      string  `json:"backend"`
	Form         string  `json:"form"`
	Model        string  `json:"model"`
	T            int     `json:"T"`
	D            int     `json:"d"`
	Heads        int     `json:"heads"`
	B            int     `json:"b"`
	Runs         int     `json:"runs"`
	MedianMS     float64 `json:"median_ms"`
	TokensPerSec float64 `json:"tokens_per_s"`
	NSPerToken   float64 `json:"ns_per_token"`
}

// bench times whole-sequence runs of each form on seeded random inputs and
// reports the median. A token is one position of the sequence through every head.
func bench(args []string, stdout io.Writer) error {
	fs := newFlags("bench", "[-backend cpu|gpu] [-form naive|primal|dual|stream|all] [-model linear|mlp] [-T N] [-d N] [-heads N] [-b N] [-runs N] [-json]")
	backend := fs.String("backend", "cpu", backendHelp)
	formName := fs.String("form", "all", "form to time, or all")
	modelName := fs.String("model", "linear", "inner model: linear or mlp")
	T := fs.Int("T", 2048, "tokens")
	d := fs.Int("d", 64, "head size")
	heads := fs.Int("heads", 1, "heads")
	b := fs.Int("b", 16, "mini-batch size (the naive form always uses b = 1)")
	runs := fs.Int("runs", 9, "timed runs after one warm-up")
	asJSON := fs.Bool("json", false, "print JSON")
	seed := fs.Uint64("seed", 1, "seed of the random inputs")
	if err := parse(fs, args); err != nil {
		return err
	}
	model, err := ttt.ParseModel(*modelName)
	if err != nil {
		return err
	}
	switch {
	case *T < 1 || *T > ttt.MaxT:
		return fmt.Errorf("-T %d: want 1..%d", *T, ttt.MaxT)
	case *d < 1 || *d > 1024:
		return fmt.Errorf("-d %d: want 1..1024", *d)
	case *heads < 1 || *heads > 256:
		return fmt.Errorf("-heads %d: want 1..256", *heads)
	case *b < 1 || *b > *T:
		return fmt.Errorf("-b %d: want 1..T", *b)
	case *runs < 1 || *runs > 1000:
		return fmt.Errorf("-runs %d: want 1..1000", *runs)
	}
	forms := ttt.Forms
	if *formName != "all" {
		f, err := ttt.ParseForm(*formName)
		if err != nil {
			return err
		}
		forms = []ttt.Form{f}
	}
	be, release, err := openBackend(*backend)
	if err != nil {
		return err
	}
	defer release()

	var results []benchResult
	for _, form := range forms {
		bf := *b
		if form == ttt.Naive {
			bf = 1
		}
		in := make([]ttt.HeadInput, *heads)
		for h := range in {
			in[h] = ttt.RandomProblem(model, *T, *d, bf, *seed+uint64(h)).Input()
		}
		if _, err := be.Run(form, in); err != nil { // warm-up: caches, pipelines, buffers
			return fmt.Errorf("%s: %v", form, err)
		}
		times := make([]time.Duration, *runs)
		for i := range times {
			start := time.Now()
			if _, err := be.Run(form, in); err != nil {
				return fmt.Errorf("%s: %v", form, err)
			}
			times[i] = time.Since(start)
		}
		slices.Sort(times)
		med := times[len(times)/2].Seconds()
		results = append(results, benchResult{
			Backend: be.Name(), Form: form.String(), Model: model.String(), T: *T, D: *d, Heads: *heads, B: bf, Runs: *runs,
			MedianMS: med * 1e3, TokensPerSec: float64(*T) / med, NSPerToken: med * 1e9 / float64(*T),
		})
	}
	if *asJSON {
		data, err := json.MarshalIndent(results, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "%s\n", data)
		return err
	}
	fmt.Fprintf(stdout, "%s backend, TTT-%s, T = %d, d = %d, %d head(s); median of %d runs\n\n", be.Name(), strings.ToUpper(model.String()[:1])+model.String()[1:], *T, *d, *heads, *runs)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "form\tb\tms/sequence\ttokens/s\tµs/token\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t%.0f\t%.2f\t\n", r.Form, r.B, r.MedianMS, r.TokensPerSec, r.NSPerToken/1e3)
	}
	tw.Flush()
	if ratios := benchRatios(results); ratios != "" {
		fmt.Fprintf(stdout, "\n%s\n", ratios)
	}
	return nil
}

// benchRatios says how much faster the dual form ran than the others.
func benchRatios(rs []benchResult) string {
	var dual float64
	for _, r := range rs {
		if r.Form == "dual" {
			dual = r.TokensPerSec
		}
	}
	if dual == 0 {
		return ""
	}
	var parts []string
	for _, r := range rs {
		if r.Form != "dual" {
			parts = append(parts, fmt.Sprintf("dual/%s = %.2f×", r.Form, dual/r.TokensPerSec))
		}
	}
	return strings.Join(parts, ", ")
}
