package ttt

import "math"

// RunOpt is the whole-sequence reference of the stream form with an inner
// optimiser (Opt), written primal-style and separately from StreamState:
// for each mini-batch it takes every token's gradient ∇ℓ_j(W⁰) on its own,
// then for each token i sums G_i = s_i Σ_{j≤i} lr_j ∇ℓ_j(W⁰) afresh,
// materialises W_i from the committed state (W⁰, m⁰, v⁰) with the equations
// of Opt, and computes z_i = f(q_i; W_i) and the losses. The mini-batch's
// last W_i and moments are committed. It is slow and obvious: the stream
// and the GPU kernels are checked against it.
func (hd *Head) RunOpt(o Opt, W0 *Weights, in *Seq) (*Result, error) {
	if err := hd.check(W0, in); err != nil {
		return nil, err
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	return hd.runOpt(o, W0, in, nil), nil
}

// runOpt is RunOpt on checked inputs; each, if not nil, sees W_t after every token t.
func (hd *Head) runOpt(o Opt, W0 *Weights, in *Seq, each func(t int, Wt *Weights)) *Result {
	d, T, b := hd.D, in.T(), hd.B
	out := NewResult(hd.Model, T, d)
	hd.lossW0(out.LossW0, W0, in)
	s := newScratch(hd.Model, d)
	start := W0.Clone()
	m0, v0 := NewWeights(hd.Model, d), NewWeights(hd.Model, d)
	grads := make([]*Weights, b) // lr_j ∇ℓ_j(W⁰), one per token of the mini-batch
	for i := range grads {
		grads[i] = NewWeights(hd.Model, d)
	}
	Wi, mi, vi := NewWeights(hd.Model, d), NewWeights(hd.Model, d), NewWeights(hd.Model, d)
	prev := W0.Clone()
	for t0, n := 0, 1; t0 < T; t0, n = t0+b, n+1 {
		nb := min(b, T-t0)
		for j := 0; j < nb; j++ {
			t := t0 + j
			k, v := in.XK[t*d:(t+1)*d], in.XV[t*d:(t+1)*d]
			out.LossStart[t] = s.grad(hd, start, k, v)
			clearWeights(grads[j])
			s.step(grads[j], -in.LR[t], k)
		}
		// Adam's bias corrections for step n, computed as in float64.
		c1 := float32(1 / (1 - math.Pow(float64(o.Beta), float64(n))))
		c2 := float32(1 / (1 - math.Pow(float64(o.Beta2), float64(n))))
		for i := 0; i < nb; i++ {
			t := t0 + i
			si := hd.Scale(i)
			ws, ms, vs := start.Tensors(), m0.Tensors(), v0.Tensors()
			for x, w := range Wi.Tensors() {
				for e := range w {
					var A float32
					for j := 0; j <= i; j++ {
						A += grads[j].Tensors()[x][e]
					}
					G := si * A
					decayed := (1 - o.Decay) * ws[x][e]
					switch o.Kind {
					case GD:
						w[e] = decayed - G
					case Momentum:
						mi.Tensors()[x][e] = o.Beta*ms[x][e] + G
						w[e] = decayed - mi.Tensors()[x][e]
					case Adam:
						m := o.Beta*ms[x][e] + (1-o.Beta)*G
						v := o.Beta2*vs[x][e] + (1-o.Beta2)*G*G
						mi.Tensors()[x][e], vi.Tensors()[x][e] = m, v
						w[e] = decayed - o.Eta*(m*c1)/(float32(math.Sqrt(float64(v*c2)))+o.Eps)
					}
				}
			}
			q, k, v := in.XQ[t*d:(t+1)*d], in.XK[t*d:(t+1)*d], in.XV[t*d:(t+1)*d]
			hd.target(s.target, v, k)
			out.LossBefore[t] = s.loss(hd, prev, k, s.target)
			s.output(hd, out.Z[t*d:(t+1)*d], Wi, q)
			out.LossAfter[t] = s.loss(hd, Wi, k, s.target)
			prev.CopyFrom(Wi)
			if each != nil {
				each(t, Wi)
			}
		}
		start.CopyFrom(Wi)
		m0.CopyFrom(mi)
		v0.CopyFrom(vi)
	}
	out.Final.CopyFrom(start)
	return out
}
