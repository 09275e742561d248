package ttt

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestGemm checks the blocked kernel against the textbook triple loop on
// shapes that exercise every edge of the 2×4 block, with both strides.
func TestGemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	fill := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		return v
	}
	for _, n := range []int{1, 2, 3, 5, 16} {
		for _, k := range []int{1, 4, 7} {
			for _, m := range []int{1, 3, 4, 9} {
				a, b := fill(n*k), fill(k*m)
				for _, trans := range []bool{false, true} {
					rs, cs := k, 1
					if trans { // a holds Aᵀ [k,n]
						rs, cs = 1, n
					}
					for _, acc := range []bool{false, true} {
						dst := fill(n * m)
						want := append([]float32(nil), dst...)
						for i := 0; i < n; i++ {
							for j := 0; j < m; j++ {
								var s float32
								for p := 0; p < k; p++ {
									s += a[i*rs+p*cs] * b[p*m+j]
								}
								if acc {
									want[i*m+j] += -0.5 * s
								} else {
									want[i*m+j] = -0.5 * s
								}
							}
						}
						gemm(dst, acc, -0.5, a, rs, cs, b, n, k, m)
						d := CompareArray(fmt.Sprintf("gemm n=%d k=%d m=%d trans=%v acc=%v", n, k, m, trans, acc), widen(dst), widen(want), 1e-5, 1e-5)
						if !d.OK() {
							t.Error(d)
						}
					}
				}
			}
		}
	}
}

func BenchmarkGemm(b *testing.B) {
	const n, k, m = 16, 64, 64
	a, w, dst := make([]float32, n*k), make([]float32, k*m), make([]float32, n*m)
	for b.Loop() {
		gemm(dst, false, 1, a, k, 1, w, n, k, m)
	}
	b.ReportMetric(float64(2*n*k*m)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
