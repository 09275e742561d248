package ttt

import "math"

// Baselines and the two theorems that tie TTT to attention.
//
// Theorem 1: TTT-Linear stripped bare (f(k) = k W, no bias, LN or residual;
// target v; W0 = 0; η = 1; gradients summed, not averaged; batch GD, b = T)
// is causal linear attention, Z = tril(Q Kᵀ) V. With b = 1 the same bare
// learner is the delta rule.
//
// Theorem 2: the Nadaraya–Watson learner with kernel exp(k·q) is causal
// softmax attention.

// LinearAttention writes causal linear attention with the identity feature
// map and no normaliser: z_t = Σ_{s≤t} (q_t·k_s) v_s, i.e. Z = tril(Q Kᵀ) V.
// Q, K, V, Z: [T,d].
func LinearAttention(Z, Q, K, V []float32, T, d int) {
	for t := 0; t < T; t++ {
		z := Z[t*d : (t+1)*d]
		clear(z)
		q := Q[t*d : (t+1)*d]
		for s := 0; s <= t; s++ {
			axpy(z, dot(q, K[s*d:(s+1)*d]), V[s*d:(s+1)*d])
		}
	}
}

// DeltaRule writes the delta rule (DeltaNet) with step η from W0 = 0:
// W_t = W_{t−1} − η k_tᵀ (k_t W_{t−1} − v_t), z_t = q_t W_t.
func DeltaRule(Z, Q, K, V []float32, T, d int, eta float32) {
	W := make([]float32, d*d) // [d,d]
	e := make([]float32, d)
	for t := 0; t < T; t++ {
		k := K[t*d : (t+1)*d]
		vecmat(e, k, W, d, d) // k W      [d] @ [d,d] -> [d]
		sub(e, e, V[t*d:(t+1)*d])
		outerSub(W, eta, k, e)
		vecmat(Z[t*d:(t+1)*d], Q[t*d:(t+1)*d], W, d, d)
	}
}

// SoftmaxAttention writes causal softmax attention without the 1/√d scale
// (fold it into θ_Q): z_t = Σ_{s≤t} exp(q_t·k_s) v_s / Σ_{s≤t} exp(q_t·k_s).
func SoftmaxAttention(Z, Q, K, V []float32, T, d int) {
	a := make([]float32, T)
	for t := 0; t < T; t++ {
		q := Q[t*d : (t+1)*d]
		m := float32(math.Inf(-1))
		for s := 0; s <= t; s++ {
			a[s] = dot(q, K[s*d:(s+1)*d])
			m = max(m, a[s])
		}
		var sum float32
		for s := 0; s <= t; s++ {
			a[s] = float32(math.Exp(float64(a[s] - m))) // shifted by the max: no overflow
			sum += a[s]
		}
		z := Z[t*d : (t+1)*d]
		clear(z)
		for s := 0; s <= t; s++ {
			axpy(z, a[s]/sum, V[s*d:(s+1)*d])
		}
	}
}

// BareTTT runs the bare TTT-Linear learner of Theorem 1 with mini-batch size b:
// inside a mini-batch every gradient kᵀ(k W⁰ − v) is taken at its start W⁰ and
// summed, W_i = W⁰ + Σ_{j≤i} k_jᵀ (v_j − k_j W⁰), z_i = q_i W_i. b = T is batch
// GD (linear attention); b = 1 is the delta rule with η = 1. The dual form
// computes each mini-batch as Q W⁰ + tril(Q Kᵀ)(V − K W⁰). It returns the final W [d,d].
func BareTTT(form Form, Z, Q, K, V []float32, T, d, b int) []float32 {
	W := make([]float32, d*d)   // W⁰ of the current mini-batch, [d,d]
	R := make([]float32, b*d)   // V − K W⁰, the negative gradients wrt the prediction [n,d]
	cur := make([]float32, d*d) // primal: W_i
	for t0 := 0; t0 < T; t0 += b {
		n := min(b, T-t0)
		Qb, Kb, Vb := Q[t0*d:(t0+n)*d], K[t0*d:(t0+n)*d], V[t0*d:(t0+n)*d]
		matmul(R[:n*d], Kb, W, n, d, d) // K W⁰        [n,d] @ [d,d] -> [n,d]
		sub(R[:n*d], Vb, R[:n*d])
		Zb := Z[t0*d : (t0+n)*d]
		if form == Dual {
			matmul(Zb, Qb, W, n, d, d) // Q W⁰
			for i := 0; i < n; i++ {
				for j := 0; j <= i; j++ { // + tril(Q Kᵀ) R
					axpy(Zb[i*d:(i+1)*d], dot(Qb[i*d:(i+1)*d], Kb[j*d:(j+1)*d]), R[j*d:(j+1)*d])
				}
			}
		} else {
			copy(cur, W)
			for i := 0; i < n; i++ {
				outerSub(cur, -1, Kb[i*d:(i+1)*d], R[i*d:(i+1)*d]) // W_i = W_{i−1} + k_iᵀ r_i
				vecmat(Zb[i*d:(i+1)*d], Qb[i*d:(i+1)*d], cur, d, d)
			}
		}
		for j := 0; j < n; j++ {
			outerSub(W, -1, Kb[j*d:(j+1)*d], R[j*d:(j+1)*d]) // W ← W⁰ + Kᵀ R
		}
	}
	return W
}

// NadarayaWatson is the non-parametric learner of Theorem 2: its hidden state
// is the list of (k, v) pairs seen so far; training appends, and the
// prediction is kernel regression with κ(k, q) = exp(k·q).
type NadarayaWatson struct {
	d    int
	K, V []float32 // [n,d] the stored pairs
}

// NewNadarayaWatson returns an empty learner for d-wide tokens.
func NewNadarayaWatson(d int) *NadarayaWatson { return &NadarayaWatson{d: d} }

// Train stores the pair (k, v).
func (nw *NadarayaWatson) Train(k, v []float32) {
	nw.K = append(nw.K, k...)
	nw.V = append(nw.V, v...)
}

// Predict writes z = Σ_s κ(k_s, q) v_s / Σ_s κ(k_s, q).
func (nw *NadarayaWatson) Predict(z, q []float32) {
	n := len(nw.K) / nw.d
	w := make([]float64, n)
	m := math.Inf(-1)
	for s := range w {
		w[s] = float64(dot(nw.K[s*nw.d:(s+1)*nw.d], q))
		m = math.Max(m, w[s])
	}
	var sum float64
	for s := range w {
		w[s] = math.Exp(w[s] - m)
		sum += w[s]
	}
	clear(z)
	for s := range w {
		axpy(z, float32(w[s]/sum), nw.V[s*nw.d:(s+1)*nw.d])
	}
}
