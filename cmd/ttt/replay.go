package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"

	"tttexplainer/ttt"
)

var errUsage = errors.New("usage")

// newFlags returns a flag set that reports its errors once, through errUsage.
func newFlags(name, args string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: ttt %s %s\n", name, args)
		fs.PrintDefaults()
	}
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	return nil
}

// replay runs one case from its inputs only and prints the outputs, whole or not at all.
func replay(args []string, stdout io.Writer) error {
	fs := newFlags("replay", "[-backend cpu|gpu] [-form naive|primal|dual|stream] FILE.json|-")
	backend := fs.String("backend", "cpu", backendHelp)
	formName := fs.String("form", "", "form: naive, primal, dual or stream (default: the case's scheme)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 { // FILE.json, or - for standard input
		fs.Usage()
		return errUsage
	}
	var c *ttt.Case
	var err error
	if fs.Arg(0) == "-" {
		c, err = ttt.ReadCaseFrom(os.Stdin, "stdin")
	} else {
		c, err = ttt.ReadCase(fs.Arg(0))
	}
	if err != nil {
		return err
	}
	form := c.Scheme
	if *formName != "" {
		if form, err = ttt.ParseForm(*formName); err != nil {
			return err
		}
	}
	be, release, err := openBackend(*backend)
	if err != nil {
		return err
	}
	defer release()
	out, err := c.Run(be, form)
	if err != nil {
		return err
	}
	if err := checkFinite(out.Arrays()); err != nil {
		return err
	}
	data, err := json.Marshal(out)
	if err != nil {
		return err
	}
	_, err = stdout.Write(append(data, '\n'))
	return err
}

// checkFinite refuses to print outputs that hold NaN or Inf: a diverged inner
// loop (a base_lr far too large, say) is an error, not a result.
func checkFinite(a ttt.Arrays) error {
	for _, name := range []string{"Z", "Y", "loss_w0", "loss_start", "loss_before", "loss_after", "final.W", "final.b", "final.W1", "final.b1", "final.W2", "final.b2"} {
		for i, v := range a[name] {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("output %s[%d] is %v: the inner loop diverged (is base_lr too large?)", name, i, v)
			}
		}
	}
	return nil
}
