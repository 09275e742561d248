package ttt

// Token-level pieces of the inner model shared by the naive, primal and
// stream forms: f_res for one row, the per-token loss, and the gradient of
// ℓ = ½‖LN(f_res(k)) − (v − k)‖² with respect to every weight.

// scratch holds the per-token temporaries of one head, so steady-state steps allocate nothing.
type scratch struct {
	z, g, target []float32 // [d] prediction, ∂ℓ/∂z (G, or G2 for the MLP), v − k
	z1, x2, g1   []float32 // [4d] MLP only: x W1 + b1, gelu of it, ∂ℓ/∂z1
}

func newScratch(m Model, d int) *scratch {
	s := &scratch{z: make([]float32, d), g: make([]float32, d), target: make([]float32, d)}
	if m == MLP {
		h := Hidden(d)
		s.z1, s.x2, s.g1 = make([]float32, h), make([]float32, h), make([]float32, h)
	}
	return s
}

// fres writes z = f_res(x; w) for one row; for the MLP it leaves z1 = x W1 + b1
// and x2 = gelu(z1) in the scratch.
func (s *scratch) fres(z, x []float32, w *Weights) {
	d := w.D
	if w.Model == Linear {
		vecmat(z, x, w.W, d, d) // [d] @ [d,d] -> [d]
		addTo(z, w.B)
		return
	}
	h := Hidden(d)
	vecmat(s.z1, x, w.W1, d, h) // [d] @ [d,4d] -> [4d]
	addTo(s.z1, w.B1)
	for i, v := range s.z1 {
		s.x2[i] = Gelu(v)
	}
	vecmat(z, s.x2, w.W2, h, d) // [4d] @ [4d,d] -> [d]
	addTo(z, w.B2)
}

// loss returns the MSE of the token (k, target) at w.
func (s *scratch) loss(hd *Head, w *Weights, k, target []float32) float32 {
	s.fres(s.z, k, w)
	return hd.loss(s.z, target)
}

// output writes z = f(q; w) = q + LN(f_res(q; w)).
func (s *scratch) output(hd *Head, z []float32, w *Weights, q []float32) {
	s.fres(z, q, w)
	hd.output(z, z, q)
}

// grad takes token (k, v) at w: it sets the target (v − k), g = ∂ℓ/∂z (and for the
// MLP x2 and g1 = (g W2ᵀ) ⊙ gelu'(z1)) and returns the token's MSE at w.
func (s *scratch) grad(hd *Head, w *Weights, k, v []float32) float32 {
	hd.target(s.target, v, k)
	s.fres(s.z, k, w)
	mse := hd.lossGrad(s.g, s.z, s.target)
	if w.Model == MLP {
		h := Hidden(w.D)
		for i := 0; i < h; i++ {
			s.g1[i] = dot(w.W2[i*w.D:(i+1)*w.D], s.g) * GeluGrad(s.z1[i]) // (g [d] @ W2ᵀ [d,4d]) ⊙ gelu'
		}
	}
	return mse
}

// step does w −= α ∇_w ℓ with the gradient left by grad for input k.
// With α = −lr on zero weights it accumulates lr·∇ instead.
func (s *scratch) step(w *Weights, alpha float32, k []float32) {
	if w.Model == Linear {
		outerSub(w.W, alpha, k, s.g) // W −= α kᵀ g
		axpy(w.B, -alpha, s.g)
		return
	}
	outerSub(w.W1, alpha, k, s.g1) // W1 −= α kᵀ g1
	axpy(w.B1, -alpha, s.g1)
	outerSub(w.W2, alpha, s.x2, s.g) // W2 −= α x2ᵀ g2
	axpy(w.B2, -alpha, s.g)
}

// lossW0 fills ℓ(W0; x_t) for every token, a block of rows at a time.
func (hd *Head) lossW0(dst []float32, W0 *Weights, in *Seq) {
	const block = 64
	d, h := hd.D, Hidden(hd.D)
	z, target := make([]float32, block*d), make([]float32, block*d)
	var z1, x2 []float32
	if hd.Model == MLP {
		z1, x2 = make([]float32, block*h), make([]float32, block*h)
	}
	for t0 := 0; t0 < len(dst); t0 += block {
		n := min(block, len(dst)-t0)
		K, V := in.XK[t0*d:(t0+n)*d], in.XV[t0*d:(t0+n)*d]
		fresRows(z[:n*d], K, W0, n, z1, x2)
		for i := 0; i < n; i++ {
			r := i * d
			hd.target(target[r:r+d], V[r:r+d], K[r:r+d])
			dst[t0+i] = hd.loss(z[r:r+d], target[r:r+d])
		}
	}
}

// fresRows writes Z [n,d] = f_res(X; w) for the n rows of X [n,d]; the MLP
// uses z1 and x2 ([n,4d] or larger) for its hidden layer.
func fresRows(Z, X []float32, w *Weights, n int, z1, x2 []float32) {
	d := w.D
	if w.Model == Linear {
		matmul(Z, X, w.W, n, d, d) // X W + b     [n,d] @ [d,d] -> [n,d]
		addRows(Z, w.B)
		return
	}
	h := Hidden(d)
	z1, x2 = z1[:n*h], x2[:n*h]
	matmul(z1, X, w.W1, n, d, h) // X W1 + b1     [n,d] @ [d,4d] -> [n,4d]
	addRows(z1, w.B1)
	for i, v := range z1 {
		x2[i] = Gelu(v)
	}
	matmul(Z, x2, w.W2, n, h, d) // gelu(·) W2 + b2   [n,4d] @ [4d,d] -> [n,d]
	addRows(Z, w.B2)
}
