package ttt

// primal is mini-batch GD computed literally: every gradient of a mini-batch
// is taken at its start W⁰, and each token i gets its own virtual weights
//
//	W_i = W⁰ − s_i Σ_{j≤i} lr_j ∇ℓ_j(W⁰),
//
// all n of them materialised (b·d² floats for TTT-Linear), then z_i = f(q_i; W_i).
// It is the slow, obvious form that the dual and stream forms are checked against.
func (hd *Head) primal(out *Result, W0 *Weights, in *Seq) {
	d, T, b := hd.D, in.T(), hd.B
	s := newScratch(hd.Model, d)
	start := W0.Clone()            // W⁰ of the current mini-batch
	sum := NewWeights(hd.Model, d) // Σ_{j≤i} lr_j ∇ℓ_j(W⁰)
	Wi := make([]*Weights, b)      // the virtual weights W_1..W_n
	for i := range Wi {
		Wi[i] = NewWeights(hd.Model, d)
	}
	for t0 := 0; t0 < T; t0 += b {
		n := min(b, T-t0)
		clearWeights(sum)
		for i := 0; i < n; i++ {
			t := t0 + i
			k, v := in.XK[t*d:(t+1)*d], in.XV[t*d:(t+1)*d]
			out.LossStart[t] = s.grad(hd, start, k, v)
			s.step(sum, -in.LR[t], k) // sum += lr_t ∇ℓ_t(W⁰)
			combine(Wi[i], start, -hd.Scale(i), sum)
		}
		for i := 0; i < n; i++ {
			t := t0 + i
			q, k, v := in.XQ[t*d:(t+1)*d], in.XK[t*d:(t+1)*d], in.XV[t*d:(t+1)*d]
			hd.target(s.target, v, k)
			s.output(hd, out.Z[t*d:(t+1)*d], Wi[i], q)
			out.LossAfter[t] = s.loss(hd, Wi[i], k, s.target)
			prev := start
			if i > 0 {
				prev = Wi[i-1]
			}
			out.LossBefore[t] = s.loss(hd, prev, k, s.target)
		}
		start.CopyFrom(Wi[n-1])
	}
	out.Final.CopyFrom(start)
}

// combine writes dst = a + α·x, tensor by tensor.
func combine(dst, a *Weights, alpha float32, x *Weights) {
	xs, as := x.Tensors(), a.Tensors()
	for i, t := range dst.Tensors() {
		for j := range t {
			t[j] = as[i][j] + alpha*xs[i][j]
		}
	}
}

func clearWeights(w *Weights) {
	for _, t := range w.Tensors() {
		clear(t)
	}
}
