package gpu

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"tttexplainer/lm"
	"tttexplainer/ttt"
)

// headLog is a CPU HeadStream (lm.CPUHeads) that keeps each character's
// head inputs, so the twin test can compare what lm_mix_in wrote.
type headLog struct {
	lm.HeadStream
	q, k, v, eta []float32 // this character's
}

func (h *headLog) Step(z []float32, losses []ttt.Losses, q, k, v, lr []float32) error {
	h.q, h.k, h.v, h.eta = append(h.q[:0], q...), append(h.k[:0], k...), append(h.v[:0], v...), append(h.eta[:0], lr...)
	return h.HeadStream.Step(z, losses, q, k, v, lr)
}

// lmTwin collects what the whole-model stream and lm.Stream give for the
// same characters, one named array each.
type lmTwin struct {
	names     []string
	got, want map[string][]float64
}

func (tw *lmTwin) add(name string, got, want []float32) {
	if tw.got == nil {
		tw.got, tw.want = map[string][]float64{}, map[string][]float64{}
	}
	if _, ok := tw.got[name]; !ok {
		tw.names = append(tw.names, name)
	}
	for _, x := range got {
		tw.got[name] = append(tw.got[name], float64(x))
	}
	for _, x := range want {
		tw.want[name] = append(tw.want[name], float64(x))
	}
}

func losses(ls []ttt.Losses) []float32 {
	var out []float32
	for _, l := range ls {
		out = append(out, l.W0, l.Start, l.Before, l.After)
	}
	return out
}

// runTwin reads tokens through gpu.LMStream and through lm.Stream on the
// CPU, checks that each character costs one submit and one readback, and
// compares probs, the loss, every layer's head inputs and inner losses, and
// W at every mini-batch boundary within ttt.AbsTol + ttt.RelTol·|CPU|
// (1e-4 + 1e-4·|want|: float32 sums in another order, through a few hundred
// characters of state).
func runTwin(t *testing.T, be *Backend, m *lm.Model, tokens []int) {
	t.Helper()
	gs, err := be.NewLMStream(m)
	if err != nil {
		t.Fatal(err)
	}
	defer gs.Close()
	var logs []*headLog
	cs, err := m.NewStream(func(h []*ttt.Head, W0 []*ttt.Weights) (lm.HeadStream, error) {
		hs, err := lm.CPUHeads(h, W0)
		l := &headLog{HeadStream: hs}
		logs = append(logs, l)
		return l, err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	var tw lmTwin
	boundaries := 0
	for i, tok := range tokens {
		before := be.Stats()
		g, err := gs.Step(tok)
		if err != nil {
			t.Fatalf("character %d: %v", i, err)
		}
		if after := be.Stats(); after.Submits-before.Submits != 1 || after.Readbacks-before.Readbacks != 1 {
			t.Fatalf("character %d: %d submits and %d readbacks, want 1 and 1", i, after.Submits-before.Submits, after.Readbacks-before.Readbacks)
		}
		c, err := cs.Step(tok)
		if err != nil {
			t.Fatal(err)
		}
		tw.add("probs", g.Probs, c.Probs)
		if i > 0 {
			tw.add("loss", []float32{g.Loss}, []float32{c.Loss})
		} else if !math.IsNaN(float64(g.Loss)) {
			t.Errorf("the first character's loss = %v, want NaN", g.Loss)
		}
		for l, hl := range logs {
			tw.add(fmt.Sprintf("layer %d XQ", l), g.XQ[l], hl.q)
			tw.add(fmt.Sprintf("layer %d XK", l), g.XK[l], hl.k)
			tw.add(fmt.Sprintf("layer %d XV", l), g.XV[l], hl.v)
			tw.add(fmt.Sprintf("layer %d eta", l), g.Eta[l], hl.eta)
			tw.add(fmt.Sprintf("layer %d inner losses", l), losses(g.Inner[l]), losses(c.Inner[l]))
		}
		if end := (i+1)%m.Config.B == 0; end != (g.W != nil) {
			t.Fatalf("character %d: W read back = %v, want %v (b = %d)", i, g.W != nil, end, m.Config.B)
		}
		if g.W != nil {
			boundaries++
			W, err := cs.Weights()
			if err != nil {
				t.Fatal(err)
			}
			for l := range W {
				for h := range W[l] {
					for j, x := range W[l][h].Tensors() {
						tw.add(fmt.Sprintf("layer %d W.%s at boundaries", l, W[l][h].TensorNames()[j]), g.W[l][h].Tensors()[j], x)
					}
				}
			}
		}
	}
	for _, name := range tw.names {
		d := ttt.CompareArray(name, tw.got[name], tw.want[name], ttt.AbsTol, ttt.RelTol)
		if !d.OK() {
			t.Error(d)
		} else {
			t.Log(d)
		}
	}
	t.Logf("%d characters, %d mini-batch boundaries, on %s", len(tokens), boundaries, be.Adapter())
}

// passageTokens is the held-out passages of lm/testdata, one after another
// with a space between: several hundred characters.
func passageTokens(t *testing.T) []int {
	t.Helper()
	ps, err := lm.Passages()
	if err != nil {
		t.Fatal(err)
	}
	space, _ := lm.Encode(" ")
	var out []int
	for i, p := range ps {
		if i > 0 {
			out = append(out, space...)
		}
		out = append(out, p...)
	}
	return out
}

// TestLMStreamVsCPU: the committed, trained model read through the
// whole-model stream on the GPU (lavapipe here) gives lm.Stream's numbers
// on the CPU, character by character, across the held-out passages.
func TestLMStreamVsCPU(t *testing.T) {
	be := backend(t)
	m, err := lm.Pretrained()
	if err != nil {
		t.Fatal(err)
	}
	tokens := passageTokens(t)
	if len(tokens) < 300 {
		t.Fatalf("the passages are %d characters, want several hundred", len(tokens))
	}
	runTwin(t, be, m, tokens)
}

// randomModel is an untrained model of config c with every parameter
// moved off its initial value (gains off 1, biases and convs off 0), so no
// term of the forward hides behind a 0 or a 1.
func randomModel(t *testing.T, c lm.Config, seed uint64) *lm.Model {
	t.Helper()
	m, err := lm.New(c, seed)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 99))
	for i := range m.Params.Flat {
		m.Params.Flat[i] += float32(0.05 * rng.NormFloat64())
	}
	return m
}

// TestLMStreamConfigs: untrained models with random parameters in every
// config the TTT mixers allow — pre_conv and share_qk each off, τ in the
// clamp form, TTT-MLP heads, and odd sizes (d = 12, b = 5, 3 blocks) —
// give lm.Stream's numbers.
func TestLMStreamConfigs(t *testing.T) {
	be := backend(t)
	text := strings.Repeat("Call me Ishmael. Some years ago, never mind how long precisely. ", 4)
	tokens, err := lm.Encode(text)
	if err != nil {
		t.Fatal(err)
	}
	odd := lm.DefaultConfig(lm.TTTLinear)
	odd.D, odd.H, odd.FFN, odd.B, odd.Layers, odd.ShareQK = 36, 3, 50, 5, 3, false
	for _, tc := range []struct {
		name string
		edit func(*lm.Config)
	}{
		{"default", func(*lm.Config) {}},
		{"four heads", func(c *lm.Config) { c.H = 4 }},
		{"no pre_conv", func(c *lm.Config) { c.PreConv = false }},
		{"no share_qk", func(c *lm.Config) { c.ShareQK = false }},
		{"neither, clamp τ", func(c *lm.Config) { c.PreConv, c.ShareQK, c.TauExp = false, false, false }},
		{"ttt-mlp", func(c *lm.Config) { *c = lm.DefaultConfig(lm.TTTMLP) }},
		{"odd sizes", func(c *lm.Config) { *c = odd }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := lm.DefaultConfig(lm.TTTLinear)
			tc.edit(&c)
			runTwin(t, be, randomModel(t, c, 5), tokens[:200])
		})
	}
}

// TestLMStreamRefuses: what the whole-model stream cannot run is an error
// that says why, before anything runs.
func TestLMStreamRefuses(t *testing.T) {
	be := backend(t)
	attn, _ := lm.New(lm.DefaultConfig(lm.Attention), 1)
	wide := lm.DefaultConfig(lm.TTTLinear)
	wide.D, wide.FFN = 2*MaxLMWidth, 64
	wideM, err := lm.New(wide, 1)
	if err != nil {
		t.Fatal(err)
	}
	nan := randomModel(t, lm.DefaultConfig(lm.TTTLinear), 1)
	nan.Params.Blocks[1].ThetaV[7] = float32(math.NaN())
	for _, tc := range []struct {
		name        string
		m           *lm.Model
		want        string
		unsupported bool
	}{
		{"attention", attn, "no TTT heads", true},
		{"too wide", wideM, fmt.Sprintf("D ≤ %d", MaxLMWidth), true},
		{"NaN", nan, "blocks.1.mixer.theta_v holds NaN or Inf", false},
		{"nil", nil, "no model", false},
	} {
		_, err := be.NewLMStream(tc.m)
		if err == nil || !strings.Contains(err.Error(), tc.want) || errors.Is(err, ErrLMUnsupported) != tc.unsupported {
			t.Errorf("%s: NewLMStream = %v, want an error containing %q (unsupported: %v)", tc.name, err, tc.want, tc.unsupported)
		}
	}
	m := randomModel(t, lm.DefaultConfig(lm.TTTLinear), 2)
	s, err := be.NewLMStream(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []int{-1, m.Config.Vocab} {
		if _, err := s.Step(tok); err == nil || !strings.Contains(err.Error(), "outside the vocabulary") {
			t.Errorf("Step(%d) = %v, want an error naming the vocabulary", tok, err)
		}
	}
	s.Close()
	if _, err := s.Step(0); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Step after Close = %v, want an error saying it is closed", err)
	}
}
