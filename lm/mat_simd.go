//go:build goexperiment.simd && amd64

package lm

import "simd/archsimd"

// SIMD reports whether the matmuls run on SIMD instructions: AVX2, 8 floats
// at a time, where the CPU has it (GOEXPERIMENT=simd builds only).
var SIMD = archsimd.X86.AVX2()

// dot is dotGeneric on 8-wide vectors: lane l of the accumulator is
// dotGeneric's s_l, multiplied and added in separate roundings (no fused
// multiply-add, which Go's scalar code does not use on amd64 either), so
// the bits are the same.
func dot(a, b []float32) float32 {
	if !SIMD || len(a) < 8 {
		return dotGeneric(a, b)
	}
	b = b[:len(a)]
	var acc archsimd.Float32x8
	i := 0
	for ; i+8 <= len(a); i += 8 {
		acc = acc.Add(archsimd.LoadFloat32x8Slice(a[i:]).Mul(archsimd.LoadFloat32x8Slice(b[i:])))
	}
	var s [8]float32
	acc.Store(&s)
	for ; i < len(a); i++ {
		s[0] += a[i] * b[i]
	}
	return reduce8(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7])
}

// axpy does y += α x, 8 lanes at a time: each lane rounds α x_i and then
// the sum, as axpyGeneric does.
func axpy(y []float32, alpha float32, x []float32) {
	if !SIMD || len(x) < 8 {
		axpyGeneric(y, alpha, x)
		return
	}
	y = y[:len(x)]
	a := archsimd.BroadcastFloat32x8(alpha)
	i := 0
	for ; i+8 <= len(x); i += 8 {
		archsimd.LoadFloat32x8Slice(y[i:]).Add(a.Mul(archsimd.LoadFloat32x8Slice(x[i:]))).StoreSlice(y[i:])
	}
	axpyGeneric(y[i:], alpha, x[i:])
}
