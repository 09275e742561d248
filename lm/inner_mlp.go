package lm

import (
	"math"

	"tttexplainer/ttt"
)

// The TTT-MLP inner loop of one head over one mini-batch (ttt-spec §3(c),
// TTT-MLP), and its backward. h = 4d is the hidden width.
//
//	Z1  = K W1 + b1,  X2 = gelu(Z1),  Z2 = X2 W2 + b2          [n,h], [n,h], [n,d]
//	G2  = LNL2Grad(Z2, V − K; γ, β)                            [n,d]
//	P1  = G2 W2ᵀ,  G1 = P1 ⊙ gelu′(Z1)                         [n,h]
//	M1  = eta ⊙ (tril(Q Kᵀ) + 1),    Zb1 = Q W1 + b1 − M1 G1    [n,h]
//	Xb2 = gelu(Zb1)
//	M2  = eta ⊙ (tril(Xb2 X2ᵀ) + 1), Zb2 = Xb2 W2 + b2 − M2 G2  [n,d]
//	Z   = Q + LN(Zb2; γ, β)
//	W1' = W1 − Kᵀ(e ⊙ G1),  b1' = b1 − eᵀG1,  W2' = W2 − X2ᵀ(e ⊙ G2),  b2' = b2 − eᵀG2

// mlpWork holds one TTT-MLP mini-batch's temporaries.
type mlpWork struct {
	Z1, X2, P1, G1, Zb1, Xb2  []float32 // [b,h]
	Z2, T, G2, Zb2            []float32 // [b,d]
	A1, A2, M1, M2            []float32 // [b,b]
	s, ds, de                 []float32 // [b]
	dZ1, dX2, dG1, dZb1, dXb2 []float32 // [b,h]
	dZ2, dT, dG2, dZb2        []float32 // [b,d]
	xh, dxh                   []float32 // [d]
	u, v                      []float32 // [h]
}

func newMLPWork(b, d int) *mlpWork {
	h := ttt.Hidden(d)
	f := func(n int) []float32 { return make([]float32, n) }
	return &mlpWork{Z1: f(b * h), X2: f(b * h), P1: f(b * h), G1: f(b * h), Zb1: f(b * h), Xb2: f(b * h),
		Z2: f(b * d), T: f(b * d), G2: f(b * d), Zb2: f(b * d), A1: f(b * b), A2: f(b * b), M1: f(b * b), M2: f(b * b),
		s: f(b), ds: f(b), de: f(b), dZ1: f(b * h), dX2: f(b * h), dG1: f(b * h), dZb1: f(b * h), dXb2: f(b * h),
		dZ2: f(b * d), dT: f(b * d), dG2: f(b * d), dZb2: f(b * d), xh: f(d), dxh: f(d), u: f(h), v: f(h)}
}

// mlpState is a head's TTT-MLP weights, as slices into one buffer.
type mlpState struct{ W1, b1, W2, b2 []float32 }

func mlpSize(d int) int { h := ttt.Hidden(d); return d*h + h + h*d + d }

func mlpView(buf []float32, d int) mlpState {
	h := ttt.Hidden(d)
	return mlpState{W1: buf[:d*h], b1: buf[d*h : d*h+h], W2: buf[d*h+h : 2*d*h+h], b2: buf[2*d*h+h : 2*d*h+h+d]}
}

// geluGrad2 is the derivative of ttt.GeluGrad: with u = √(2/π)(x + 0.044715x³)
// and th = tanh u, gelu″ = (1 − th²)u′ + ½x(1 − th²)(u″ − 2 th u′²).
func geluGrad2(x float32) float32 {
	const c, k = 0.7978845608028654, 0.044715
	u := c * (x + k*x*x*x)
	th := float32(math.Tanh(float64(u)))
	u1 := c * (1 + 3*k*x*x)
	u2 := c * 6 * k * x
	sech2 := 1 - th*th
	return sech2*u1 + 0.5*x*sech2*(u2-2*th*u1*u1)
}

// prepareMLP computes everything up to Zb2 for n tokens at the start state.
func (hd *innerHead) prepareMLP(w *mlpWork, st mlpState, Q, K, V, lr []float32, n int) {
	d := hd.d
	h := ttt.Hidden(d)
	mm(w.Z1, K, st.W1, n, d, h) // K W1     [n,d] @ [d,h] -> [n,h]
	for i := 0; i < n; i++ {
		addTo(w.Z1[i*h:(i+1)*h], st.b1)
	}
	for i, z := range w.Z1[:n*h] {
		w.X2[i] = ttt.Gelu(z)
	}
	mm(w.Z2, w.X2, st.W2, n, h, d) // X2 W2     [n,h] @ [h,d] -> [n,d]
	for i := 0; i < n; i++ {
		r := i * d
		addTo(w.Z2[r:r+d], st.b2)
		for m := 0; m < d; m++ {
			w.T[r+m] = V[r+m] - K[r+m]
		}
		ttt.LNL2Grad(w.G2[r:r+d], w.Z2[r:r+d], w.T[r:r+d], hd.gamma, hd.beta, normEps)
		w.s[i], _ = hd.scale(i)
	}
	clear(w.P1[:n*h])
	mmTB(w.P1, w.G2, st.W2, n, h, d) // G2 W2ᵀ     [n,d] @ [h,d]ᵀ -> [n,h]
	for i, p := range w.P1[:n*h] {
		w.G1[i] = p * ttt.GeluGrad(w.Z1[i])
	}
	mask := func(M, A, X, Y []float32, width int) {
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				if j > i {
					A[i*n+j], M[i*n+j] = 0, 0
					continue
				}
				a := dot(X[i*width:(i+1)*width], Y[j*width:(j+1)*width])
				A[i*n+j] = a
				M[i*n+j] = w.s[i] * lr[j] * (a + 1)
			}
		}
	}
	mask(w.M1, w.A1, Q, K, d)
	mm(w.Zb1, Q, st.W1, n, d, h) // Q W1
	for i := 0; i < n; i++ {
		addTo(w.Zb1[i*h:(i+1)*h], st.b1)
		for j := 0; j <= i; j++ {
			axpy(w.Zb1[i*h:(i+1)*h], -w.M1[i*n+j], w.G1[j*h:(j+1)*h])
		}
	}
	for i, z := range w.Zb1[:n*h] {
		w.Xb2[i] = ttt.Gelu(z)
	}
	mask(w.M2, w.A2, w.Xb2, w.X2, h)
	mm(w.Zb2, w.Xb2, st.W2, n, h, d) // Xb2 W2
	for i := 0; i < n; i++ {
		addTo(w.Zb2[i*d:(i+1)*d], st.b2)
		for j := 0; j <= i; j++ {
			axpy(w.Zb2[i*d:(i+1)*d], -w.M2[i*n+j], w.G2[j*d:(j+1)*d])
		}
	}
}

// forwardMLP computes Z [n,d] and updates the state in place.
func (hd *innerHead) forwardMLP(w *mlpWork, Z []float32, st mlpState, Q, K, V, lr []float32, n int) {
	d := hd.d
	h := ttt.Hidden(d)
	hd.prepareMLP(w, st, Q, K, V, lr, n)
	for i := 0; i < n; i++ {
		r := i * d
		ttt.LayerNorm(Z[r:r+d], w.Zb2[r:r+d], hd.gamma, hd.beta, normEps)
		addTo(Z[r:r+d], Q[r:r+d])
	}
	sn := w.s[n-1]
	for j := 0; j < n; j++ {
		e := sn * lr[j]
		kj, g1, x2, g2 := K[j*d:(j+1)*d], w.G1[j*h:(j+1)*h], w.X2[j*h:(j+1)*h], w.G2[j*d:(j+1)*d]
		for a := 0; a < d; a++ {
			axpy(st.W1[a*h:(a+1)*h], -e*kj[a], g1)
		}
		axpy(st.b1, -e, g1)
		for a := 0; a < h; a++ {
			axpy(st.W2[a*d:(a+1)*d], -e*x2[a], g2)
		}
		axpy(st.b2, -e, g2)
	}
}

// backwardMLP is forwardMLP's backward; dst holds ∂L/∂ of the end state on
// entry and of the start state on return.
func (hd *innerHead) backwardMLP(w *mlpWork, g *innerGrads, dst, st mlpState, Q, K, V, lr, dZ, dQ, dK, dV, dlr []float32, n int) {
	d := hd.d
	h := ttt.Hidden(d)
	hd.prepareMLP(w, st, Q, K, V, lr, n)
	dG1, dG2, dX2, de, ds := w.dG1[:n*h], w.dG2[:n*d], w.dX2[:n*h], w.de[:n], w.ds[:n]
	for _, s := range [][]float32{dG1, dG2, dX2, de, ds} {
		clear(s)
	}
	// The state update.
	sn := w.s[n-1]
	for j := 0; j < n; j++ {
		e := sn * lr[j]
		kj, g1, x2, g2 := K[j*d:(j+1)*d], w.G1[j*h:(j+1)*h], w.X2[j*h:(j+1)*h], w.G2[j*d:(j+1)*d]
		dkj, dg1, dx2, dg2 := dK[j*d:(j+1)*d], dG1[j*h:(j+1)*h], dX2[j*h:(j+1)*h], dG2[j*d:(j+1)*d]
		for a := 0; a < d; a++ { // W1' = W1 − e k g1ᵀ
			v := dot(dst.W1[a*h:(a+1)*h], g1)
			dkj[a] -= e * v
			de[j] -= kj[a] * v
			axpy(dg1, -e*kj[a], dst.W1[a*h:(a+1)*h])
		}
		axpy(dg1, -e, dst.b1)
		de[j] -= dot(g1, dst.b1)
		for a := 0; a < h; a++ { // W2' = W2 − e x2 g2ᵀ
			v := dot(dst.W2[a*d:(a+1)*d], g2)
			dx2[a] -= e * v
			de[j] -= x2[a] * v
			axpy(dg2, -e*x2[a], dst.W2[a*d:(a+1)*d])
		}
		axpy(dg2, -e, dst.b2)
		de[j] -= dot(g2, dst.b2)
	}
	// Z = Q + LN(Zb2).
	dZb2 := w.dZb2[:n*d]
	clear(dZb2)
	for i := 0; i < n; i++ {
		r := i * d
		addTo(dQ[r:r+d], dZ[r:r+d])
		layerNormBackward(dZb2[r:r+d], g.gamma, g.beta, dZ[r:r+d], w.Zb2[r:r+d], hd.gamma)
	}
	// Zb2 = Xb2 W2 + b2 − M2 G2, A2 = tril(Xb2 X2ᵀ).
	dXb2 := w.dXb2[:n*h]
	clear(dXb2)
	mmTB(dXb2, dZb2, st.W2, n, h, d)
	mmTA(dst.W2, w.Xb2, dZb2, n, h, d)
	dualBack(dZb2, n, h, d, w.M2, w.A2, w.G2, w.Xb2, w.X2, w.s, lr, dst.b2, dG2, dXb2, dX2, ds, dlr)
	// Xb2 = gelu(Zb1); Zb1 = Q W1 + b1 − M1 G1, A1 = tril(Q Kᵀ).
	dZb1 := w.dZb1[:n*h]
	for i, z := range w.Zb1[:n*h] {
		dZb1[i] = dXb2[i] * ttt.GeluGrad(z)
	}
	mmTB(dQ, dZb1, st.W1, n, d, h)
	mmTA(dst.W1, Q, dZb1, n, d, h)
	dualBack(dZb1, n, d, h, w.M1, w.A1, w.G1, Q, K, w.s, lr, dst.b1, dG1, dQ, dK, ds, dlr)
	hd.scaleBack(g, ds, de, lr, dlr, sn, n)
	// G1 = P1 ⊙ gelu′(Z1), P1 = G2 W2ᵀ.
	dZ1 := w.dZ1[:n*h]
	dP1 := w.dG1[:n*h] // reused in place: dG1 is not needed after this
	for i := range dZ1 {
		dZ1[i] = dG1[i] * w.P1[i] * geluGrad2(w.Z1[i])
		dP1[i] = dG1[i] * ttt.GeluGrad(w.Z1[i])
	}
	mmAcc(dG2, dP1, st.W2, n, h, d)  // dG2 += dP1 W2
	mmTA(dst.W2, dP1, w.G2, n, h, d) // dW2 += dP1ᵀ G2
	// G2 = LNL2Grad(Z2, V − K).
	dZ2 := w.dZ2[:n*d]
	hd.targetBack(g, dZ2, w.dT[:n*d], dG2, w.Z2, w.T, dV, dK, w.xh, w.dxh, n)
	// Z2 = X2 W2 + b2; X2 = gelu(Z1); Z1 = K W1 + b1.
	mmTB(dX2, dZ2, st.W2, n, h, d)
	mmTA(dst.W2, w.X2, dZ2, n, h, d)
	for j := 0; j < n; j++ {
		addTo(dst.b2, dZ2[j*d:(j+1)*d])
	}
	for i, z := range w.Z1[:n*h] {
		dZ1[i] += dX2[i] * ttt.GeluGrad(z)
	}
	mmTB(dK, dZ1, st.W1, n, d, h)
	mmTA(dst.W1, K, dZ1, n, d, h)
	for j := 0; j < n; j++ {
		addTo(dst.b1, dZ1[j*h:(j+1)*h])
	}
}
