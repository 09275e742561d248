package ttt

// TokenGrad is one token's inner gradient, the quantities a form's step
// takes from it: what the page's one-step panel draws. Every form takes the
// gradient of a token at its mini-batch start W⁰ (at W_{t−1} when b = 1).
type TokenGrad struct {
	Target []float32 // [d] what f_res is trained to produce: v − k (v when Plain)
	Pred   []float32 // [d] f(k; w) = k + LN(f_res(k; w)) (f_res(k; w) when Plain)
	Err    []float32 // [d] f(k; w) − v
	G      []float32 // [d] ∂ℓ/∂f_res at w, through the LN backward: the gradient's row
	Loss   float32   // the token's MSE at w
	Grad   *Weights  // ∇_w ℓ: kᵀ G and G for TTT-Linear; both layers' for TTT-MLP
}

// TokenGrad computes the token (k, v: [d]) at w with the same code the
// forms run (scratch.grad, scratch.step), so the panel shows what they use.
func (h *Head) TokenGrad(w *Weights, k, v []float32) *TokenGrad {
	d := h.D
	s := newScratch(h.Model, d)
	tg := &TokenGrad{Target: make([]float32, d), Pred: make([]float32, d), Err: make([]float32, d), G: make([]float32, d), Grad: NewWeights(h.Model, d)}
	tg.Loss = s.grad(h, w, k, v)
	copy(tg.Target, s.target)
	copy(tg.G, s.g)
	h.output(tg.Pred, s.z, k)
	sub(tg.Err, tg.Pred, v)
	s.step(tg.Grad, -1, k) // zero weights −= (−1)·∇ℓ: the gradient itself
	return tg
}

// Loss returns the MSE of the token (k, v) at w, as the forms report it.
func (h *Head) Loss(w *Weights, k, v []float32) float32 {
	s := newScratch(h.Model, h.D)
	h.target(s.target, v, k)
	return s.loss(h, w, k, s.target)
}
