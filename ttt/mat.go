package ttt

// Small dense kernels on row-major float32 slices. They are the CPU twins of
// the tiles the WGSL kernels compute; dst comes first and the caller allocates.

// matmul writes dst[n,m] = a[n,k] @ b[k,m].
func matmul(dst, a, b []float32, n, k, m int) {
	gemm(dst, false, 1, a, k, 1, b, n, k, m)
}

// matmulBT writes dst[n,m] = a[n,k] @ b[m,k]ᵀ.
func matmulBT(dst, a, b []float32, n, k, m int) {
	for i := 0; i < n; i++ {
		ai := a[i*k : (i+1)*k]
		for j := 0; j < m; j++ {
			dst[i*m+j] = dot(ai, b[j*k:(j+1)*k])
		}
	}
}

// vecmat writes dst[m] = x[k] @ b[k,m].
func vecmat(dst, x, b []float32, k, m int) {
	clear(dst[:m])
	for p, xv := range x[:k] {
		axpy(dst[:m], xv, b[p*m:(p+1)*m])
	}
}

// outerSub does W[k,m] −= α xᵀ[k] g[m], one rank-1 gradient step.
func outerSub(W []float32, alpha float32, x, g []float32) {
	m := len(g)
	for p, xv := range x {
		axpy(W[p*m:(p+1)*m], -alpha*xv, g)
	}
}

// dot and axpy are unrolled by four: the Go compiler does not vectorise, and
// with four independent lanes the loop runs about twice as fast.
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		a4, b4 := a[i:i+4:i+4], b[i:i+4:i+4]
		s0 += a4[0] * b4[0]
		s1 += a4[1] * b4[1]
		s2 += a4[2] * b4[2]
		s3 += a4[3] * b4[3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// axpy does y += α x.
func axpy(y []float32, alpha float32, x []float32) {
	x = x[:len(y)]
	i := 0
	for ; i+4 <= len(y); i += 4 {
		y4, x4 := y[i:i+4:i+4], x[i:i+4:i+4]
		y4[0] += alpha * x4[0]
		y4[1] += alpha * x4[1]
		y4[2] += alpha * x4[2]
		y4[3] += alpha * x4[3]
	}
	for ; i < len(y); i++ {
		y[i] += alpha * x[i]
	}
}

func addTo(y, x []float32) {
	x = x[:len(y)]
	for i := range y {
		y[i] += x[i]
	}
}

func sub(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] - b[i]
	}
}
