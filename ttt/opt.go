package ttt

import (
	"fmt"
	"math"
)

// OptKind names an inner-loop optimiser of the stream form.
type OptKind int

const (
	GD       OptKind = iota // plain (mini-batch) gradient descent: the paper's inner loop
	Momentum                // heavy-ball momentum
	Adam                    // Adam with bias correction
)

// OptKinds lists every inner optimiser.
var OptKinds = []OptKind{GD, Momentum, Adam}

func (k OptKind) String() string {
	switch k {
	case GD:
		return "gd"
	case Momentum:
		return "momentum"
	case Adam:
		return "adam"
	}
	return fmt.Sprintf("OptKind(%d)", int(k))
}

// ParseOptKind reads "gd", "momentum" or "adam".
func ParseOptKind(s string) (OptKind, error) {
	for _, k := range OptKinds {
		if k.String() == s {
			return k, nil
		}
	}
	return 0, fmt.Errorf("unknown inner optimiser %q (want gd, momentum or adam)", s)
}

// Opt is the inner optimiser of a stream. The zero value is plain GD, the
// paper's inner loop, and the stream computes exactly what it always did.
//
// The optimiser steps once per mini-batch, on the gradient plain GD would
// subtract: with A = Σ_{j≤i} lr_j ∇ℓ_j(W⁰) the running sum of the tokens seen
// so far of the mini-batch (all gradients at its start W⁰, the per-token
// learning rate lr_j = η_j folded in) and s_i = max(0, 1/i + τ_i),
//
//	G = s_i A
//	GD:        W̄ = (1 − λ) W⁰ − G
//	Momentum:  m̄ = β m⁰ + G,                      W̄ = (1 − λ) W⁰ − m̄
//	Adam:      m̄ = β m⁰ + (1 − β) G,  v̄ = β₂ v⁰ + (1 − β₂) G²  (element-wise),
//	           W̄ = (1 − λ) W⁰ − α (m̄ c₁) / (√(v̄ c₂) + ε),
//	           c₁ = 1/(1 − βⁿ), c₂ = 1/(1 − β₂ⁿ), n = this mini-batch's step number (1, 2, …)
//
// where m⁰, v⁰ are the moments committed at the end of the previous
// mini-batch (zero at the start). W̄ after token i is "W after token t": the
// weights the mini-batch would end at if it ended at that token, as for plain
// GD. When a mini-batch ends, W⁰ ← W̄, m⁰ ← m̄, v⁰ ← v̄ and A ← 0. With b = 1
// this is the textbook online optimiser on ∇ℓ_t(W_{t−1}) scaled by lr_t
// (s_1 = 1 + τ_1). λ is decoupled weight decay (AdamW-style forgetting): W⁰
// shrinks toward zero by the factor 1 − λ every mini-batch, whatever G is.
// Adam divides out the gradient's scale, so it has its own step size α (Eta).
type Opt struct {
	Kind  OptKind
	Beta  float32 // Momentum: β; Adam: β₁. In [0, 1).
	Beta2 float32 // Adam: β₂, in [0, 1)
	Eps   float32 // Adam: ε > 0
	Eta   float32 // Adam: the step size α > 0
	Decay float32 // λ, decoupled weight decay, in [0, 1)
}

// Stateful reports whether the optimiser carries state besides W⁰ across
// mini-batches (momentum's m, Adam's m, v and step count).
func (o Opt) Stateful() bool { return o.Kind != GD }

// Validate checks the optimiser's values.
func (o Opt) Validate() error {
	in01 := func(name string, x float32) error {
		if !(x >= 0 && x < 1) { // also refuses NaN
			return fmt.Errorf("ttt: inner optimiser %s = %g, want 0 ≤ %s < 1", name, x, name)
		}
		return nil
	}
	if err := in01("λ (weight decay)", o.Decay); err != nil {
		return err
	}
	switch o.Kind {
	case GD:
	case Momentum:
		return in01("β", o.Beta)
	case Adam:
		if err := in01("β₁", o.Beta); err != nil {
			return err
		}
		if err := in01("β₂", o.Beta2); err != nil {
			return err
		}
		if !(o.Eps > 0) || math.IsInf(float64(o.Eps), 0) {
			return fmt.Errorf("ttt: Adam ε = %g, want a finite ε > 0", o.Eps)
		}
		if !(o.Eta > 0) || math.IsInf(float64(o.Eta), 0) {
			return fmt.Errorf("ttt: Adam step size α = %g, want a finite α > 0", o.Eta)
		}
	default:
		return fmt.Errorf("ttt: unknown inner optimiser %d", int(o.Kind))
	}
	return nil
}

// Correction returns Adam's bias corrections c₁ = 1/(1 − β₁ⁿ) and
// c₂ = 1/(1 − β₂ⁿ) for step n ≥ 1 (1, 1 for the other optimisers). They are
// computed in float64 once per step; the GPU gets the same float32 values.
func (o Opt) Correction(n int) (c1, c2 float32) {
	if o.Kind != Adam {
		return 1, 1
	}
	p1 := math.Pow(float64(o.Beta), float64(n))
	p2 := math.Pow(float64(o.Beta2), float64(n))
	return float32(1 / (1 - p1)), float32(1 / (1 - p2))
}

// optWeight is one element of the update: W̄ from W⁰ (w), the committed
// moments m, v and G = s_i A (g). It returns W̄ and the new moments m̄, v̄.
func (o *Opt) optWeight(w, m, v, g, c1, c2 float32) (wn, mn, vn float32) {
	w = (1 - o.Decay) * w
	switch o.Kind {
	case Momentum:
		mn = o.Beta*m + g
		return w - mn, mn, 0
	case Adam:
		mn = o.Beta*m + (1-o.Beta)*g
		vn = o.Beta2*v + (1-o.Beta2)*g*g
		den := float32(math.Sqrt(float64(vn*c2))) + o.Eps
		return w - o.Eta*(mn*c1)/den, mn, vn
	}
	return w - g, 0, 0
}
