package lm

// Dense float32 kernels, row-major. dst comes first; the caller allocates.
// Loops run i-p-j so the inner loop is an axpy over a row of b, and every
// matmul ends in axpy or dot: the Go compiler does not vectorise, so those
// two have SIMD versions (mat_simd.go, GOEXPERIMENT=simd on amd64) that give
// the same bits as the portable ones here (axpyGeneric, dotGeneric).

// mm writes dst [n,m] = a [n,k] @ b [k,m].
func mm(dst, a, b []float32, n, k, m int) {
	clear(dst[:n*m])
	mmAcc(dst, a, b, n, k, m)
}

// mmAcc adds a [n,k] @ b [k,m] to dst [n,m].
func mmAcc(dst, a, b []float32, n, k, m int) {
	for i := 0; i < n; i++ {
		out := dst[i*m : (i+1)*m]
		for p, av := range a[i*k : (i+1)*k] {
			if av == 0 {
				continue
			}
			axpy(out, av, b[p*m:(p+1)*m])
		}
	}
}

// mmTA adds aᵀ @ b to dst [k,m], with a [n,k] and b [n,m]: a weight's gradient.
func mmTA(dst, a, b []float32, n, k, m int) {
	for i := 0; i < n; i++ {
		brow := b[i*m : (i+1)*m]
		for p, av := range a[i*k : (i+1)*k] {
			if av == 0 {
				continue
			}
			axpy(dst[p*m:(p+1)*m], av, brow)
		}
	}
}

// mmTB adds a @ bᵀ to dst [n,k], with a [n,m] and b [k,m]: an input's gradient.
func mmTB(dst, a, b []float32, n, k, m int) {
	for i := 0; i < n; i++ {
		arow := a[i*m : (i+1)*m]
		out := dst[i*k : (i+1)*k]
		for p := 0; p < k; p++ {
			out[p] += dot(arow, b[p*m:(p+1)*m])
		}
	}
}

// dotGeneric is Σ a[i] b[i] in eight running sums, lane l taking every
// i ≡ l mod 8 (the tail goes to lane 0), added in a fixed tree: the order
// an 8-wide SIMD accumulator sums in, so both give the same bits.
func dotGeneric(a, b []float32) float32 {
	var s0, s1, s2, s3, s4, s5, s6, s7 float32
	b = b[:len(a)]
	i := 0
	for ; i+8 <= len(a); i += 8 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
		s4 += a[i+4] * b[i+4]
		s5 += a[i+5] * b[i+5]
		s6 += a[i+6] * b[i+6]
		s7 += a[i+7] * b[i+7]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return reduce8(s0, s1, s2, s3, s4, s5, s6, s7)
}

// reduce8 adds eight lanes in the tree both dots use.
func reduce8(s0, s1, s2, s3, s4, s5, s6, s7 float32) float32 {
	return ((s0 + s4) + (s2 + s6)) + ((s1 + s5) + (s3 + s7))
}

// axpyGeneric does y += α x.
func axpyGeneric(y []float32, alpha float32, x []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}

func addTo(y, x []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += v
	}
}
