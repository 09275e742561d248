package lm

import (
	"math"

	"tttexplainer/ttt"
)

// The block's normalisations, each with its backward twin:
// RMSNorm (the block's pre-norms and the final norm) and LayerNorm (the TTT
// layer's post-norm over D and the LN inside the inner model f).

// normEps is the epsilon of every norm (ttt-spec §6: RMSNorm and LN eps 1e-6).
const normEps = 1e-6

// rmsNormForward writes y = g ⊙ x / rms(x) for each of the n rows of x [n,D]
// and keeps r = 1/rms per row [n] for the backward.
func rmsNormForward(y, r, x, g []float32, n, D int) {
	for i := 0; i < n; i++ {
		row := x[i*D : (i+1)*D]
		var ss float32
		for _, v := range row {
			ss += v * v
		}
		ri := 1 / float32(math.Sqrt(float64(ss/float32(D)+normEps)))
		r[i] = ri
		out := y[i*D : (i+1)*D]
		for m, v := range row {
			out[m] = g[m] * v * ri
		}
	}
}

// rmsNormBackward adds ∂L/∂x to dx [n,D] and ∂L/∂g to dg [D] given dy [n,D].
//
//	x̂ = x r,  y = g ⊙ x̂,  dx = r (g ⊙ dy − x̂ mean(g ⊙ dy ⊙ x̂))
func rmsNormBackward(dx, dg, dy, x, g, r []float32, n, D int) {
	for i := 0; i < n; i++ {
		row, dyr, dxr := x[i*D:(i+1)*D], dy[i*D:(i+1)*D], dx[i*D:(i+1)*D]
		ri := r[i]
		var s float32
		for m, v := range row {
			xh := v * ri
			dg[m] += dyr[m] * xh
			s += g[m] * dyr[m] * xh
		}
		s /= float32(D)
		for m, v := range row {
			dxr[m] += ri * (g[m]*dyr[m] - v*ri*s)
		}
	}
}

// layerNormBackward adds ∂L/∂z to dz [d], ∂L/∂γ to dgam and ∂L/∂β to dbet,
// for y = γ ⊙ x̂ + β, x̂ = (z − μ) r, given dy [d]:
//
//	dx̂ = γ ⊙ dy,  dz = r (dx̂ − mean(dx̂) − x̂ mean(dx̂ ⊙ x̂))
func layerNormBackward(dz, dgam, dbet, dy, z, gamma []float32) {
	mu, r := ttt.LNStats(z, normEps)
	n := float32(len(z))
	var s1, s2 float32
	for m, v := range z {
		xh := (v - mu) * r
		dgam[m] += dy[m] * xh
		dbet[m] += dy[m]
		dxh := gamma[m] * dy[m]
		s1 += dxh
		s2 += dxh * xh
	}
	s1 /= n
	s2 /= n
	for m, v := range z {
		xh := (v - mu) * r
		dz[m] += r * (gamma[m]*dy[m] - s1 - xh*s2)
	}
}

// lnl2GradBackward is the backward of ttt.LNL2Grad, the inner loss's
// gradient g = ∂/∂z ½‖LN(z) − t‖² (ttt-spec §3.4): the outer loop
// differentiates through the inner gradient. Given dg [d] it adds ∂L/∂z to
// dz, ∂L/∂t to dt, and ∂L/∂γ, ∂L/∂β to dgam, dbet.
//
//	x̂ = (z − μ) r,  e = γ x̂ + β − t,  h = γ e,  S1 = mean(h),  S2 = mean(h x̂)
//	g = r (h − S1 − x̂ S2)
func lnl2GradBackward(dz, dt, dgam, dbet, dg, z, t, gamma, beta []float32, xh, dxh []float32) {
	mu, r := ttt.LNStats(z, normEps)
	n := float32(len(z))
	var S1, S2, dr, sumDg, sumDgX float32
	for m, v := range z {
		xh[m] = (v - mu) * r
		h := gamma[m] * (gamma[m]*xh[m] + beta[m] - t[m])
		S1 += h
		S2 += h * xh[m]
	}
	S1 /= n
	S2 /= n
	for m := range z {
		h := gamma[m] * (gamma[m]*xh[m] + beta[m] - t[m])
		dr += dg[m] * (h - S1 - xh[m]*S2)
		sumDg += dg[m]
		sumDgX += dg[m] * xh[m]
	}
	dS1 := -r * sumDg
	dS2 := -r * sumDgX
	for m := range z {
		e := gamma[m]*xh[m] + beta[m] - t[m]
		h := gamma[m] * e
		dh := r*dg[m] + dS1/n + dS2*xh[m]/n
		dxh[m] = -r*dg[m]*S2 + dS2*h/n
		dgam[m] += dh * e
		de := dh * gamma[m]
		dgam[m] += de * xh[m]
		dbet[m] += de
		dt[m] -= de
		dxh[m] += de * gamma[m]
	}
	// x̂ = (z − μ) r, with r's own path: ∂r/∂z_m = −r² x̂_m / n.
	var mdx float32
	for m := range z {
		mdx += dxh[m]
		dr += dxh[m] * xh[m] / r
	}
	mdx /= n
	for m := range z {
		dz[m] += r*(dxh[m]-mdx) - dr*r*r*xh[m]/n
	}
}
