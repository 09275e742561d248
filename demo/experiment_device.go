package demo

import (
	"fmt"
	"math/rand/v2"

	"tttexplainer/ttt"
)

// attender is a device that runs the causal attention baselines (Z, Q, K,
// V: [H,T,d], head-major). GPUDevice has them as WGSL kernels; CPU below.
type attender interface {
	LinearAttention(Z, Q, K, V []float32, H, T, d int) error
	SoftmaxAttention(Z, Q, K, V []float32, H, T, d int) error
}

// LinearAttention runs ttt.LinearAttention per head.
func (CPU) LinearAttention(Z, Q, K, V []float32, H, T, d int) error {
	if err := checkQKV(Z, Q, K, V, H, T, d); err != nil {
		return err
	}
	n := T * d
	for h := range H {
		ttt.LinearAttention(Z[h*n:(h+1)*n], Q[h*n:(h+1)*n], K[h*n:(h+1)*n], V[h*n:(h+1)*n], T, d)
	}
	return nil
}

// SoftmaxAttention runs ttt.SoftmaxAttention per head.
func (CPU) SoftmaxAttention(Z, Q, K, V []float32, H, T, d int) error {
	if err := checkQKV(Z, Q, K, V, H, T, d); err != nil {
		return err
	}
	n := T * d
	for h := range H {
		ttt.SoftmaxAttention(Z[h*n:(h+1)*n], Q[h*n:(h+1)*n], K[h*n:(h+1)*n], V[h*n:(h+1)*n], T, d)
	}
	return nil
}

func checkQKV(Z, Q, K, V []float32, H, T, d int) error {
	n := H * T * d
	if len(Z) != n || len(Q) != n || len(K) != n || len(V) != n {
		return fmt.Errorf("attention: Z, Q, K, V have %d, %d, %d, %d values, want H·T·d = %d", len(Z), len(Q), len(K), len(V), n)
	}
	return nil
}

// attention returns the device's attention kernels.
func (x *exp) attention() (attender, error) {
	a, ok := x.dev.(attender)
	if !ok {
		return nil, fmt.Errorf("the %s backend has no attention kernels", x.dev.Name())
	}
	return a, nil
}

// normals returns n seeded N(0, std²) floats.
func normals(rng *rand.Rand, n int, std float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(std * rng.NormFloat64())
	}
	return v
}

func (x *exp) rng(stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(x.spec.Seed, stream))
}
