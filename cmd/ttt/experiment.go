package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"text/tabwriter"

	"tttexplainer/experiment"
	"tttexplainer/scenario"
)

// runExperiment runs one of the page's experiments natively (the same
// experiment.Run as the page) and prints its tables, or its JSON or CSV.
func runExperiment(args []string, stdout io.Writer) error {
	fs := newFlags("experiment", "[-backend cpu|gpu] [-params JSON] [-json|-csv] "+strings.Join(scenario.Experiments, "|"))
	backend := fs.String("backend", "cpu", backendHelp)
	params := fs.String("params", "", `spec fields over the defaults, e.g. '{"t": 512, "runs": 5}'`)
	asJSON := fs.Bool("json", false, "print the result as JSON")
	asCSV := fs.Bool("csv", false, "print the result as CSV")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	spec, err := experiment.Parse(fs.Arg(0), []byte(*params))
	if err != nil {
		return err
	}
	dev, release, err := openDevice(*backend)
	if err != nil {
		return err
	}
	defer release()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	r, err := experiment.Run(ctx, dev, spec, func(done, total int, what string) {
		fmt.Fprintf(os.Stderr, "\r%d/%d %-40s", done, total, what)
	})
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return err
	}
	switch {
	case *asJSON:
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case *asCSV:
		_, err := stdout.Write(r.CSV())
		return err
	}
	fmt.Fprintf(stdout, "%s on %s %s (%.1f s)\n", r.Experiment, r.Backend, r.Adapter, r.Seconds)
	for _, t := range r.Tables {
		fmt.Fprintf(stdout, "\n%s\n", t.Name)
		w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(w, "\t%s\t\n", strings.Join(t.Columns, "\t"))
		for i, row := range t.Rows {
			fmt.Fprintf(w, "%s", t.Labels[i])
			for _, v := range row {
				fmt.Fprintf(w, "\t%.4g", v)
			}
			fmt.Fprintln(w, "\t")
		}
		w.Flush()
	}
	fmt.Fprintln(stdout)
	keys := slices.Sorted(maps.Keys(r.Summary))
	for _, k := range keys {
		fmt.Fprintf(stdout, "%s = %.4g\n", k, r.Summary[k])
	}
	fmt.Fprintln(stdout)
	for _, n := range r.Notes {
		fmt.Fprintln(stdout, n)
	}
	return nil
}
