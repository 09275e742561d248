package ttt

import (
	"fmt"
	"math"
	"sync"
)

// Form names one of the equivalent ways to compute mini-batch TTT.
type Form int

const (
	Naive  Form = iota // online GD, b = 1: one sequential gradient step per token
	Primal             // mini-batch GD with every virtual W_i materialised
	Dual               // mini-batch GD as matmuls; no W_i is ever built
	Stream             // one token at a time with running sums; exact after every token
)

// Forms lists every form in ladder order.
var Forms = []Form{Naive, Primal, Dual, Stream}

func (f Form) String() string {
	switch f {
	case Naive:
		return "naive"
	case Primal:
		return "primal"
	case Dual:
		return "dual"
	case Stream:
		return "stream"
	}
	return fmt.Sprintf("Form(%d)", int(f))
}

// ParseForm reads a form name.
func ParseForm(s string) (Form, error) {
	for _, f := range Forms {
		if f.String() == s {
			return f, nil
		}
	}
	return 0, fmt.Errorf("unknown form %q (want naive, primal, dual or stream)", s)
}

// Head holds the settings of one TTT head that are fixed during a sequence.
type Head struct {
	Model Model
	D     int       // head size d
	B     int       // mini-batch size b
	Gamma []float32 // [d] γ of the LayerNorm inside f
	Beta  []float32 // [d] β of the LayerNorm inside f
	Tau   []float32 // [b] learnable offsets of the 1/i token scale
	Eps   float32   // LayerNorm epsilon
	Plain bool      // f = f_res: no LayerNorm or residual, target v (see objective.go)
}

// Scale returns s_i = max(0, 1/i + τ_i) for the position i = pos+1 inside a mini-batch.
func (h *Head) Scale(pos int) float32 {
	s := 1/float32(pos+1) + h.Tau[pos]
	return max(0, s)
}

// Validate checks the head's shapes and values.
func (h *Head) Validate() error {
	if h.Model != Linear && h.Model != MLP {
		return fmt.Errorf("ttt: unknown inner model %d", h.Model)
	}
	if h.D < 1 || h.D > MaxD {
		return fmt.Errorf("ttt: head size d = %d, want 1..%d", h.D, MaxD)
	}
	if h.B < 1 || h.B > MaxT {
		return fmt.Errorf("ttt: mini-batch size b = %d, want 1..%d", h.B, MaxT)
	}
	if len(h.Gamma) != h.D || len(h.Beta) != h.D {
		return fmt.Errorf("ttt: γ, β have %d, %d values, want d = %d", len(h.Gamma), len(h.Beta), h.D)
	}
	if len(h.Tau) < h.B {
		return fmt.Errorf("ttt: τ has %d values, want b = %d", len(h.Tau), h.B)
	}
	if !(h.Eps > 0) {
		return fmt.Errorf("ttt: LayerNorm eps = %g, want > 0", h.Eps)
	}
	return nil
}

// Limits on sizes, so that a malformed input is refused before it allocates.
const (
	MaxT = 1 << 20 // tokens in one sequence
	MaxD = 4096    // head size or model width
)

// Seq is one head's view of a sequence of T tokens.
type Seq struct {
	XQ []float32 // [T,d] test views q_t
	XK []float32 // [T,d] training views k_t
	XV []float32 // [T,d] label views v_t (the target is v − k)
	LR []float32 // [T] per-token learning rate lr_t (gate · base_lr / d)
}

// T is the number of tokens.
func (s *Seq) T() int { return len(s.LR) }

// Token copies the views of token t into q, k, v (d values each, the
// head's slot of a stream step's [H,d] inputs) and returns its lr_t.
func (s *Seq) Token(t int, q, k, v []float32) float32 {
	d := len(q)
	copy(q, s.XQ[t*d:(t+1)*d])
	copy(k, s.XK[t*d:(t+1)*d])
	copy(v, s.XV[t*d:(t+1)*d])
	return s.LR[t]
}

func (s *Seq) validate(d int) error {
	T := s.T()
	if T < 1 || T > MaxT {
		return fmt.Errorf("ttt: T = %d tokens, want 1..%d", T, MaxT)
	}
	if len(s.XQ) != T*d || len(s.XK) != T*d || len(s.XV) != T*d {
		return fmt.Errorf("ttt: XQ, XK, XV have %d, %d, %d values, want T·d = %d", len(s.XQ), len(s.XK), len(s.XV), T*d)
	}
	return nil
}

// Result is what every form returns for one head.
type Result struct {
	Z          []float32 // [T,d] z_t = q_t + LN(f_res(q_t; W_t))
	LossW0     []float32 // [T] ℓ at the sequence's initial weights W0
	LossStart  []float32 // [T] ℓ at the weights where token t's gradient is taken (its mini-batch start)
	LossBefore []float32 // [T] ℓ at W_{t−1}, just before token t's step
	LossAfter  []float32 // [T] ℓ at W_t, the weights that produced z_t
	Final      *Weights  // weights after the last (possibly partial) mini-batch
}

// NewResult allocates a Result for T tokens.
func NewResult(m Model, T, d int) *Result {
	return &Result{
		Z:          make([]float32, T*d),
		LossW0:     make([]float32, T),
		LossStart:  make([]float32, T),
		LossBefore: make([]float32, T),
		LossAfter:  make([]float32, T),
		Final:      NewWeights(m, d),
	}
}

// Run computes one head over a sequence with the given form, starting from W0.
func (h *Head) Run(form Form, W0 *Weights, in *Seq) (*Result, error) {
	if err := h.check(W0, in); err != nil {
		return nil, err
	}
	if form < Naive || form > Stream {
		return nil, fmt.Errorf("ttt: unknown form %d", form)
	}
	if form == Naive && h.B != 1 {
		return nil, fmt.Errorf("ttt: the naive form is online GD (b = 1), this head has b = %d: use primal, dual or stream", h.B)
	}
	out := NewResult(h.Model, in.T(), h.D)
	if form == Stream {
		NewStreamState(h, W0).Run(out, in) // fills ℓ(W0) itself, token by token
		return out, nil
	}
	// ℓ(W0) does not depend on the inner loop: on a long sequence it runs on
	// another core while the loop runs.
	var wg sync.WaitGroup
	if in.T() >= parallelLossW0 {
		wg.Go(func() { h.lossW0(out.LossW0, W0, in) })
	} else {
		h.lossW0(out.LossW0, W0, in)
	}
	switch form {
	case Naive:
		h.naive(out, W0, in)
	case Primal:
		h.primal(out, W0, in)
	case Dual:
		NewDualState(h, W0).Run(out, in)
	}
	wg.Wait()
	return out, nil
}

// parallelLossW0 is the sequence length from which ℓ(W0) gets its own goroutine.
const parallelLossW0 = 256

func (h *Head) check(W0 *Weights, in *Seq) error {
	if err := h.Validate(); err != nil {
		return err
	}
	if W0 == nil || W0.Model != h.Model || W0.D != h.D {
		return fmt.Errorf("ttt: W0 does not match a %v head of size %d", h.Model, h.D)
	}
	for i, t := range W0.Tensors() {
		if !finite(t) {
			return fmt.Errorf("ttt: W0.%s holds NaN or Inf", W0.TensorNames()[i])
		}
	}
	if err := in.validate(h.D); err != nil {
		return err
	}
	for _, a := range []struct {
		name string
		v    []float32
	}{{"XQ", in.XQ}, {"XK", in.XK}, {"XV", in.XV}, {"lr", in.LR}, {"γ", h.Gamma}, {"β", h.Beta}, {"τ", h.Tau}} {
		if !finite(a.v) {
			return fmt.Errorf("ttt: %s holds NaN or Inf", a.name)
		}
	}
	return nil
}

func finite(v []float32) bool {
	for _, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return false
		}
	}
	return true
}
