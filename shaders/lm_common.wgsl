// lm_common.wgsl: the declarations the language model's kernels share
// (lm_mix_in, lm_mix_out, lm_readout). shaders.Source prepends it to each
// of them instead of common.wgsl: they have their own uniform and bindings,
// and between them the per-head stream kernel (stream_linear.wgsl or
// stream_mlp.wgsl) steps the block's TTT heads on its own bind group.
// Together they are one character of lm.Stream.Step:
//
//   x = E[token]                                        [D]
//   per block:  x += CausalConv(RMSNorm_conv(x))        (PreConv)
//               a = RMSNorm(x);  XQ, XK, XV = a θ_Q, a θ_K, a θ_V  (or share_qk's convs of a θ_QK), RoPE
//               eta_h = base_lr σ(a θ_lr,h + b_lr,h) / d
//               Z = the heads' stream step (per-head kernel)          [H,d]
//               x += LN(Z) θ_O;  x += SwiGLU(RMSNorm(x))
//   logits = RMSNorm(x) Eᵀ,  probs = softmax(logits)    [V]
//
// Bindings (one bind group per block; the readout uses the last block's):
//   @binding(0) L    uniform LMParams, one 256-byte slot per dispatch (dynamic offset)
//   @binding(1) prm  read       the model's parameters, each tensor at its offset in L,
//                               and the RoPE table cos | sin [b, d/2]
//   @binding(2) act  read_write the activations x, a, y, s [D], hg [F], each block's
//                               conv histories [3, D], logits, probs [V], stat (max, ln Σ exp);
//                               every array between guard words that no kernel may touch
//   @binding(3) hseq read_write the block's head inputs in common.wgsl's seq layout at T = 1:
//                               XQ [H,d] | XK [H,d] | XV [H,d] | eta [H]
//   @binding(4) hout read       the block's head outputs (common.wgsl's outb): Z [H,d] at L.outZ
//
// Each kernel is one workgroup of 64 invocations: the model is small (D = 64
// in the page), so one character is latency, not arithmetic, and on lavapipe
// 64 ran a character in about 6 ms against 9 ms for 256 (every invocation
// repeats the reductions below). Invocation i owns the output columns
// i, i + 64, …; a reduction over D (an RMSNorm's
// mean square, the LayerNorm's mean and variance, the softmax's max and sum)
// is computed by every invocation on its own, in the CPU's order, which costs
// D (or V) loop iterations and saves a barrier. lavapipe stops an invocation
// after 65535 loop iterations in all (common.wgsl's note): the Go side keeps
// D, F and V small enough (gpu.MaxLMWidth, MaxLMFFN, MaxLMVocab) that the
// longest kernel stays far below it.
// Nothing here needs an optional feature; WGSL may assume no Inf or NaN, so
// no exp is taken of a positive argument without a clamp.

struct LMParams {
  D: u32, H: u32, headD: u32, F: u32, // width, heads, head size d = D/H, FFN width
  V: u32,
  token: u32,   // this character's index into the vocabulary
  pos: u32,     // t mod b: the RoPE position inside the mini-batch
  embed: u32,   // 1 in the first block: x = E[token] first
  preConv: u32, // 1: the block has the residual pre_conv
  shareQK: u32, // 1: XQ, XK are conv_q, conv_k of s = a θ_QK (theta_q holds θ_QK)
  baseLR: f32,  // the inner base learning rate
  eps: f32,     // RMSNorm and LayerNorm epsilon
  // Offsets in prm (the block's tensors; E and normF are the model's).
  E: u32, normF: u32, convNorm: u32, convW: u32,
  convB: u32, norm1: u32, thetaQ: u32, thetaK: u32,
  thetaV: u32, thetaO: u32, convQW: u32, convQB: u32,
  convKW: u32, convKB: u32, postGamma: u32, postBeta: u32,
  thetaLR: u32, bLR: u32, norm2: u32, wGate: u32,
  wUp: u32, wDown: u32, ropeCos: u32, ropeSin: u32,
  // Offsets in act (hist, qkHist: the block's).
  x: u32, a: u32, y: u32, s: u32,
  hg: u32, hist: u32, qkHist: u32, logits: u32,
  probs: u32, stat: u32,
  outZ: u32,    // offset of Z in hout
  pad: u32,
}

@group(0) @binding(0) var<uniform> L: LMParams;
@group(0) @binding(1) var<storage, read> prm: array<f32>;
@group(0) @binding(2) var<storage, read_write> act: array<f32>;
@group(0) @binding(3) var<storage, read_write> hseq: array<f32>;
@group(0) @binding(4) var<storage, read> hout: array<f32>;

const WG: u32 = 64u; // invocations of every LM kernel's one workgroup
const CONV: u32 = 4u; // ttt.ConvWidth

// rms_r returns 1/rms(act[x .. x+D)) = 1/sqrt(mean(x²) + eps), summed in order
// as lm's rmsNormForward does.
fn rms_r(x: u32) -> f32 {
  var ss = 0.0;
  for (var m = 0u; m < L.D; m++) {
    let v = act[x + m];
    ss += v * v;
  }
  return 1.0 / sqrt(ss / f32(L.D) + L.eps);
}

// sigmoid as lm's; the clamp keeps exp finite (σ(±30) is 1 or 1e-13 either way).
fn sigmoid(x: f32) -> f32 { return 1.0 / (1.0 + exp(-clamp(x, -30.0, 30.0))); }
fn silu(x: f32) -> f32 { return x * sigmoid(x); }

// conv_step is column m of one token of a causal depthwise convolution of
// width 4 (lm's convStep): y = b + Σ_{j<3} w[j] ⊙ hist[j] + w[3] ⊙ cur, where
// act[hist ..] holds the previous three inputs [3, D], oldest first.
fn conv_step(m: u32, hist: u32, cur: f32, w: u32, b: u32) -> f32 {
  let D = L.D;
  var y = prm[b + m];
  for (var j = 0u; j + 1u < CONV; j++) {
    y += prm[w + j * D + m] * act[hist + j * D + m];
  }
  return y + prm[w + (CONV - 1u) * D + m] * cur;
}

// push_history shifts cur into column m of the history (lm's pushHistory):
// only the invocation that owns column m touches it.
fn push_history(m: u32, hist: u32, cur: f32) {
  let D = L.D;
  for (var j = 0u; j + 2u < CONV; j++) {
    act[hist + j * D + m] = act[hist + (j + 1u) * D + m];
  }
  act[hist + (CONV - 2u) * D + m] = cur;
}
