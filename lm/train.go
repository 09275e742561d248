package lm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// TrainConfig is the outer loop: AdamW with linear warm-up, cosine decay to
// a floor, and gradient clipping by global norm.
type TrainConfig struct {
	Steps       int     // optimiser steps
	Batch       int     // sequences per step, each Config.Context tokens
	LR, MinLR   float32 // peak and final learning rate
	Warmup      int     // warm-up steps
	WeightDecay float32 // on matrices only (Tensor.Decay)
	Clip        float32 // global gradient-norm clip; 0: none
	Seed        uint64  // initialisation and batch sampling
	// Repeat is the probability that a training window holds a segment of
	// the text followed at once by its repeat (see repeatWindow), a signal
	// that pays for learning in context; 0: plain text. The choice of
	// windows and segments is a function of (Seed, step) alone.
	Repeat float32 `json:",omitempty"`
	// FixedTau keeps the TTT layer's τ at its initial 0, so the token
	// scale is exactly 1/i and the last token's, which carries W to the
	// next mini-batch, is 1/b: the outer loop cannot switch the inner
	// loop's update across mini-batches off (s_b = max(0, 1/b + τ_b) = 0
	// passes no gradient back, so once there it stays there).
	FixedTau bool `json:",omitempty"`
	// Random is the probability that a repeat window's segment is random
	// lowercase letters rather than text (see window): a string no amount
	// of training text predicts, so only copying it lowers the loss of its
	// second reading.
	Random float32 `json:",omitempty"`
	// Pairs is how many segments, each followed by its repeat, a repeat
	// window holds (0 or 1: one); RepeatMax caps a segment's length (0:
	// half the context). Several short pairs put more second readings into
	// a window than one long one, and a short random segment is one that
	// a head's d×d W can hold.
	Pairs     int `json:",omitempty"`
	RepeatMax int `json:",omitempty"`
}

// DefaultTrain is the setting the committed weights were trained with.
func DefaultTrain() TrainConfig {
	return TrainConfig{Steps: 10000, Batch: 8, LR: 3e-3, MinLR: 3e-4, Warmup: 100, WeightDecay: 0.1, Clip: 1, Seed: 1, Repeat: 1, Random: 0.75, Pairs: 3, RepeatMax: 40}
}

// Validate checks the settings.
func (tc TrainConfig) Validate() error {
	switch {
	case tc.Steps < 1 || tc.Steps > 1e7:
		return fmt.Errorf("steps = %d: want 1..10000000", tc.Steps)
	case tc.Batch < 1 || tc.Batch > 1024:
		return fmt.Errorf("batch = %d: want 1..1024", tc.Batch)
	case !(tc.LR > 0) || tc.LR > 1:
		return fmt.Errorf("learning rate %g: want (0, 1]", tc.LR)
	case !(tc.MinLR >= 0) || tc.MinLR > tc.LR:
		return fmt.Errorf("final learning rate %g: want 0..%g", tc.MinLR, tc.LR)
	case tc.Warmup < 0 || tc.Warmup > tc.Steps:
		return fmt.Errorf("warm-up = %d steps: want 0..%d", tc.Warmup, tc.Steps)
	case !(tc.WeightDecay >= 0) || tc.WeightDecay > 1:
		return fmt.Errorf("weight decay %g: want 0..1", tc.WeightDecay)
	case !(tc.Clip >= 0):
		return fmt.Errorf("gradient clip %g: want ≥ 0", tc.Clip)
	case !(tc.Repeat >= 0) || tc.Repeat > 1:
		return fmt.Errorf("repeat probability %g: want 0..1", tc.Repeat)
	case !(tc.Random >= 0) || tc.Random > 1:
		return fmt.Errorf("random-segment probability %g: want 0..1", tc.Random)
	case tc.Pairs < 0 || tc.Pairs > 64:
		return fmt.Errorf("repeated segments per window = %d: want 0..64", tc.Pairs)
	case tc.RepeatMax != 0 && tc.RepeatMax < minRepeat:
		return fmt.Errorf("longest repeated segment %d: want 0 (half the context) or ≥ %d", tc.RepeatMax, minRepeat)
	}
	return nil
}

// LRAt is the learning rate of step s (0-based): linear warm-up to LR, then
// cosine decay to MinLR at the last step.
func (tc TrainConfig) LRAt(s int) float32 {
	if s < tc.Warmup {
		return tc.LR * float32(s+1) / float32(tc.Warmup)
	}
	span := max(1, tc.Steps-tc.Warmup-1)
	frac := float64(s-tc.Warmup) / float64(span)
	cos := 0.5 * (1 + math.Cos(math.Pi*min(1, frac)))
	return tc.MinLR + (tc.LR-tc.MinLR)*float32(cos)
}

// Trainer runs the outer loop over a token stream. Its result depends only
// on the model, the settings and the data, not on GOMAXPROCS: each sequence
// of a batch has its own gradient buffer, and they are summed in a fixed order.
type Trainer struct {
	M      *Model
	TC     TrainConfig
	Step   int     // steps taken
	Mom    *Params // Adam first moments
	Vel    *Params // Adam second moments
	data   []int
	grads  []*Params
	works  []*work
	seqs   [][]int // each sequence's window when it holds a repeat
	losses []float64
}

// NewTrainer starts training m on the tokens of data.
func NewTrainer(m *Model, tc TrainConfig, data []int) (*Trainer, error) {
	if err := tc.Validate(); err != nil {
		return nil, err
	}
	if len(data) < m.Config.Context+1 {
		return nil, fmt.Errorf("training text has %d characters, want at least context + 1 = %d", len(data), m.Config.Context+1)
	}
	tr := &Trainer{M: m, TC: tc, Mom: NewParams(m.Config), Vel: NewParams(m.Config), data: data, losses: make([]float64, tc.Batch)}
	for i := 0; i < tc.Batch; i++ {
		tr.grads = append(tr.grads, NewParams(m.Config))
		tr.works = append(tr.works, newWork(m.Config))
		tr.seqs = append(tr.seqs, make([]int, m.Config.Context+1))
	}
	return tr, nil
}

// batchOffsets are step s's sequence starts, a function of (Seed, s) alone,
// so a resumed run draws the same batches.
func (tr *Trainer) batchOffsets(s int) []int {
	rng := rand.New(rand.NewPCG(tr.TC.Seed, uint64(s)+1))
	out := make([]int, tr.TC.Batch)
	for i := range out {
		out[i] = rng.IntN(len(tr.data) - tr.M.Config.Context)
	}
	return out
}

// repeatSalt separates the repeat draws from the offsets' stream, so a run
// with Repeat > 0 reads its windows at the same offsets as one without.
const repeatSalt = 0x7265706561740000

// minRepeat is the shortest repeated segment.
const minRepeat = 16

// window is sequence i's T+1 tokens at step s starting at offset off: the
// text there, or with probability Repeat a window in which a segment of L
// characters (minRepeat ≤ L ≤ T/2) at a position p is followed by the same L
// characters again and then by the text that follows the segment:
//
//	text[off : off+p+L] ++ text[off+p : off+p+L] ++ text[off+p+L : off+T+1−L]
//
// and with probability Random (of those) the segment, both times, is L
// random lowercase letters instead of text[off+p : off+p+L].
func (tr *Trainer) window(s, i, off int) []int {
	T := tr.M.Config.Context
	plain := tr.data[off : off+T+1]
	if tr.TC.Repeat <= 0 || T/2 < minRepeat {
		return plain
	}
	rng := rand.New(rand.NewPCG(tr.TC.Seed^repeatSalt, uint64(s)*1024+uint64(i)+1))
	if rng.Float32() >= tr.TC.Repeat {
		return plain
	}
	if tr.TC.Pairs > 1 || tr.TC.RepeatMax > 0 {
		return tr.pairsWindow(tr.seqs[i], off, rng)
	}
	L := minRepeat + rng.IntN(T/2-minRepeat+1)
	p := rng.IntN(T + 1 - 2*L + 1)
	w := repeatWindow(tr.seqs[i], tr.data[off:], p, L)
	if rng.Float32() < tr.TC.Random {
		randomLetters(w[p:p+L], rng)
		copy(w[p+L:p+2*L], w[p:p+L])
	}
	return w
}

// pairsWindow fills dst (T+1 tokens) with Pairs segments, each followed at
// once by its repeat, in the text at off: text, segment, segment, text,
// segment, segment, …, text. Segments are minRepeat..RepeatMax long (as
// many as fit), each random letters with probability Random, else the
// text at that point (which the repeat does not advance); the text around
// them runs on from off, split at random.
func (tr *Trainer) pairsWindow(dst []int, off int, rng *rand.Rand) []int {
	n := len(dst)
	hi := n / 2
	if tr.TC.RepeatMax > 0 {
		hi = min(hi, tr.TC.RepeatMax)
	}
	k := max(1, tr.TC.Pairs)
	k = min(k, n/(2*minRepeat))
	hi = max(minRepeat, min(hi, n/(2*k)))
	Ls := make([]int, k)
	used := 0
	for j := range Ls {
		Ls[j] = minRepeat + rng.IntN(hi-minRepeat+1)
		used += 2 * Ls[j]
	}
	// The text between: k+1 gaps summing to n − used, cut at sorted points.
	cuts := make([]int, k)
	for j := range cuts {
		cuts[j] = rng.IntN(n - used + 1)
	}
	slices.Sort(cuts)
	text := tr.data[off:]
	w, src, prev := 0, 0, 0
	for j, L := range Ls {
		gap := cuts[j] - prev
		prev = cuts[j]
		w += copy(dst[w:w+gap], text[src:src+gap])
		src += gap
		seg := dst[w : w+L]
		if rng.Float32() < tr.TC.Random {
			randomLetters(seg, rng)
		} else {
			copy(seg, text[src:src+L])
			src += L
		}
		copy(dst[w+L:w+2*L], seg)
		w += 2 * L
	}
	copy(dst[w:], text[src:src+n-w])
	return dst
}

// randomLetters fills dst with letters a–z drawn uniformly from rng.
func randomLetters(dst []int, rng *rand.Rand) {
	a := slices.Index(vocabRunes, 'a') // a–z are consecutive in Vocab
	for i := range dst {
		dst[i] = a + rng.IntN(26)
	}
}

// repeatWindow fills dst (T+1 tokens) with text[:p+L], text[p:p+L] again,
// then text[p+L:], and returns it.
func repeatWindow(dst, text []int, p, L int) []int {
	n := copy(dst, text[:p+L])
	n += copy(dst[n:], text[p:p+L])
	copy(dst[n:], text[p+L:])
	return dst
}

// TrainStep takes one optimiser step and returns the batch's mean loss (nats
// per character) and the gradient norm before clipping.
func (tr *Trainer) TrainStep() (loss, gradNorm float64) {
	m, T := tr.M, tr.M.Config.Context
	scale := 1 / float32(tr.TC.Batch*T)
	offs := tr.batchOffsets(tr.Step)
	parallel(len(offs), func(i int) {
		seq := tr.window(tr.Step, i, offs[i])
		g := tr.grads[i]
		clear(g.Flat)
		m.forward(tr.works[i], seq[:T], seq[1:])
		m.backward(tr.works[i], g, seq[:T], seq[1:], scale)
		tr.losses[i] = tr.works[i].meanLoss()
	})
	g := tr.grads[0]
	for _, o := range tr.grads[1:] {
		addTo(g.Flat, o.Flat)
	}
	for _, l := range tr.losses {
		loss += l
	}
	loss /= float64(len(tr.losses))
	var ss float64
	for _, v := range g.Flat {
		ss += float64(v) * float64(v)
	}
	gradNorm = math.Sqrt(ss)
	clip := float32(1)
	if tr.TC.Clip > 0 && gradNorm > float64(tr.TC.Clip) {
		clip = tr.TC.Clip / float32(gradNorm)
	}
	tr.adamW(g, clip, tr.TC.LRAt(tr.Step))
	tr.Step++
	return loss, gradNorm
}

// Adam's constants (the usual ones; the paper's are not given for this size).
const (
	beta1   = 0.9
	beta2   = 0.95
	adamEps = 1e-8
)

// adamW updates the parameters with decoupled weight decay on matrices.
func (tr *Trainer) adamW(g *Params, clip, lr float32) {
	t := float64(tr.Step + 1)
	c1 := float32(1 - math.Pow(beta1, t))
	c2 := float32(1 - math.Pow(beta2, t))
	for ti, p := range tr.M.Params.Tensors {
		gd, md, vd := g.Tensors[ti].Data, tr.Mom.Tensors[ti].Data, tr.Vel.Tensors[ti].Data
		if tr.TC.FixedTau && strings.HasSuffix(p.Name, ".mixer.tau") {
			continue
		}
		decay := float32(0)
		if p.Decay {
			decay = tr.TC.WeightDecay
		}
		for i, x := range p.Data {
			gi := gd[i] * clip
			md[i] = beta1*md[i] + (1-beta1)*gi
			vd[i] = beta2*vd[i] + (1-beta2)*gi*gi
			mh, vh := md[i]/c1, vd[i]/c2
			p.Data[i] = x - lr*(mh/(float32(math.Sqrt(float64(vh)))+adamEps)+decay*x)
		}
	}
}

// parallel runs f(0..n−1) on at most GOMAXPROCS goroutines. Each f(i) must
// write only its own slot, which keeps the result independent of scheduling.
func parallel(n int, f func(i int)) {
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			f(i)
		})
	}
	wg.Wait()
}
