package ttt

import "math"

const (
	sqrt2OverPi = 0.7978845608028654 // √(2/π)
	geluC       = 0.044715
)

// Gelu is the tanh approximation the official code uses in forward and backward:
// ½ x (1 + tanh(√(2/π)(x + 0.044715 x³))).
func Gelu(x float32) float32 {
	u := sqrt2OverPi * (x + geluC*x*x*x)
	return 0.5 * x * (1 + tanh32(u))
}

// GeluGrad is d Gelu/dx: ½(1+th) + ½x(1−th²)·√(2/π)(1 + 3·0.044715 x²).
func GeluGrad(x float32) float32 {
	u := sqrt2OverPi * (x + geluC*x*x*x)
	th := tanh32(u)
	return 0.5*(1+th) + 0.5*x*(1-th*th)*sqrt2OverPi*(1+3*geluC*x*x)
}

func tanh32(x float32) float32 { return float32(math.Tanh(float64(x))) }

func sigmoid32(x float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) }
