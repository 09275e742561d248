package demo

import (
	"fmt"
	"math"

	"tttexplainer/ttt"
)

// Caption is one part of the narrated slow step: the panel lights up Part
// and shows Text under it.
type Caption struct {
	Part string `json:"part"` // k, f, error, dw, w, loss: the order of the walk
	Text string `json:"text"`
}

// StepParts are the parts of the one-step panel in the order the slow step
// walks through them.
var StepParts = []string{"k", "f", "error", "dw", "w", "loss"}

// Captions narrate the step one sentence per part, with its numbers.
func (v *StepView) Captions() []Caption {
	target := "v itself (LayerNorm and residual are off)"
	if v.LN {
		target = "v − k, since f adds k back (the residual)"
	}
	at := "W⁰, the weights where its mini-batch began"
	if v.I == 1 {
		at = "Wₜ₋₁, the weights before this token"
	}
	own := "the outer product −sᵢ lrₜ kₜᵀ G"
	if v.W.Model == ttt.MLP {
		own = "both layers' terms −sᵢ lrₜ (kₜᵀ G₁ for W1, x₂ᵀ G for W2)"
	}
	return []Caption{
		{"k", fmt.Sprintf("Token %d, “%s”: the inner model reads its training view kₜ (‖k‖ = %.3g) and must turn it into the label view vₜ (‖v‖ = %.3g); fᵣₑₛ is trained on %s.", v.T, v.Token, norm(v.K), norm(v.V), target)},
		{"f", fmt.Sprintf("Its guess is f(kₜ; W) at %s: ‖f(k)‖ = %.3g.", at, norm(v.Pred))},
		{"error", fmt.Sprintf("The error f(kₜ) − vₜ has size %.3g; through the LayerNorm's backward it becomes G (‖G‖ = %.3g), the row the gradient uses. ℓ there is %.4g.", norm(v.Err), norm(v.G), v.LossStart)},
		{"dw", fmt.Sprintf("The update: this token adds %s, with lrₜ = %.3g and sᵢ = %.3g; the largest change to a weight is %.3g. %s", own, v.LR, v.S, maxAbsW(v.DW), v.Note)},
		{"w", fmt.Sprintf("Wₜ = Wₜ₋₁ + ΔW: the hidden state after token %d (largest |W| %.3g).", v.T, maxAbsW(v.W))},
		{"loss", fmt.Sprintf("On this token the loss went from ℓ(Wₜ₋₁) = %.4g before the step to ℓ(Wₜ) = %.4g after it (%s).", v.LossBefore, v.LossAfter, change(v.LossBefore, v.LossAfter))},
	}
}

func change(before, after float32) string {
	if before == 0 {
		return "no change"
	}
	p := 100 * float64(after-before) / float64(before)
	if p <= 0 {
		return fmt.Sprintf("%.1f%% lower", -p)
	}
	return fmt.Sprintf("%.1f%% higher: the step overshot", p)
}

func norm(v []float32) float64 {
	s := 0.0
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

func maxAbsW(w *ttt.Weights) float64 {
	m := 0.0
	for _, t := range w.Tensors() {
		for _, x := range t {
			m = max(m, math.Abs(float64(x)))
		}
	}
	return m
}

// StepReport is the JSON of ttt.explainStep(): one head's step with its
// captions, every vector and matrix by the paper's names.
type StepReport struct {
	T          int                  `json:"t"`
	Head       int                  `json:"head"`
	Token      string               `json:"token"`
	I          int                  `json:"i"` // place in the mini-batch, 1..b
	B          int                  `json:"b"`
	Start      int                  `json:"start"` // W⁰ is W after this many tokens
	K          []float32            `json:"k"`
	V          []float32            `json:"v"`
	Target     []float32            `json:"target"`
	Pred       []float32            `json:"pred"`
	Err        []float32            `json:"error"`
	G          []float32            `json:"G"`
	LR         float32              `json:"lr"`
	S          float32              `json:"s"`
	Own        map[string][]float32 `json:"own"`    // −s_i lr_t ∇ℓ_t(W⁰), by tensor name
	DW         map[string][]float32 `json:"dW"`     // W_t − W_{t−1}
	WPrev      map[string][]float32 `json:"W_prev"` // W_{t−1}
	W          map[string][]float32 `json:"W"`      // W_t
	LossStart  float32              `json:"loss_start"`
	LossBefore float32              `json:"loss_before"`
	LossAfter  float32              `json:"loss_after"`
	Note       string               `json:"note"`
	Captions   []Caption            `json:"captions"`
}

// Report is the view as explainStep reports it.
func (v *StepView) Report() *StepReport {
	return &StepReport{
		T: v.T, Head: v.Head, Token: v.Token, I: v.I, B: v.B, Start: v.Start,
		K: v.K, V: v.V, Target: v.Target, Pred: v.Pred, Err: v.Err, G: v.G, LR: v.LR, S: v.S,
		Own: named(v.Own), DW: named(v.DW), WPrev: named(v.WPrev), W: named(v.W),
		LossStart: v.LossStart, LossBefore: v.LossBefore, LossAfter: v.LossAfter,
		Note: v.Note, Captions: v.Captions(),
	}
}

// named maps a head's weights by their case-format names (W, b or W1, b1, W2, b2).
func named(w *ttt.Weights) map[string][]float32 {
	m := map[string][]float32{}
	names := w.TensorNames()
	for i, t := range w.Tensors() {
		m[names[i]] = t
	}
	return m
}
