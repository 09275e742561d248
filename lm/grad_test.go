package lm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// tinyConfig is small enough for finite differences: odd context (a ragged
// last mini-batch), two blocks, two heads.
func tinyConfig(m Mixer) Config {
	return Config{Mixer: m, Vocab: 7, D: 8, H: 2, Layers: 2, FFN: 12, B: 4, Context: 11, BaseLR: 1, RopeTheta: 10000}
}

// spread re-draws every parameter around its init with a larger spread, so
// that every nonlinearity (LN, η gate, τ's clamp aside) is exercised.
func spread(p *Params, rng *rand.Rand) {
	for _, t := range p.Tensors {
		for i := range t.Data {
			t.Data[i] += float32(rng.NormFloat64()) * 0.3
		}
	}
}

// variant is a tiny model with or without the block's pre_conv and the
// share_qk Q/K path.
type variant struct {
	mixer                    Mixer
	preConv, shareQK, tauExp bool
}

func (v variant) String() string {
	name := string(v.mixer)
	if v.preConv {
		name += "+preconv"
	}
	if v.shareQK {
		name += "+shareqk"
	}
	if v.tauExp {
		name += "+tauexp"
	}
	return name
}

func (v variant) config() Config {
	c := tinyConfig(v.mixer)
	c.PreConv, c.ShareQK, c.TauExp = v.preConv, v.shareQK, v.tauExp
	return c
}

func tinySequence(c Config, rng *rand.Rand) (tokens, targets []int) {
	for t := 0; t < c.Context; t++ {
		tokens = append(tokens, rng.IntN(c.Vocab))
		targets = append(targets, rng.IntN(c.Vocab))
	}
	return tokens, targets
}

func (m *Model) lossOf(w *work, tokens, targets []int) float64 {
	m.forward(w, tokens, targets)
	return w.meanLoss()
}

// TestModelGradient checks the whole backward of each mixer against central
// finite differences, tensor by tensor, along random directions: the
// directional derivative g·u must match (L(θ+εu) − L(θ−εu))/2ε.
func TestModelGradient(t *testing.T) {
	var runs []variant
	for _, mixer := range []Mixer{TTTLinear, TTTMLP, Attention, LinearAttention, RoPELinearAttention} {
		runs = append(runs, variant{mixer: mixer})
	}
	runs = append(runs, variant{TTTLinear, true, false, false}, variant{Attention, true, false, false}, variant{TTTLinear, false, true, false}, variant{TTTMLP, true, true, false},
		variant{TTTLinear, true, true, true}, variant{TTTMLP, false, false, true})
	for _, r := range runs {
		t.Run(r.String(), func(t *testing.T) {
			c := r.config()
			rng := rand.New(rand.NewPCG(1, 2))
			m, _ := New(c, 3)
			spread(m.Params, rng)
			tokens, targets := tinySequence(c, rng)
			w := newWork(c)
			g := NewParams(c)
			m.forward(w, tokens, targets)
			m.backward(w, g, tokens, targets, 1/float32(len(tokens)))
			for ti, tensor := range m.Params.Tensors {
				checkDirection(t, tensor.Name, tensor.Data, g.Tensors[ti].Data, rng, func() float64 { return m.lossOf(w, tokens, targets) })
			}
		})
	}
}

// checkDirection compares the analytic directional derivative of f along a
// random direction of x with a central difference.
func checkDirection(t *testing.T, name string, x, grad []float32, rng *rand.Rand, f func() float64) {
	t.Helper()
	const eps = 1e-3
	u := make([]float32, len(x))
	var an float64
	for i := range u {
		u[i] = float32(rng.NormFloat64())
		an += float64(u[i]) * float64(grad[i])
	}
	orig := append([]float32(nil), x...)
	step := func(s float32) float64 {
		for i := range x {
			x[i] = orig[i] + s*u[i]
		}
		return f()
	}
	fd := (step(eps) - step(-eps)) / (2 * eps)
	copy(x, orig)
	tol := 2e-3 + 2e-2*math.Abs(fd)
	status := "OK"
	if math.Abs(fd-an) > tol || math.IsNaN(an) {
		status = "BAD"
		t.Errorf("%s: analytic %.6g, finite difference %.6g", name, an, fd)
	}
	if testing.Verbose() {
		fmt.Printf("  %-28s analytic %12.6g  fd %12.6g  %s\n", name, an, fd, status)
	}
}
