package lm

import (
	"math"

	"tttexplainer/ttt"
)

// The TTT-Linear inner loop of one head over one mini-batch, and its
// backward. The forward is the dual form of ttt-spec §3(c); the backward
// differentiates through it — through the inner gradient G (the LN + L2
// backward), the η matrix, τ, and the weight update — so the outer loop can
// learn W0, b0, γ, β, τ, the η gate and the projections. Training keeps W⁰
// at every mini-batch start and runs this backward mini-batch by mini-batch
// from the last.
//
//	Zk   = K W + b                   [n,d]  predictions at W⁰
//	G    = LNL2Grad(Zk, V − K; γ, β)  [n,d]
//	eta  = tril(s ⊗ lr)               [n,n]  eta_ij = s_i lr_j
//	M    = eta ⊙ (tril(Q Kᵀ) + 1)     [n,n]
//	Zbar = Q W + b − M G              [n,d]
//	Z    = Q + LN(Zbar; γ, β)         [n,d]
//	W'   = W − Kᵀ (e ⊙ G),  b' = b − eᵀ G,  e_j = s_n lr_j

// innerHead is one head's fixed settings: LN γ, β [d], τ [b].
type innerHead struct {
	d, b        int
	gamma, beta []float32
	tau         []float32
	tauExp      bool // s_i = exp(τ_i)/i instead of max(0, 1/i + τ_i)
}

// scale returns s_i for position pos = i−1 and ∂s_i/∂τ_i: the official
// s_i = max(0, 1/i + τ_i) (∂ = 1 where positive, 0 where clamped), or with
// tauExp s_i = exp(τ_i)/i, which no τ can make 0 (∂ = s_i).
func (h *innerHead) scale(pos int) (s, ds float32) {
	if h.tauExp {
		s = float32(math.Exp(float64(h.tau[pos]))) / float32(pos+1)
		return s, s
	}
	s = 1/float32(pos+1) + h.tau[pos]
	if s <= 0 {
		return 0, 0
	}
	return s, 1
}

// clampTau is τ' with max(0, 1/i + τ'_i) = exp(τ_i)/i: the exp
// parametrisation in the official clamp form that ttt.Head (and the WGSL
// stream kernel) compute.
func clampTau(tau []float32) []float32 {
	out := make([]float32, len(tau))
	for i, t := range tau {
		out[i] = float32(math.Exp(float64(t)))/float32(i+1) - 1/float32(i+1)
	}
	return out
}

// innerWork holds one mini-batch's temporaries, sized for b tokens.
type innerWork struct {
	Zk, T, G, Zbar []float32 // [b,d]
	M, A           []float32 // [b,b]
	s              []float32 // [b]
	dG, dZbar, dZk []float32 // [b,d]
	de, ds         []float32 // [b]
	xh, dxh        []float32 // [d]
	dT             []float32 // [b,d]
}

func newInnerWork(b, d int) *innerWork {
	f := func(n int) []float32 { return make([]float32, n) }
	return &innerWork{Zk: f(b * d), T: f(b * d), G: f(b * d), Zbar: f(b * d), M: f(b * b), A: f(b * b), s: f(b),
		dG: f(b * d), dZbar: f(b * d), dZk: f(b * d), de: f(b), ds: f(b), xh: f(d), dxh: f(d), dT: f(b * d)}
}

// prepare computes Zk, the target T = V − K, G, s, A = tril(Q Kᵀ) and M for
// n tokens at the mini-batch start (W, c).
func (h *innerHead) prepare(w *innerWork, W, c, Q, K, V, lr []float32, n int) {
	d := h.d
	mm(w.Zk, K, W, n, d, d) // K W     [n,d] @ [d,d] -> [n,d]
	for i := 0; i < n; i++ {
		r := i * d
		addTo(w.Zk[r:r+d], c)
		for m := 0; m < d; m++ {
			w.T[r+m] = V[r+m] - K[r+m]
		}
		ttt.LNL2Grad(w.G[r:r+d], w.Zk[r:r+d], w.T[r:r+d], h.gamma, h.beta, normEps)
		w.s[i], _ = h.scale(i)
	}
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			if j > i {
				w.A[i*n+j], w.M[i*n+j] = 0, 0
				continue
			}
			a := dot(Q[i*d:(i+1)*d], K[j*d:(j+1)*d])
			w.A[i*n+j] = a
			w.M[i*n+j] = w.s[i] * lr[j] * (a + 1)
		}
	}
}

// forward computes Z [n,d] for the mini-batch and updates W, c in place to
// the next mini-batch's start.
func (h *innerHead) forward(w *innerWork, Z, W, c, Q, K, V, lr []float32, n int) {
	d := h.d
	h.prepare(w, W, c, Q, K, V, lr, n)
	h.outputs(w, Z, W, c, Q, n)
	sn := w.s[n-1]
	for j := 0; j < n; j++ {
		e := sn * lr[j]
		kj, gj := K[j*d:(j+1)*d], w.G[j*d:(j+1)*d]
		for a := 0; a < d; a++ {
			axpy(W[a*d:(a+1)*d], -e*kj[a], gj) // W −= e_j k_jᵀ g_j
		}
		axpy(c, -e, gj)
	}
}

// outputs writes Zbar = Q W + c − M G and Z = Q + LN(Zbar).
func (h *innerHead) outputs(w *innerWork, Z, W, c, Q []float32, n int) {
	d := h.d
	mm(w.Zbar, Q, W, n, d, d) // Q W     [n,d] @ [d,d] -> [n,d]
	for i := 0; i < n; i++ {
		r := i * d
		addTo(w.Zbar[r:r+d], c)
		for j := 0; j <= i; j++ {
			axpy(w.Zbar[r:r+d], -w.M[i*n+j], w.G[j*d:(j+1)*d]) // − (M G)_i
		}
		ttt.LayerNorm(Z[r:r+d], w.Zbar[r:r+d], h.gamma, h.beta, normEps)
		addTo(Z[r:r+d], Q[r:r+d])
	}
}

// innerGrads are a head's parameter gradients.
type innerGrads struct {
	gamma, beta, tau []float32
}

// backward runs the mini-batch backward from its start (W, c), given dZ
// [n,d] and dW, dc: ∂L/∂ of the end state on entry, of the start state on
// return. It adds to dQ, dK, dV [n,d], dlr [n] and g.
func (h *innerHead) backward(w *innerWork, g *innerGrads, dW, dc, W, c, Q, K, V, lr, dZ, dQ, dK, dV, dlr []float32, n int) {
	d := h.d
	h.prepare(w, W, c, Q, K, V, lr, n)
	dG, de := w.dG[:n*d], w.de[:n]
	clear(dG)
	clear(de)
	// The state update W' = W − Σ e_j k_jᵀ g_j, c' = c − Σ e_j g_j.
	sn := w.s[n-1]
	for j := 0; j < n; j++ {
		e := sn * lr[j]
		kj, gj := K[j*d:(j+1)*d], w.G[j*d:(j+1)*d]
		dgj, dkj := dG[j*d:(j+1)*d], dK[j*d:(j+1)*d]
		// dW' g_jᵀ: ∂/∂k_j = −e_j dW' g_j, ∂/∂e_j = −k_j · dW' g_j.
		for a := 0; a < d; a++ {
			v := dot(dW[a*d:(a+1)*d], gj)
			dkj[a] -= e * v
			de[j] -= kj[a] * v
		}
		for a := 0; a < d; a++ {
			axpy(dgj, -e*kj[a], dW[a*d:(a+1)*d]) // −e_j k_j dW'
		}
		axpy(dgj, -e, dc)
		de[j] -= dot(gj, dc)
	}
	// Z = Q + LN(Zbar).
	dZbar := w.dZbar[:n*d]
	clear(dZbar)
	h.outputsForBackward(w, W, c, Q, n)
	for i := 0; i < n; i++ {
		r := i * d
		addTo(dQ[r:r+d], dZ[r:r+d])
		layerNormBackward(dZbar[r:r+d], g.gamma, g.beta, dZ[r:r+d], w.Zbar[r:r+d], h.gamma)
	}
	// Zbar = Q W + c − M G.
	mmTB(dQ, dZbar, W, n, d, d) // dQ += dZbar Wᵀ     [n,d] @ [d,d]ᵀ -> [n,d]
	mmTA(dW, Q, dZbar, n, d, d) // dW += Qᵀ dZbar     [n,d]ᵀ @ [n,d] -> [d,d]
	dsv := w.ds[:n]             // ∂L/∂s_i
	clear(dsv)
	dualBack(dZbar, n, d, d, w.M, w.A, w.G, Q, K, w.s, lr, dc, dG, dQ, dK, dsv, dlr)
	h.scaleBack(g, dsv, de, lr, dlr, sn, n) // e_j = s_n lr_j
	// G = LNL2Grad(Zk, V − K).
	dZk := w.dZk[:n*d]
	h.targetBack(g, dZk, w.dT[:n*d], dG, w.Zk, w.T, dV, dK, w.xh, w.dxh, n)
	// Zk = K W + c.
	mmTB(dK, dZk, W, n, d, d) // dK += dZk Wᵀ
	mmTA(dW, K, dZk, n, d, d) // dW += Kᵀ dZk
	for j := 0; j < n; j++ {
		addTo(dc, dZk[j*d:(j+1)*d])
	}
}

// outputsForBackward recomputes Zbar (Z itself is not needed).
func (h *innerHead) outputsForBackward(w *innerWork, W, c, Q []float32, n int) {
	d := h.d
	mm(w.Zbar, Q, W, n, d, d)
	for i := 0; i < n; i++ {
		r := i * d
		addTo(w.Zbar[r:r+d], c)
		for j := 0; j <= i; j++ {
			axpy(w.Zbar[r:r+d], -w.M[i*n+j], w.G[j*d:(j+1)*d])
		}
	}
}
