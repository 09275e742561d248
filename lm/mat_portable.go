//go:build !(goexperiment.simd && amd64)

package lm

// SIMD reports whether the matmuls run on SIMD instructions (mat_simd.go).
const SIMD = false

func dot(a, b []float32) float32 { return dotGeneric(a, b) }

// axpy does y += α x.
func axpy(y []float32, alpha float32, x []float32) { axpyGeneric(y, alpha, x) }
