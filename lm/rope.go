package lm

import "math"

// ropeToken rotates one token at absolute position t (q, k: [H·d]) as rope does.
func ropeToken(x []float32, t, H, d, period int, theta float64) {
	p := t % period
	for m := 0; 2*m+1 < d; m++ {
		angle := float64(p) * math.Pow(theta, -2*float64(m)/float64(d))
		sin, cos := math.Sincos(angle)
		for h := 0; h < H; h++ {
			i := h*d + 2*m
			x0, x1 := float64(x[i]), float64(x[i+1])
			x[i] = float32(x0*cos - x1*sin)
			x[i+1] = float32(x0*sin + x1*cos)
		}
	}
}

func sigmoid(x float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) }

func silu(x float32) float32 { return x * sigmoid(x) }

// siluGrad is d/dx x·σ(x) = σ(x)(1 + x(1 − σ(x))).
func siluGrad(x float32) float32 {
	s := sigmoid(x)
	return s * (1 + x*(1-s))
}

// crossEntropy writes p = softmax(logits) into probs [V] and returns −ln p[target].
func crossEntropy(probs, logits []float32, target int) float32 {
	mx, logS := softmax(probs, logits)
	return float32(logS - float64(logits[target]-mx))
}

// softmax writes softmax(logits) into probs and returns max(logits) and
// ln Σ exp(logits − max), from which −ln p(i) = logS − (logits[i] − max)
// stays finite when p(i) underflows to 0.
func softmax(probs, logits []float32) (mx float32, logS float64) {
	mx = logits[0]
	for _, v := range logits {
		mx = max(mx, v)
	}
	var s float64
	for i, v := range logits {
		e := math.Exp(float64(v - mx))
		probs[i] = float32(e)
		s += e
	}
	for i := range probs {
		probs[i] = float32(float64(probs[i]) / s)
	}
	return mx, math.Log(s)
}
