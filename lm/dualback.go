package lm

// dualBack is the backward of one layer of the dual form's output inside a
// mini-batch of n tokens,
//
//	Zbar_i = Xbar_i W + b − Σ_{j≤i} M_ij G_j,  M_ij = s_i lr_j (A_ij + 1),  A = tril(Xbar Xᵀ)
//
// given dZbar [n,o]: it adds to db [o], dG [n,o], dXbar [n,m], dX [n,m],
// ds [n] and dlr [n]. W's own terms (Xbarᵀ dZbar, dZbar Wᵀ) are the
// caller's. TTT-Linear has one such layer (Xbar = Q, X = K); TTT-MLP two.
func dualBack(dZbar []float32, n, m, o int, M, A, G, Xbar, X, s, lr []float32, db, dG, dXbar, dX, ds, dlr []float32) {
	for i := 0; i < n; i++ {
		zi := dZbar[i*o : (i+1)*o]
		addTo(db, zi)
		for j := 0; j <= i; j++ {
			axpy(dG[j*o:(j+1)*o], -M[i*n+j], zi) // dG_j −= M_ij dZbar_i
			dM := -dot(zi, G[j*o:(j+1)*o])
			eta := s[i] * lr[j]
			dEta := dM * (A[i*n+j] + 1)
			dA := dM * eta
			axpy(dXbar[i*m:(i+1)*m], dA, X[j*m:(j+1)*m])
			axpy(dX[j*m:(j+1)*m], dA, Xbar[i*m:(i+1)*m])
			ds[i] += dEta * lr[j]
			dlr[j] += dEta * s[i]
		}
	}
}

// scaleBack is the backward of the token scales s_i (τ) and of the step
// that carries W to the next mini-batch, e_j = s_n lr_j: given ds [n]
// (∂L/∂s_i so far) and de [n], it adds to dlr [n] and g.tau.
func (h *innerHead) scaleBack(g *innerGrads, ds, de, lr, dlr []float32, sn float32, n int) {
	for j := 0; j < n; j++ {
		ds[n-1] += de[j] * lr[j]
		dlr[j] += de[j] * sn
	}
	for i := 0; i < n; i++ {
		_, dsdt := h.scale(i)
		g.tau[i] += ds[i] * dsdt
	}
}

// targetBack is the backward of G = LNL2Grad(Z, V − K) for n rows of d:
// it writes dZ from dG (through T = V − K, dT) and adds to dV and dK and to
// g's γ and β. xh and dxh are scratch rows.
func (h *innerHead) targetBack(g *innerGrads, dZ, dT, dG, Z, T, dV, dK, xh, dxh []float32, n int) {
	d := h.d
	clear(dZ)
	clear(dT)
	for j := 0; j < n; j++ {
		r := j * d
		lnl2GradBackward(dZ[r:r+d], dT[r:r+d], g.gamma, g.beta, dG[r:r+d], Z[r:r+d], T[r:r+d], h.gamma, h.beta, xh, dxh)
	}
	for i := range dT {
		dV[i] += dT[i]
		dK[i] -= dT[i]
	}
}
