// Package lm is a small character-level language model whose sequence
// layers are TTT layers (Sun et al., arXiv 2407.04620), trained in pure Go:
// float32, standard library only, no cgo, no syscall/js, so it runs in the
// page's WebAssembly as well as on the command line.
//
// Every block is x += Mixer(RMSNorm(x)); x += SwiGLU(RMSNorm(x)) (ttt-spec
// §2.1, Transformer backbone), with tied embeddings and a final RMSNorm;
// Config.PreConv puts the Mamba backbone's residual pre_conv,
// x += CausalConv_k4(RMSNorm(x)), in front of each block's mixer. The
// mixer is the TTT layer with TTT-Linear or TTT-MLP heads (projections θ_Q,
// θ_K, θ_V, RoPE with positions t mod b, the η gate, the inner loop, the
// post-norm over D and θ_O: the same math as ttt.Layer), or a baseline
// trained the same way: causal softmax attention, or one of two causal
// linear attentions with a fixed-size state (φ = elu+1 with a normaliser,
// or Theorem 1's tril(Q Kᵀ) V with RoPE).
//
// The backward pass is written by hand, op by op, each op beside its forward
// and checked against finite differences. Through the TTT layer it
// differentiates the inner loop itself: training runs the dual form
// mini-batch by mini-batch keeping W⁰ at every mini-batch start, and the
// backward walks the mini-batches from the last, through the weight update,
// the η matrix, τ and the LN + L2 inner gradient G.
//
// # The page's API
//
// The trained TTT-Linear model is embedded (weights/ttt-linear.safetensors,
// described in weights/MODEL_CARD.md) and streams one character at a time:
//
//	m, err := lm.Pretrained()                 // the embedded weights, parsed once per call
//	st, err := m.NewStream(newHeads)          // newHeads: lm.CPUHeads (nil) or a wrapper of gpu/demo streams
//	tokens, err := lm.Encode("Call me Ishmael")
//	for _, tok := range tokens {
//		step, err := st.Step(tok)             // step.Probs [V]: p(next character)
//		_ = step.Loss                         // −ln p(tok) under the previous Probs (NaN at t = 0)
//		_ = step.Inner                        // [layer][head] ttt.Losses: ℓ(W0), ℓ(W⁰), ℓ(W_{t−1}), ℓ(W_t)
//		W, err := st.Weights()                // [layer][head] *ttt.Weights: each head's W [d,d] and b [d] now
//	}
//	st.Close()
//
// Each layer's heads run behind a HeadStream (Step, Weights, Close), the
// interface the page's devices return too, started by a NewHeadStream
// func(heads []*ttt.Head, W0 []*ttt.Weights) (HeadStream, error) — the shape
// of demo.Device's NewStream, so the page passes a closure over its device
// (WebGPU's gpu.Stream, or the CPU). Vocab is the character set; Decode
// maps tokens back. The stream computes exactly the training forward (the
// test holds them to 1e-4; they measure about 1e-6).
//
// # Training
//
// Trainer runs AdamW (weight decay on matrices only) with linear warm-up and
// cosine decay, gradient clipping, and a batch of sequences in parallel, one
// goroutine and one gradient buffer per sequence summed in a fixed order, so
// a seed gives the same weights whatever GOMAXPROCS is. SaveCheckpoint and
// ResumeTrainer continue a run exactly. Evaluate scores held-out text and
// the loss at each position of the context. `ttt train` drives it all.
package lm
