package ttt

import (
	"math"
	"math/rand/v2"
)

// Problem is a seeded random head problem: the inputs the ladder tests, the
// benchmarks and the GPU kernels' twin tests share. Its scales follow the
// reference cases: views ~ N(0, 1), W0 ~ N(0, 1/fan_in), γ ~ 1 + 0.2 N,
// β ~ 0.1 N, τ ~ 0.05 N, and lr from a sigmoid gate with base_lr 1 (0.1 for the MLP).
type Problem struct {
	Head Head
	W0   *Weights
	Seq  Seq
}

// Normals returns a source of seeded inputs: n values drawn from
// N(mean, std²) by rng at each call.
func Normals(rng *rand.Rand) func(n int, mean, std float64) []float32 {
	return func(n int, mean, std float64) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(mean + std*rng.NormFloat64())
		}
		return v
	}
}

// RandomProblem makes a problem with T tokens for a head of size d and mini-batch b.
func RandomProblem(m Model, T, d, b int, seed uint64) *Problem {
	rng := rand.New(rand.NewPCG(seed, 0x7474_7465_7870))
	normal := Normals(rng)
	p := &Problem{
		Head: Head{Model: m, D: d, B: b, Gamma: normal(d, 1, 0.2), Beta: normal(d, 0, 0.1), Tau: normal(b, 0, 0.05), Eps: DefaultEps},
		Seq:  Seq{XQ: normal(T*d, 0, 1), XK: normal(T*d, 0, 1), XV: normal(T*d, 0, 1)},
	}
	baseLR := 1.0
	if m == MLP {
		baseLR = 0.1
	}
	p.Seq.LR = make([]float32, T)
	for t := range p.Seq.LR {
		p.Seq.LR[t] = float32(baseLR / (1 + math.Exp(-rng.NormFloat64())) / float64(d))
	}
	p.W0 = NewWeights(m, d)
	if m == Linear {
		p.W0.W = normal(d*d, 0, 1/math.Sqrt(float64(d)))
		p.W0.B = normal(d, 0, 0.1)
	} else {
		h := Hidden(d)
		p.W0.W1 = normal(d*h, 0, 1/math.Sqrt(float64(d)))
		p.W0.B1 = normal(h, 0, 0.1)
		p.W0.W2 = normal(h*d, 0, 1/math.Sqrt(float64(h)))
		p.W0.B2 = normal(d, 0, 0.1)
	}
	return p
}

// Input returns the problem as a backend's head input.
func (p *Problem) Input() HeadInput { return HeadInput{Head: &p.Head, W0: p.W0, Seq: &p.Seq} }
