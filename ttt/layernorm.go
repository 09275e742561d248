package ttt

import "math"

// DefaultEps is the LayerNorm epsilon of the official code (biased variance).
const DefaultEps = 1e-6

// LNStats returns the mean μ and the reciprocal std r = 1/sqrt(σ² + eps) of one row.
// The variance is two-pass so that rows with a large mean lose no precision.
func LNStats(z []float32, eps float32) (mu, r float32) {
	n := float32(len(z))
	var s float32
	for _, v := range z {
		s += v
	}
	mu = s / n
	var ss float32
	for _, v := range z {
		c := v - mu
		ss += c * c
	}
	r = 1 / float32(math.Sqrt(float64(ss/n+eps)))
	return mu, r
}

// LayerNorm writes y = γ ⊙ (z − μ)/sqrt(σ² + eps) + β for one row of d features.
// y may alias z.
func LayerNorm(y, z, gamma, beta []float32, eps float32) {
	mu, r := LNStats(z, eps)
	for m := range z {
		y[m] = gamma[m]*(z[m]-mu)*r + beta[m]
	}
}

// LNL2Grad is the fused LayerNorm + L2 backward of one row: it writes
// g = ∂/∂z ½‖LN(z) − target‖² and returns the per-token loss
// mean_d (LN(z) − target)², the MSE the official code logs.
//
//	x̂ = (z − μ) r,   e = γ x̂ + β − target,   h = γ e
//	g = r (h − mean(h) − x̂ mean(h x̂))
func LNL2Grad(g, z, target, gamma, beta []float32, eps float32) (mse float32) {
	mu, r := LNStats(z, eps)
	n := float32(len(z))
	var s1, s2, se float32
	for m := range z {
		xh := (z[m] - mu) * r
		e := gamma[m]*xh + beta[m] - target[m]
		h := gamma[m] * e
		s1 += h
		s2 += h * xh
		se += e * e
		g[m] = h // h for now; finished below once the sums are known
	}
	s1 /= n
	s2 /= n
	for m := range z {
		xh := (z[m] - mu) * r
		g[m] = r * (g[m] - s1 - xh*s2)
	}
	return se / n
}

// LNLoss returns mean_d (LN(z) − target)² for one row.
func LNLoss(z, target, gamma, beta []float32, eps float32) float32 {
	mu, r := LNStats(z, eps)
	var se float32
	for m := range z {
		e := gamma[m]*(z[m]-mu)*r + beta[m] - target[m]
		se += e * e
	}
	return se / float32(len(z))
}
