// Package ttt is the reference implementation of Test-Time Training layers
// (Sun et al., "Learning to (Learn at Test Time): RNNs with Expressive Hidden
// States", arXiv 2407.04620) as the official code computes them: pure Go,
// float32, standard library only. Every other backend (the WGSL kernels) is
// checked against it, and it is checked against float64 reference cases.
//
// A TTT layer's hidden state is itself a model, f(x; W) = x + LN(f_res(x; W)).
// For every token it reads, the layer takes a gradient step on the
// self-supervised loss ℓ(W; x_t) = ½‖f(k_t; W) − v_t‖², then outputs
// z_t = f(q_t; W_t). Mini-batch GD takes the b gradients of a mini-batch at
// its start W⁰, which makes them independent; the dual form then computes the
// whole mini-batch as matmuls without ever building the per-token W_i.
//
// # Symbols
//
// The code uses the paper's names. Rows are tokens and maps act on the right
// (z = x W + b), as in the official code.
//
//	T       tokens in the sequence
//	D       model width (the layer input u_t is 1×D)
//	H       heads; d = D/H is the head size
//	b       mini-batch size (16 in the paper); the last mini-batch may be shorter
//	XQ      [T,d] test views q_t = u_t θ_Q     (what z_t is computed from)
//	XK      [T,d] training views k_t = u_t θ_K (what the inner model learns from)
//	XV      [T,d] label views v_t = u_t θ_V    (the inner target is v_t − k_t)
//	W, b    TTT-Linear inner weights: W [d,d], b [d]
//	W1, b1  TTT-MLP first layer: W1 [d,4d], b1 [4d] (GELU, tanh approximation)
//	W2, b2  TTT-MLP second layer: W2 [4d,d], b2 [d]
//	W0      the learned initial weights every sequence starts from
//	W⁰      the weights at the start of the current mini-batch
//	γ, β    the LayerNorm inside f (per head, eps 1e-6, biased variance)
//	lr_t    per-token learning rate: base_lr · sigmoid(u_t·θ_lr + b_lr) / d
//	s_i     token scale inside a mini-batch: max(0, 1/i + τ_i)
//	eta     E_ij = s_i lr_j for j ≤ i: the b×b learning-rate matrix
//	G       [b,d] ∂ℓ/∂Z at W⁰, from the fused LayerNorm + L2 backward (LNL2Grad)
//	Z       [T,d] outputs z_t = q_t + LN(f_res(q_t; W_t)) (before the post-norm)
//	A       the stream's running sum Σ_{j≤i} lr_j ∇ℓ_j(W⁰) inside a mini-batch
//
// Inner optimisers of the stream form (Opt, opt.go), one step per mini-batch
// on G = s_i A (plain GD's own step), with m⁰, v⁰ committed at the previous
// mini-batch end and n the step number:
//
//	GD        W̄ = (1 − λ) W⁰ − G
//	Momentum  m̄ = β m⁰ + G;  W̄ = (1 − λ) W⁰ − m̄
//	Adam      m̄ = β m⁰ + (1 − β) G;  v̄ = β₂ v⁰ + (1 − β₂) G²;
//	          W̄ = (1 − λ) W⁰ − α (m̄ / (1 − βⁿ)) / (√(v̄ / (1 − β₂ⁿ)) + ε)
//	λ         decoupled weight decay (forgetting), 0 ≤ λ < 1
//
// # Forms
//
// The four forms compute the same numbers (checked by the ladder tests):
//
//	Naive   online GD, b = 1: one sequential step per token (Eq. 1 of the paper)
//	Primal  mini-batch GD with every virtual W_i materialised (b·d² floats)
//	Dual    mini-batch GD as matmuls: Z = Q W⁰ + b⁰ − (E ⊙ (Q Kᵀ + 1)) G
//	Stream  one token at a time with running sums; W_t is exact after every token
//
// Each returns Z, the per-token losses ℓ(W0; x_t), ℓ(W⁰; x_t), ℓ(W_{t−1}; x_t)
// and ℓ(W_t; x_t) (as the MSE the official code logs), and the final weights.
//
// Layer adds the multi-head projections, the share_qk causal convolutions,
// RoPE, the output post-norm, gate and projection. BareTTT, LinearAttention,
// DeltaRule, SoftmaxAttention and NadarayaWatson are the baselines of the
// paper's two equivalence theorems. Case reads the reference-case format.
package ttt
