package ttt

// DualState runs the dual form one mini-batch at a time. It never builds a
// virtual W_i: with E_ij = s_i lr_j (j ≤ i) and every gradient G taken at W⁰,
//
//	q_i W_i + b_i = q_i W⁰ + b⁰ − Σ_{j≤i} E_ij (q_i·k_j + 1) g_j
//
// so a mini-batch of n tokens is a few [n,d]×[d,d] and [n,n]×[n,d] products.
// The state carried to the next mini-batch is W ← W⁰ − Σ_j E_nj k_jᵀ g_j.
// Steady-state steps allocate nothing.
type DualState struct {
	hd *Head
	W  *Weights // W⁰ of the next mini-batch, updated in place

	target, zk, g, zq, row []float32 // [b,d] (row: [d])
	eg, xt                 []float32 // [b,4d] e ⊙ G, the rows of the state update; [4d,b] a transposed input
	M                      []float32 // [b,b] E ⊙ (x_i·y_j + 1), lower triangle
	z1, x2, g1, zb1, xb2   []float32 // [b,4d] MLP only
	z2                     []float32 // [b,d] MLP only
	s                      *scratch  // for ℓ(W0)
}

// NewDualState starts the dual form at W0 (copied).
func NewDualState(hd *Head, W0 *Weights) *DualState {
	b, d := hd.B, hd.D
	st := &DualState{
		hd:     hd,
		W:      W0.Clone(),
		target: make([]float32, b*d),
		zk:     make([]float32, b*d),
		g:      make([]float32, b*d),
		zq:     make([]float32, b*d),
		row:    make([]float32, d),
		M:      make([]float32, b*b),
		eg:     make([]float32, b*Hidden(d)),
		xt:     make([]float32, b*Hidden(d)),
		s:      newScratch(hd.Model, d),
	}
	if hd.Model == MLP {
		h := Hidden(d)
		st.z1, st.x2, st.g1 = make([]float32, b*h), make([]float32, b*h), make([]float32, b*h)
		st.zb1, st.xb2 = make([]float32, b*h), make([]float32, b*h)
		st.z2 = make([]float32, b*d)
	}
	return st
}

// Run computes a whole sequence, mini-batch by mini-batch, into out.
func (st *DualState) Run(out *Result, in *Seq) {
	d, b := st.hd.D, st.hd.B
	for t0 := 0; t0 < in.T(); t0 += b {
		t1 := min(t0+b, in.T())
		st.Step(out.Z[t0*d:t1*d], out.LossStart[t0:t1], out.LossBefore[t0:t1], out.LossAfter[t0:t1],
			in.XQ[t0*d:t1*d], in.XK[t0*d:t1*d], in.XV[t0*d:t1*d], in.LR[t0:t1])
	}
	out.Final.CopyFrom(st.W)
}

// Step takes one mini-batch of n = len(lr) ≤ b tokens (Q, K, V: [n,d]), writes
// Z [n,d] and the per-token losses, and advances W to the end of the mini-batch.
func (st *DualState) Step(Z, lossStart, lossBefore, lossAfter, Q, K, V, lr []float32) {
	if st.hd.Model == MLP {
		st.stepMLP(Z, lossStart, lossBefore, lossAfter, Q, K, V, lr)
		return
	}
	hd, W := st.hd, st.W
	n, d := len(lr), hd.D
	zk, g, zq, target := st.zk[:n*d], st.g[:n*d], st.zq[:n*d], st.target[:n*d]

	matmul(zk, K, W.W, n, d, d) // Zk = K W⁰ + b⁰        [n,d] @ [d,d] -> [n,d]
	addRows(zk, W.B)
	for i := 0; i < n; i++ {
		hd.target(target[i*d:(i+1)*d], V[i*d:(i+1)*d], K[i*d:(i+1)*d]) // v − k (v when Plain)
	}
	for i := 0; i < n; i++ {
		r := i * d
		lossStart[i] = hd.lossGrad(g[r:r+d], zk[r:r+d], target[r:r+d]) // G [n,d]
	}

	matmul(zq, Q, W.W, n, d, d) // Q W⁰ + b⁰              [n,d] @ [d,d] -> [n,d]
	addRows(zq, W.B)
	st.buildM(n, Q, K, d, lr, false) // E ⊙ (Q Kᵀ + 1)      [n,n]
	attnSub(zq, st.M, g, n, d)       // Zbar = Q W⁰ + b⁰ − (E ⊙ (Q Kᵀ + 1)) G
	for i := 0; i < n; i++ {
		r := i * d
		hd.output(Z[r:r+d], zq[r:r+d], Q[r:r+d]) // z = q + LN(Zbar)
	}

	// The losses at W_i and W_{i−1}: the same identity with K in place of Q.
	for _, shift := range []bool{false, true} {
		loss := lossAfter
		if shift {
			loss = lossBefore
		}
		st.buildM(n, K, K, d, lr, shift)
		for i := 0; i < n; i++ {
			r := i * d
			copy(st.row, zk[r:r+d])
			rowAttnSub(st.row, st.M[i*n:i*n+i+1], g, d)
			loss[i] = hd.loss(st.row, target[r:r+d])
		}
	}

	eg := st.scaleRows(g, n, d, lr)                               // e ⊙ G, e_j = E[n−1, j]
	gemm(W.W, true, -1, st.transpose(K, n, d), n, 1, eg, d, n, d) // W −= Kᵀ (e ⊙ G)    [d,n] @ [n,d] -> [d,d]
	sumRowsSub(W.B, eg)                                           // b −= eᵀ G
}

// scaleRows writes e_j·G_j for every row j of G [n,m], with e_j = s_n lr_j the
// last row of E: the weights the state update gives each token's gradient.
func (st *DualState) scaleRows(G []float32, n, m int, lr []float32) []float32 {
	sn := st.hd.Scale(n - 1)
	eg := st.eg[:n*m]
	for j := 0; j < n; j++ {
		e := sn * lr[j]
		for c, v := range G[j*m : (j+1)*m] {
			eg[j*m+c] = e * v
		}
	}
	return eg
}

// transpose writes Xᵀ [m,n] of X [n,m] into scratch: gemm's fast path wants unit-stride rows.
func (st *DualState) transpose(X []float32, n, m int) []float32 {
	xt := st.xt[:n*m]
	for i := 0; i < n; i++ {
		for j, v := range X[i*m : (i+1)*m] {
			xt[j*n+i] = v
		}
	}
	return xt
}

// sumRowsSub does b −= Σ_j X_j over the rows of X [n,len(b)].
func sumRowsSub(b, X []float32) {
	m := len(b)
	for r := 0; r < len(X); r += m {
		axpy(b, -1, X[r:r+m])
	}
}

func (st *DualState) stepMLP(Z, lossStart, lossBefore, lossAfter, Q, K, V, lr []float32) {
	hd, W := st.hd, st.W
	n, d, h := len(lr), hd.D, Hidden(hd.D)
	z1, x2, g1 := st.z1[:n*h], st.x2[:n*h], st.g1[:n*h]
	zb1 := st.zb1[:n*h]
	z2, g2, zq, target := st.z2[:n*d], st.g[:n*d], st.zq[:n*d], st.target[:n*d]

	matmul(z1, K, W.W1, n, d, h) // Z1 = K W1 + b1         [n,d] @ [d,4d] -> [n,4d]
	addRows(z1, W.B1)
	for i, v := range z1 {
		x2[i] = Gelu(v) // X2 = gelu(Z1)
	}
	matmul(z2, x2, W.W2, n, h, d) // Z2 = X2 W2 + b2       [n,4d] @ [4d,d] -> [n,d]
	addRows(z2, W.B2)
	for i := 0; i < n; i++ {
		hd.target(target[i*d:(i+1)*d], V[i*d:(i+1)*d], K[i*d:(i+1)*d])
	}
	for i := 0; i < n; i++ {
		r := i * d
		lossStart[i] = hd.lossGrad(g2[r:r+d], z2[r:r+d], target[r:r+d]) // G2 [n,d]
	}
	matmulBT(g1, g2, W.W2, n, d, h) // G2 W2ᵀ             [n,d] @ [d,4d] -> [n,4d]
	for i, v := range z1 {
		g1[i] *= GeluGrad(v) // G1 = (G2 W2ᵀ) ⊙ gelu'(Z1)
	}

	// Outputs: both layers through the dual identity.
	matmul(zb1, Q, W.W1, n, d, h) // Q W1 + b1             [n,d] @ [d,4d] -> [n,4d]
	addRows(zb1, W.B1)
	st.buildM(n, Q, K, d, lr, false)
	attnSub(zb1, st.M, g1, n, h) // Zbar1 = Q W1 + b1 − (E ⊙ (Q Kᵀ + 1)) G1
	st.layer2(zq, zb1, n, lr)    // Zbar2
	for i := 0; i < n; i++ {
		r := i * d
		hd.output(Z[r:r+d], zq[r:r+d], Q[r:r+d])
	}

	// Losses at W_i and W_{i−1}: K in place of Q, starting from Z1 = K W1 + b1.
	for _, shift := range []bool{false, true} {
		loss := lossAfter
		if shift {
			loss = lossBefore
		}
		copy(zb1, z1)
		st.buildM(n, K, K, d, lr, shift)
		attnSub(zb1, st.M, g1, n, h)
		st.layer2shift(zq, zb1, n, lr, shift)
		for i := 0; i < n; i++ {
			r := i * d
			loss[i] = hd.loss(zq[r:r+d], target[r:r+d])
		}
	}

	eg := st.scaleRows(g1, n, h, lr)
	gemm(W.W1, true, -1, st.transpose(K, n, d), n, 1, eg, d, n, h) // W1 −= Kᵀ (e ⊙ G1)    [d,n] @ [n,4d] -> [d,4d]
	sumRowsSub(W.B1, eg)
	eg = st.scaleRows(g2, n, d, lr)
	gemm(W.W2, true, -1, st.transpose(x2, n, h), n, 1, eg, h, n, d) // W2 −= X2ᵀ (e ⊙ G2)  [4d,n] @ [n,d] -> [4d,d]
	sumRowsSub(W.B2, eg)
}

// layer2 writes Zbar2 = gelu(Zbar1) W2 + b2 − (E ⊙ (Xbar2 X2ᵀ + 1)) G2: the
// second "attention" compares the updated hidden activations with those at W⁰.
func (st *DualState) layer2(dst, zb1 []float32, n int, lr []float32) {
	st.layer2shift(dst, zb1, n, lr, false)
}

func (st *DualState) layer2shift(dst, zb1 []float32, n int, lr []float32, shift bool) {
	W := st.W
	d, h := st.hd.D, Hidden(st.hd.D)
	xb2 := st.xb2[:n*h]
	for i, v := range zb1 {
		xb2[i] = Gelu(v)
	}
	matmul(dst, xb2, W.W2, n, h, d) // Xbar2 W2 + b2       [n,4d] @ [4d,d] -> [n,d]
	addRows(dst, W.B2)
	st.buildM(n, xb2, st.x2[:n*h], h, lr, shift)
	attnSub(dst, st.M, st.g[:n*d], n, d)
}

// buildM fills the lower triangle of M [n,n] with E_ij (x_i·y_j + 1), where
// E_ij = s_i lr_j. With shift it uses row i−1 of E instead (E′_ij = s_{i−1} lr_j
// for j < i), which gives the weights W_{i−1} just before token i.
func (st *DualState) buildM(n int, X, Y []float32, k int, lr []float32, shift bool) {
	M := st.M[:n*n]
	for i := 0; i < n; i++ {
		xi := X[i*k : (i+1)*k]
		row := M[i*n : (i+1)*n]
		if shift {
			row[i] = 0
			if i == 0 {
				continue
			}
			s := st.hd.Scale(i - 1)
			for j := 0; j < i; j++ {
				row[j] = s * lr[j] * (dot(xi, Y[j*k:(j+1)*k]) + 1)
			}
			continue
		}
		s := st.hd.Scale(i)
		for j := 0; j <= i; j++ {
			row[j] = s * lr[j] * (dot(xi, Y[j*k:(j+1)*k]) + 1)
		}
	}
}

// attnSub does dst_i −= Σ_{j≤i} M_ij G_j for dst, G: [n,m] and M: [n,n] lower-triangular.
func attnSub(dst, M, G []float32, n, m int) {
	for i := 0; i < n; i++ {
		rowAttnSub(dst[i*m:(i+1)*m], M[i*n:i*n+i+1], G, m)
	}
}

// rowAttnSub does row −= Σ_j Mi[j] G_j over the given coefficients.
func rowAttnSub(row, Mi, G []float32, m int) {
	for j, c := range Mi {
		if c != 0 {
			axpy(row, -c, G[j*m:(j+1)*m])
		}
	}
}

// addRows adds the bias row b [m] to every row of x [n,m].
func addRows(x, b []float32) {
	m := len(b)
	for r := 0; r < len(x); r += m {
		addTo(x[r:r+m], b)
	}
}
