// Package lm is a small character-level language model whose sequence
// layers are TTT layers (Sun et al., arXiv 2407.04620), trained in pure Go:
// float32, standard library only, no cgo, no syscall/js, so it runs in the
// page's WebAssembly as well as on the command line.
//
// Every block is x += Mixer(RMSNorm(x)); x += SwiGLU(RMSNorm(x)) (ttt-spec
// §2.1, Transformer backbone), with tied embeddings and a final RMSNorm. The
// mixer is the TTT layer with TTT-Linear heads (projections θ_Q, θ_K, θ_V,
// RoPE with positions t mod b, the η gate, the inner loop, the post-norm over
// D and θ_O: the same math as ttt.Layer), or one of two baselines trained
// the same way: causal softmax attention and causal linear attention.
//
// The backward pass is written by hand, op by op, each op beside its forward
// and checked against finite differences. Through the TTT layer it
// differentiates the inner loop itself: training runs the dual form
// mini-batch by mini-batch keeping W⁰ at every mini-batch start, and the
// backward walks the mini-batches from the last, through the weight update,
// the η matrix, τ and the LN + L2 inner gradient G.
package lm
