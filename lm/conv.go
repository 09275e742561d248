package lm

import "tttexplainer/ttt"

// The Mamba backbone's pre_conv (ttt-spec §2.1): ttt.CausalConv, a depthwise
// causal convolution of width 4 with a bias and zero history,
//
//	out[t] = bias + Σ_{j=0..3} w[j] ⊙ s[t−3+j],
//
// so w[3] weighs the current token and w[0] the one three back.

// causalConvBackward adds ∂L/∂s to ds [T,D], ∂L/∂w to dw [ttt.ConvWidth,D] and
// ∂L/∂bias to db [D], given dy [T,D].
//
//	ds[u] += Σ_j w[j] ⊙ dy[u+3−j],  dw[j] += Σ_t dy[t] ⊙ s[t−3+j],  db += Σ_t dy[t]
func causalConvBackward(ds, dw, db, dy, s, w []float32, T, D int) {
	for t := 0; t < T; t++ {
		dyt := dy[t*D : (t+1)*D]
		addTo(db, dyt)
		for j := 0; j < ttt.ConvWidth; j++ {
			u := t - (ttt.ConvWidth - 1) + j
			if u < 0 {
				continue
			}
			wj, dwj := w[j*D:(j+1)*D], dw[j*D:(j+1)*D]
			su, dsu := s[u*D:(u+1)*D], ds[u*D:(u+1)*D]
			for m := range dyt {
				dwj[m] += dyt[m] * su[m]
				dsu[m] += wj[m] * dyt[m]
			}
		}
	}
}
