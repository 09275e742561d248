package ttt

// naive is online gradient descent (b = 1), the paper's Eq. 1 with the code's
// learning rate: one sequential step per token,
//
//	W_t = W_{t−1} − s_1 lr_t ∇ℓ_t(W_{t−1}),   z_t = f(q_t; W_t).
func (hd *Head) naive(out *Result, W0 *Weights, in *Seq) {
	d := hd.D
	w := out.Final
	w.CopyFrom(W0)
	s := newScratch(hd.Model, d)
	s1 := hd.Scale(0)
	for t := 0; t < in.T(); t++ {
		q, k, v := in.XQ[t*d:(t+1)*d], in.XK[t*d:(t+1)*d], in.XV[t*d:(t+1)*d]
		l := s.grad(hd, w, k, v) // at W_{t−1}, which is also this 1-token mini-batch's start
		out.LossStart[t], out.LossBefore[t] = l, l
		s.step(w, s1*in.LR[t], k)
		s.output(hd, out.Z[t*d:(t+1)*d], w, q)
		out.LossAfter[t] = s.loss(hd, w, k, s.target)
	}
}
