package demo

import (
	"fmt"

	"tttexplainer/ttt"
)

// StepView is one head's step on one token, as the stream form takes it:
// what the page's one-step panel draws and ttt.explainStep() reports. Its
// numbers come from the run's history (W before and after, the losses the
// engine logged) and from ttt.Head.TokenGrad, the code the forms run.
type StepView struct {
	T, Head int    // the step from W_{T−1} to W_T (T counts tokens, from 1); the head, from 0
	Token   string // token T's text
	I, B    int    // its place in its mini-batch (1..b) and b
	Start   int    // tokens before its mini-batch: the gradient is taken at W⁰ = W after Start tokens
	LN      bool   // f = k + LN(f_res): the official f (else f = f_res)

	K, V   []float32 // [d] k_t, v_t
	Target []float32 // [d] what f_res is trained to produce: v − k (v with LayerNorm off)
	Pred   []float32 // [d] f(k_t; W⁰)
	Err    []float32 // [d] f(k_t; W⁰) − v_t
	G      []float32 // [d] ∂ℓ/∂f_res at W⁰, after the LayerNorm's backward

	LR, S float32      // lr_t and s_i
	Own   *ttt.Weights // −s_i lr_t ∇ℓ_t(W⁰): this token's own term (an outer product kᵀ G for TTT-Linear)
	DW    *ttt.Weights // W_t − W_{t−1}
	WPrev *ttt.Weights // W_{t−1}
	W     *ttt.Weights // W_t

	LossStart, LossBefore, LossAfter float32 // ℓ at W⁰, W_{t−1}, W_t (the MSE the run logs)

	Note string // one line on what the code does at this token
}

// StepViews returns every head's step on token t (1 ≤ t ≤ done). Any form's
// run is shown as the stream computes it: primal and dual build W only at
// mini-batch ends, and W after any token is the stream's (equal to the
// primal form's W_i), replayed on the CPU where the run kept no snapshot.
func (r *Runner) StepViews(t int) ([]*StepView, error) {
	if t < 1 || t > r.done {
		return nil, fmt.Errorf("demo: the step of token %d asked, %d computed", t, r.done)
	}
	b := r.Layer.B
	start := (t - 1) - (t-1)%b
	W0, err := r.WeightsAt(start)
	if err != nil {
		return nil, err
	}
	prev, err := r.WeightsAt(t - 1)
	if err != nil {
		return nil, err
	}
	cur, err := r.WeightsAt(t)
	if err != nil {
		return nil, err
	}
	d, i := r.Views.D, t-start
	note := r.stepNote(i, start)
	out := make([]*StepView, r.Views.H)
	for h, hi := range r.Views.Heads {
		k, v := hi.Seq.XK[(t-1)*d:t*d], hi.Seq.XV[(t-1)*d:t*d]
		tg := hi.Head.TokenGrad(W0[h], k, v)
		sv := &StepView{
			T: t, Head: h, Token: r.Input.Tokens[t-1], I: i, B: b, Start: start, LN: !hi.Head.Plain,
			K: k, V: v, Target: tg.Target, Pred: tg.Pred, Err: tg.Err, G: tg.G,
			LR: hi.Seq.LR[t-1], S: hi.Head.Scale(i - 1),
			WPrev: prev[h], W: cur[h],
			LossStart: r.L[t-1][h].Start, LossBefore: r.L[t-1][h].Before, LossAfter: r.L[t-1][h].After,
			Note: note,
		}
		sv.Own = scaled(tg.Grad, -sv.S*sv.LR)
		sv.DW = difference(cur[h], prev[h])
		out[h] = sv
	}
	return out, nil
}

// stepNote says in one line what the code does at the i-th token of a
// mini-batch that began after `start` tokens.
func (r *Runner) stepNote(i, start int) string {
	var s string
	if r.Layer.B == 1 {
		s = "b = 1: the gradient is taken at Wₜ₋₁, and ΔW is exactly this token's term −lrₜ ∇ℓ."
	} else {
		s = fmt.Sprintf("Token %d of a mini-batch of %d: its gradient is taken at W⁰, the weights after token %d where the mini-batch began, and Wₜ = W⁰ − sᵢ Σⱼ≤ᵢ lrⱼ ∇ℓⱼ(W⁰), so ΔW is this token's term plus the re-weighting (sᵢ = 1/%d) of the %d before it.", i, r.Layer.B, start, i, i-1)
		if i == 1 {
			s = fmt.Sprintf("The first token of a mini-batch of %d: W⁰ = Wₜ₋₁ (after token %d), and ΔW is exactly this token's term.", r.Layer.B, start)
		}
	}
	if r.Form == ttt.Primal || r.Form == ttt.Dual {
		s += fmt.Sprintf(" The %s form builds W only at mini-batch ends; this is the stream's W after the token, equal to its Wᵢ.", r.Form)
	}
	if r.Opt != (ttt.Opt{}) {
		s += " With this inner optimiser Wₜ is its step on G = sᵢ A, not W⁰ − G, so ΔW differs from the gradient's term."
	}
	return s
}

// scaled returns a·w as new weights.
func scaled(w *ttt.Weights, a float32) *ttt.Weights {
	out := w.Clone()
	for _, t := range out.Tensors() {
		for j := range t {
			t[j] *= a
		}
	}
	return out
}

// difference returns a − b as new weights.
func difference(a, b *ttt.Weights) *ttt.Weights {
	out := a.Clone()
	bt := b.Tensors()
	for i, t := range out.Tensors() {
		for j := range t {
			t[j] -= bt[i][j]
		}
	}
	return out
}
