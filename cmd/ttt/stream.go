package main

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"

	"tttexplainer/demo"
	"tttexplainer/ttt"
)

const streamText = "the cat sat on the mat. the cat sat on the mat. the cat sat on the mat. the cat sat on the mat. "

// stream feeds a short text, one character at a time, to one TTT head through
// the stream form and prints each token's losses as it arrives: the hidden
// state W learns this text while reading it.
func stream(args []string, stdout io.Writer) error {
	fs := newFlags("stream", "[-T N] [-d N] [-b N] [-model linear|mlp] [-lr X] [-opt gd|momentum|adam] [-beta X] [-wd X]")
	T := fs.Int("T", 96, "tokens to stream (the text repeats)")
	d := fs.Int("d", 16, "head size")
	b := fs.Int("b", 4, "mini-batch size")
	lr := fs.Float64("lr", 4, "base learning rate")
	modelName := fs.String("model", "linear", "inner model: linear or mlp")
	optName := fs.String("opt", "gd", "inner optimiser: gd (the paper's), momentum or adam")
	beta := fs.Float64("beta", 0.9, "momentum β, or Adam's β₁")
	wd := fs.Float64("wd", 0, "weight decay λ per mini-batch (forgetting)")
	if err := parse(fs, args); err != nil {
		return err
	}
	model, err := ttt.ParseModel(*modelName)
	if err != nil {
		return err
	}
	if *T < 1 || *T > 4096 || *d < 2 || *d > 256 || *b < 1 || *b > 64 || !(*lr > 0 && *lr <= 100) {
		return fmt.Errorf("want 1 ≤ T ≤ 4096, 2 ≤ d ≤ 256, 1 ≤ b ≤ 64 and 0 < lr ≤ 100")
	}
	kind, err := ttt.ParseOptKind(*optName)
	if err != nil {
		return err
	}
	o := ttt.Opt{Kind: kind, Decay: float32(*wd)}
	switch kind {
	case ttt.Momentum:
		o.Beta = float32(*beta)
	case ttt.Adam:
		// The page's settings (demo.InnerOpt): Adam's step α is set by η, not by the gated lr_t.
		o.Beta, o.Beta2, o.Eps, o.Eta = float32(*beta), demo.AdamBeta2, demo.AdamEps, float32(demo.AdamScale**lr/float64(*d))
	}
	text := []rune(strings.Repeat(streamText, *T/len(streamText)+1))[:*T]
	h, W0, seq := textHead(model, text, *d, *b, float32(*lr))
	st, err := ttt.NewStreamStateOpt(h, W0, o)
	if err != nil {
		return err
	}

	fmt.Fprintf(stdout, "Streaming %d characters into one TTT-%s head (d = %d, b = %d, inner optimiser %s). Each token is\n", *T, model, *d, *b, kind)
	fmt.Fprintf(stdout, "one gradient step on ℓ(W; x) = ½‖f(k; W) − v‖²; the columns are that loss (MSE)\n")
	fmt.Fprintf(stdout, "at the start weights W0, just before the token's step, and just after it.\n\n")
	fmt.Fprintf(stdout, "  t  tok  ℓ(W0)  ℓ(W_t−1)  ℓ(W_t)  ‖W_t − W0‖\n")
	z := make([]float32, *d)
	var first, last float64
	half := *T / 2
	for t := 0; t < *T; t++ {
		r := t * *d
		l := st.Step(z, seq.XQ[r:r+*d], seq.XK[r:r+*d], seq.XV[r:r+*d], seq.LR[t])
		if t < half {
			first += float64(l.After)
		} else {
			last += float64(l.After)
		}
		fmt.Fprintf(stdout, "%3d  %-3q  %5.3f  %8.3f  %6.3f  %6.3f  %s\n", t, text[t], l.W0, l.Before, l.After, distance(st.Weights(), W0), bar(l.After))
	}
	first, last = first/float64(half), last/float64(*T-half)
	fmt.Fprintf(stdout, "\nmean ℓ(W_t): first half %.3f, second half %.3f", first, last)
	if last < first {
		fmt.Fprintf(stdout, " (%.0f%% lower: the text repeats, and W is memorising it)", 100*(1-last/first))
	}
	fmt.Fprintln(stdout)
	return nil
}

// textHead makes one head over the characters of text: seeded random
// embeddings of width D = 4d and random projections, so that the head must
// memorise this context rather than a global map.
func textHead(m ttt.Model, text []rune, d, b int, baseLR float32) (*ttt.Head, *ttt.Weights, *ttt.Seq) {
	D := 4 * d
	rng := rand.New(rand.NewPCG(7, 7))
	normal := func(n int, std float64) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(std * rng.NormFloat64())
		}
		return v
	}
	emb := map[rune][]float32{}
	T := len(text)
	X := make([]float32, 0, T*D)
	for _, c := range text {
		if emb[c] == nil {
			emb[c] = normal(D, 1)
		}
		X = append(X, emb[c]...)
	}
	// The official initialisation: γ = 1, β = 0, τ = 0, W0 ~ N(0, 0.02), biases 0.
	h := &ttt.Head{Model: m, D: d, B: b, Gamma: make([]float32, d), Beta: make([]float32, d), Tau: make([]float32, b), Eps: ttt.DefaultEps}
	for i := range h.Gamma {
		h.Gamma[i] = 1
	}
	W0 := ttt.NewWeights(m, d)
	for _, w := range [][]float32{W0.W, W0.W1, W0.W2} {
		copy(w, normal(len(w), 0.02))
	}
	seq := &ttt.Seq{XQ: make([]float32, T*d), XK: make([]float32, T*d), XV: make([]float32, T*d), LR: make([]float32, T)}
	ttt.Project(seq.XQ, X, normal(D*d, 1/math.Sqrt(float64(D))), T, D, d)
	ttt.Project(seq.XK, X, normal(D*d, 1/math.Sqrt(float64(D))), T, D, d)
	ttt.Project(seq.XV, X, normal(D*d, 1/math.Sqrt(float64(D))), T, D, d)
	ttt.LearningRate(seq.LR, X, normal(D, 0.02), 0, baseLR, 1, T, D, d)
	return h, W0, seq
}

func distance(a, b *ttt.Weights) float64 {
	var s float64
	bt := b.Tensors()
	for i, t := range a.Tensors() {
		for j, v := range t {
			e := float64(v - bt[i][j])
			s += e * e
		}
	}
	return math.Sqrt(s)
}

func bar(x float32) string {
	n := min(int(x*10+0.5), 30)
	return strings.Repeat("█", n)
}
