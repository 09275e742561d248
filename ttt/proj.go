package ttt

import "math"

// The views a TTT head learns from: projections, the share_qk convolutions,
// RoPE, and the learning-rate gate. They run once per sequence, before the
// inner loop, and are the same for every form and backend.

// Project writes dst [T,m] = X [T,n] @ θ [n,m].
func Project(dst, X, theta []float32, T, n, m int) {
	matmul(dst, X, theta, T, n, m)
}

// ConvWidth is the width of the share_qk causal convolutions.
const ConvWidth = 4

// CausalConv applies a depthwise causal convolution of width 4 with bias and
// zero history to s [T,C]: dst[t] = bias + Σ_{j=0..3} w[j] ⊙ s[t−3+j], w: [4,C].
func CausalConv(dst, s, w, bias []float32, T, C int) {
	for t := 0; t < T; t++ {
		out := dst[t*C : (t+1)*C]
		copy(out, bias)
		for j := 0; j < ConvWidth; j++ {
			src := t - (ConvWidth - 1) + j
			if src < 0 {
				continue
			}
			x, wj := s[src*C:(src+1)*C], w[j*C:(j+1)*C]
			for c := range out {
				out[c] += wj[c] * x[c]
			}
		}
	}
}

// RoPE rotates adjacent pairs (x[2m], x[2m+1]) of every d-wide head slice of
// x [T, heads·d] by the angle (t mod period)·θ^(−2m/d), as a complex product.
// The official code restarts positions every mini-batch (period = b), so q·k
// inside a mini-batch depends only on relative position. An odd d leaves its
// last feature as it is.
func RoPE(x []float32, T, heads, d, period int, theta float64) {
	rotatePairs(x, T, heads, d, period, theta, 1)
}

// RoPEInverse undoes RoPE: the rotation by the opposite angle. It is also
// RoPE's backward, mapping ∂L/∂(rotated x) to ∂L/∂x.
func RoPEInverse(x []float32, T, heads, d, period int, theta float64) {
	rotatePairs(x, T, heads, d, period, theta, -1)
}

// rotatePairs rotates by dir·(t mod period)·θ^(−2m/d) (dir = ±1).
func rotatePairs(x []float32, T, heads, d, period int, theta, dir float64) {
	width := heads * d
	for t := 0; t < T; t++ {
		p := float64(t % period)
		for m := 0; 2*m+1 < d; m++ {
			angle := p * math.Pow(theta, -2*float64(m)/float64(d))
			sin, cos := math.Sincos(angle)
			sin *= dir
			for h := 0; h < heads; h++ {
				i := t*width + h*d + 2*m
				x0, x1 := float64(x[i]), float64(x[i+1])
				x[i] = float32(x0*cos - x1*sin)
				x[i+1] = float32(x0*sin + x1*cos)
			}
		}
	}
}

// LearningRate writes lr_j = baseLR · lrMult · sigmoid(u_j·θ_lr + b_lr) / d for
// every token of U [T,D]. The gate reads the full-width input, not the head's k.
func LearningRate(dst, U, thetaLR []float32, bLR, baseLR, lrMult float32, T, D, d int) {
	for t := 0; t < T; t++ {
		dst[t] = baseLR * lrMult * sigmoid32(dot(U[t*D:(t+1)*D], thetaLR)+bLR) / float32(d)
	}
}
