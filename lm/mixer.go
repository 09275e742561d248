package lm

import "math"

// The per-head cores of the three mixers. Each reads one head's views
// Q, K, V [T,d] and writes its output Z [T,d]; its backward adds to dQ, dK, dV.
// The TTT core is the inner loop of inner.go; these are the baselines.

// attentionForward is causal softmax attention: P = softmax(Q Kᵀ/√d) (causal),
// Z = P V. It keeps P [T,T] for the backward.
func attentionForward(Z, P, Q, K, V []float32, T, d int) {
	scale := float32(1 / math.Sqrt(float64(d)))
	clear(Z[:T*d])
	for i := 0; i < T; i++ {
		row := P[i*T : (i+1)*T]
		mx := float32(math.Inf(-1))
		for j := 0; j <= i; j++ {
			row[j] = dot(Q[i*d:(i+1)*d], K[j*d:(j+1)*d]) * scale
			mx = max(mx, row[j])
		}
		var s float32
		for j := 0; j <= i; j++ {
			row[j] = float32(math.Exp(float64(row[j] - mx)))
			s += row[j]
		}
		for j := 0; j <= i; j++ {
			row[j] /= s
			axpy(Z[i*d:(i+1)*d], row[j], V[j*d:(j+1)*d])
		}
		clear(row[i+1:])
	}
}

// attentionBackward: dV = Pᵀ dZ, dP = dZ Vᵀ, dS = P ⊙ (dP − rowsum(P ⊙ dP)),
// dQ = dS K/√d, dK = dSᵀ Q/√d. dp [T] is scratch.
func attentionBackward(dQ, dK, dV, dZ, P, Q, K, V, dp []float32, T, d int) {
	scale := float32(1 / math.Sqrt(float64(d)))
	for i := 0; i < T; i++ {
		row := P[i*T : (i+1)*T]
		dzi := dZ[i*d : (i+1)*d]
		var s float32
		for j := 0; j <= i; j++ {
			dp[j] = dot(dzi, V[j*d:(j+1)*d])
			s += row[j] * dp[j]
			axpy(dV[j*d:(j+1)*d], row[j], dzi)
		}
		for j := 0; j <= i; j++ {
			ds := row[j] * (dp[j] - s) * scale
			axpy(dQ[i*d:(i+1)*d], ds, K[j*d:(j+1)*d])
			axpy(dK[j*d:(j+1)*d], ds, Q[i*d:(i+1)*d])
		}
	}
}

// phi is linear attention's feature map elu(x) + 1 (Katharopoulos et al.), positive.
func phi(x float32) float32 {
	if x > 0 {
		return x + 1
	}
	return float32(math.Exp(float64(x)))
}

func phiGrad(x float32) float32 {
	if x > 0 {
		return 1
	}
	return float32(math.Exp(float64(x)))
}

// linearAttentionForward is causal linear attention with a normaliser:
//
//	A_ij = φ(q_i)·φ(k_j) (j ≤ i),  z_i = Σ_j A_ij v_j / Σ_j A_ij
//
// equal to the recurrence S_t = S_{t−1} + φ(k_t)ᵀ v_t, n_t = n_{t−1} + φ(k_t),
// z_t = φ(q_t) S_t / φ(q_t)·n_t, whose state is a fixed d×d + d. A [T,T] and
// den [T] are kept for the backward; fq, fk [T,d] hold φ(Q), φ(K).
func linearAttentionForward(Z, A, den, fq, fk, Q, K, V []float32, T, d int) {
	for i := range Q[:T*d] {
		fq[i], fk[i] = phi(Q[i]), phi(K[i])
	}
	clear(Z[:T*d])
	for i := 0; i < T; i++ {
		var s float32
		for j := 0; j <= i; j++ {
			a := dot(fq[i*d:(i+1)*d], fk[j*d:(j+1)*d])
			A[i*T+j] = a
			s += a
			axpy(Z[i*d:(i+1)*d], a, V[j*d:(j+1)*d])
		}
		den[i] = s
		for m := 0; m < d; m++ {
			Z[i*d+m] /= s
		}
	}
}

// linearAttentionBackward: dnum_i = dz_i/den_i, dden_i = −dz_i·z_i/den_i,
// dA_ij = dnum_i·v_j + dden_i, then through A = φ(Q) φ(K)ᵀ.
func linearAttentionBackward(dQ, dK, dV, dZ, Z, A, den, fq, fk, Q, K, V, dfq, dfk []float32, T, d int) {
	clear(dfq[:T*d])
	clear(dfk[:T*d])
	for i := 0; i < T; i++ {
		dzi := dZ[i*d : (i+1)*d]
		dden := -dot(dzi, Z[i*d:(i+1)*d]) / den[i]
		inv := 1 / den[i]
		for j := 0; j <= i; j++ {
			dA := dot(dzi, V[j*d:(j+1)*d])*inv + dden
			axpy(dV[j*d:(j+1)*d], A[i*T+j]*inv, dzi)
			axpy(dfq[i*d:(i+1)*d], dA, fk[j*d:(j+1)*d])
			axpy(dfk[j*d:(j+1)*d], dA, fq[i*d:(i+1)*d])
		}
	}
	for i := range Q[:T*d] {
		dQ[i] += dfq[i] * phiGrad(Q[i])
		dK[i] += dfk[i] * phiGrad(K[i])
	}
}

// bareLinearAttentionForward is Theorem 1's linear attention,
// Z = tril(Q Kᵀ) V, the recurrence S_t = S_{t−1} + k_tᵀ v_t, z_t = q_t S_t.
// It keeps A = tril(Q Kᵀ) [T,T] for the backward.
func bareLinearAttentionForward(Z, A, Q, K, V []float32, T, d int) {
	clear(Z[:T*d])
	for i := 0; i < T; i++ {
		for j := 0; j <= i; j++ {
			a := dot(Q[i*d:(i+1)*d], K[j*d:(j+1)*d])
			A[i*T+j] = a
			axpy(Z[i*d:(i+1)*d], a, V[j*d:(j+1)*d])
		}
	}
}

// bareLinearAttentionBackward: dA = tril(dZ Vᵀ), dV = Aᵀ dZ, dQ = dA K, dK = dAᵀ Q.
func bareLinearAttentionBackward(dQ, dK, dV, dZ, A, Q, K, V []float32, T, d int) {
	for i := 0; i < T; i++ {
		dzi := dZ[i*d : (i+1)*d]
		for j := 0; j <= i; j++ {
			dA := dot(dzi, V[j*d:(j+1)*d])
			axpy(dV[j*d:(j+1)*d], A[i*T+j], dzi)
			axpy(dQ[i*d:(i+1)*d], dA, K[j*d:(j+1)*d])
			axpy(dK[j*d:(j+1)*d], dA, Q[i*d:(i+1)*d])
		}
	}
}
