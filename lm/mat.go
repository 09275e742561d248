package lm

// Dense float32 kernels, row-major. dst comes first; the caller allocates.
// Loops run i-p-j so the inner loop streams a row of b: the Go compiler does
// not vectorise, and this order keeps the hot loop free of strided loads.

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
			row := b[p*m : (p+1)*m]
			for j, bv := range row {
				out[j] += av * bv
			}
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
			out := dst[p*m : (p+1)*m]
			for j, bv := range brow {
				out[j] += av * bv
			}
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

func dot(a, b []float32) float32 {
	var s0, s1, s2, s3 float32
	b = b[:len(a)]
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// axpy does y += α x.
func axpy(y []float32, alpha float32, x []float32) {
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
