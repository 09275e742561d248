package ttt

// Small dense kernels on row-major float32 slices. They are the CPU twins of
// the tiles the WGSL kernels compute; dst comes first and the caller allocates.

// matmul writes dst[n,m] = a[n,k] @ b[k,m].
func matmul(dst, a, b []float32, n, k, m int) {
	for i := 0; i < n; i++ {
		row := dst[i*m : (i+1)*m]
		clear(row)
		for p, av := range a[i*k : (i+1)*k] {
			if av == 0 {
				continue
			}
			axpy(row, av, b[p*m:(p+1)*m])
		}
	}
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

func dot(a, b []float32) float32 {
	var s float32
	b = b[:len(a)]
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

// axpy does y += α x.
func axpy(y []float32, alpha float32, x []float32) {
	x = x[:len(y)]
	for i := range y {
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
