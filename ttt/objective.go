package ttt

// The inner model's objective. With the official f(x) = x + LN(f_res(x)) the
// loss ½‖f(k) − v‖² is ½‖LN(f_res(k)) − (v − k)‖²: f_res is trained on the
// target v − k, through a LayerNorm. With Head.Plain, f = f_res: no
// LayerNorm, no residual, target v, g = f_res(k) − v — the setting of the
// paper's equivalence with linear attention, and the page's "LN off" switch.

// target writes the regression target of f_res for the token (k, v).
func (h *Head) target(dst, v, k []float32) {
	if h.Plain {
		copy(dst, v)
		return
	}
	sub(dst, v, k)
}

// lossGrad writes g = ∂ℓ/∂z for a prediction z = f_res(k) and returns the
// token's MSE, the loss the official code logs.
func (h *Head) lossGrad(g, z, target []float32) float32 {
	if !h.Plain {
		return LNL2Grad(g, z, target, h.Gamma, h.Beta, h.Eps)
	}
	var se float32
	for m := range z {
		e := z[m] - target[m]
		g[m] = e
		se += e * e
	}
	return se / float32(len(z))
}

// loss returns the MSE of a prediction z = f_res(k).
func (h *Head) loss(z, target []float32) float32 {
	if !h.Plain {
		return LNLoss(z, target, h.Gamma, h.Beta, h.Eps)
	}
	var se float32
	for m := range z {
		e := z[m] - target[m]
		se += e * e
	}
	return se / float32(len(z))
}

// output writes the head's output f(q) from zbar = f_res(q): q + LN(zbar),
// or zbar itself when Plain. z may alias zbar.
func (h *Head) output(z, zbar, q []float32) {
	if h.Plain {
		copy(z, zbar)
		return
	}
	LayerNorm(z, zbar, h.Gamma, h.Beta, h.Eps)
	addTo(z, q)
}
