package demo

import (
	"fmt"

	"tttexplainer/scenario"
	"tttexplainer/ttt"
)

// Inner optimisers of the stream form (ttt.Opt): the scenario's opt, beta
// and wd fields, and the page's side-by-side comparison of their loss curves.

// Adam's fixed settings on the page. Adam divides out the gradient's scale,
// so its step size α is set by the scenario's η instead of the gated lr_t:
// α = AdamScale · η / d, a step per weight per mini-batch of the same order
// as a GD token's lr_t (η σ(·) / d, with σ(·) about 1/2).
const (
	AdamBeta2 = 0.999
	AdamEps   = 1e-8
	AdamScale = 0.5
)

// CompareWD is the weight decay of the comparison's "gd+wd" curve when the
// scenario's own wd is 0.
const CompareWD = 0.02

// InnerOpt is the scenario's inner optimiser; plain GD without decay is the
// zero ttt.Opt, the stream form as it always was.
func InnerOpt(s *scenario.Scenario) ttt.Opt {
	o := ttt.Opt{Decay: float32(s.WD)}
	switch s.Opt {
	case "momentum":
		o.Kind, o.Beta = ttt.Momentum, float32(s.Beta)
	case "adam":
		d := s.WidthOf().D / s.WidthOf().H
		o.Kind, o.Beta, o.Beta2, o.Eps = ttt.Adam, float32(s.Beta), AdamBeta2, AdamEps
		o.Eta = float32(AdamScale * s.LR / float64(d))
	}
	return o
}

// Curve is one optimiser's per-token losses, averaged over the heads.
type Curve struct {
	Name   string      `json:"name"`   // "gd", "momentum", "adam" or "gd+wd"
	Label  string      `json:"label"`  // its settings, for the legend
	Before []float64   `json:"before"` // ℓ(W_{t−1}; x_t)
	After  []float64   `json:"after"`  // ℓ(W_t; x_t)
	Z      [][]float32 `json:"z,omitempty"`
}

// Comparison is the loss curves of every inner optimiser on one token stream.
type Comparison struct {
	Backend string    `json:"backend"`
	Adapter string    `json:"adapter"`
	T       int       `json:"T"`
	Tokens  []string  `json:"tokens"`
	W0      []float64 `json:"w0"` // ℓ(W0; x_t), the same for every curve
	Curves  []Curve   `json:"curves"`
}

// CompareSettings are the curves a comparison draws: GD, momentum (β),
// Adam (β₁ = β) and GD with weight decay λ, each from the same W0.
func CompareSettings(s scenario.Scenario) []scenario.Scenario {
	wd := s.WD
	if wd == 0 {
		wd = CompareWD
	}
	var out []scenario.Scenario
	for _, c := range []struct {
		opt string
		wd  float64
	}{{"gd", 0}, {"momentum", 0}, {"adam", 0}, {"gd", wd}} {
		x := s
		x.Form, x.Opt, x.WD = "stream", c.opt, c.wd
		out = append(out, x)
	}
	return out
}

// CompareOptimizers streams the scenario's input through the stream form
// once per inner optimiser (CompareSettings) on dev, over its first n tokens
// (all when n ≤ 0), and returns every curve; withZ keeps every z_t too.
func CompareOptimizers(s scenario.Scenario, dev Device, n int, withZ bool) (*Comparison, error) {
	s.Form, s.Opt = "stream", "gd" // the scenario's own form does not matter here
	in, l, err := build(&s)
	if err != nil {
		return nil, err
	}
	T := len(in.Tokens)
	if n > 0 {
		T = min(T, n)
	}
	v := NewViews(l, Embed(in.Tokens[:T], l.D, s.Seed), T)
	c := &Comparison{Backend: dev.Name(), Adapter: dev.Adapter(), T: T, Tokens: in.Tokens[:T]}
	for _, x := range CompareSettings(s) {
		o := InnerOpt(&x)
		name := x.Opt
		if x.WD != 0 {
			name += "+wd"
		}
		cv, w0, err := streamCurve(dev, v, o)
		if err != nil {
			return nil, fmt.Errorf("%s on the %s backend: %w", name, dev.Name(), err)
		}
		cv.Name, cv.Label = name, optLabel(o)
		if !withZ {
			cv.Z = nil
		}
		c.Curves = append(c.Curves, cv)
		c.W0 = w0
	}
	return c, nil
}

// streamCurve runs every token of v through one stream and averages the
// losses over the heads.
func streamCurve(dev Device, v *Views, o ttt.Opt) (Curve, []float64, error) {
	heads, W0 := make([]*ttt.Head, v.H), make([]*ttt.Weights, v.H)
	for h, hi := range v.Heads {
		heads[h], W0[h] = hi.Head, hi.W0
	}
	e, err := newEngine(dev, ttt.Stream, v, 0, W0, W0, nil, o)
	if err != nil {
		return Curve{}, nil, err
	}
	defer e.Close()
	Z, L := chunkBuffers(v.T, v)
	for t := 0; t < v.T; t++ {
		if err := e.Advance(t, 1, Z[t:t+1], L[t:t+1]); err != nil {
			return Curve{}, nil, err
		}
	}
	cv := Curve{Before: make([]float64, v.T), After: make([]float64, v.T), Z: Z}
	w0 := make([]float64, v.T)
	for t := range L {
		w0[t], _, cv.Before[t], cv.After[t] = MeanLoss(L[t])
	}
	return cv, w0, nil
}

func optLabel(o ttt.Opt) string {
	var s string
	switch o.Kind {
	case ttt.GD:
		s = "plain GD"
	case ttt.Momentum:
		s = fmt.Sprintf("momentum β = %g", o.Beta)
	case ttt.Adam:
		s = fmt.Sprintf("Adam β₁ = %g, β₂ = %g, α = %.3g", o.Beta, o.Beta2, o.Eta)
	}
	if o.Decay != 0 {
		s += fmt.Sprintf(", weight decay λ = %g", o.Decay)
	}
	return s
}
