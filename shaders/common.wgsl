// common.wgsl: the declarations every kernel shares. shaders.Source prepends
// it to each kernel, so a kernel file holds only its own op.
//
// One bind group layout serves every kernel (a kernel uses a subset):
//   @binding(0) P    uniform Params, one 256-byte slot per dispatch (dynamic offset)
//   @binding(1) seq  read       XQ [H,T,d] | XK [H,T,d] | XV [H,T,d] | lr [H,T]
//   @binding(2) hp   read       γ [H,d] | β [H,d] | τ [H,b]
//   @binding(3) w0   read       the sequence's initial weights W0 (one weight set at P.w0off)
//   @binding(4) st   read_write weight sets: set k starts at P.st0 + k·P.setStride
//   @binding(5) scr  read_write per-head scratch, head h at h·P.scrStride
//   @binding(6) outb read_write Z [H,T,d] at P.outZ; losses [H,T] at P.outW0, P.outStart,
//                               P.outBefore, P.outAfter
// Every array in st and outb sits between guard words that no kernel may touch;
// the Go side checks them after each submit.
//
// A weight set holds all H heads:
//   TTT-Linear: W [H,d,d] | b [H,d]
//   TTT-MLP:    W1 [H,d,hid] | b1 [H,hid] | W2 [H,hid,d] | b2 [H,d]      (hid = 4d)
//
// d and b are runtime parameters (P.d, P.b): one pipeline serves every size.
// Per-invocation rows are sized by MAXD; the Go side refuses d > MAXD.
// Nothing here needs an optional feature (no f16, no subgroups), and W never
// enters workgroup memory (a 64×64 f32 W alone would fill the 16 KiB).

struct Params {
  H: u32, T: u32, d: u32, b: u32,
  t0: u32,        // first token of this dispatch's mini-batch (or token)
  n: u32,         // tokens in this mini-batch (n ≤ b; the last one may be short)
  pos: u32,       // stream: position of the token inside its mini-batch
  reset: u32,     // stream: 1 when this token closes its mini-batch
  hid: u32,       // MLP hidden width 4d (0 for TTT-Linear)
  setStride: u32, // floats from one weight set to the next in st
  st0: u32,       // offset of weight set 0 in st
  w0off: u32,     // offset of the initial weights in w0
  outZ: u32, outW0: u32, outStart: u32, outBefore: u32,
  outAfter: u32,
  scrStride: u32, // floats of scratch per head
  eps: f32,       // LayerNorm epsilon
  plain: u32,     // 1: f = f_res (no LayerNorm, no residual), target v, g = f_res(k) − v
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> seq: array<f32>;
@group(0) @binding(2) var<storage, read> hp: array<f32>;
@group(0) @binding(3) var<storage, read> w0: array<f32>;
@group(0) @binding(4) var<storage, read_write> st: array<f32>;
@group(0) @binding(5) var<storage, read_write> scr: array<f32>;
@group(0) @binding(6) var<storage, read_write> outb: array<f32>;

const WG: u32 = 256u;  // invocations per workgroup in the per-head kernels
const MAXD: u32 = 128u;

// Views of token t of head h.
fn iq(h: u32, t: u32) -> u32 { return (h * P.T + t) * P.d; }
fn ik(h: u32, t: u32) -> u32 { return P.H * P.T * P.d + (h * P.T + t) * P.d; }
fn iv(h: u32, t: u32) -> u32 { return 2u * P.H * P.T * P.d + (h * P.T + t) * P.d; }
fn lr(h: u32, t: u32) -> f32 { return seq[3u * P.H * P.T * P.d + h * P.T + t]; }

fn gam(h: u32, m: u32) -> f32 { return hp[h * P.d + m]; }
fn bet(h: u32, m: u32) -> f32 { return hp[P.H * P.d + h * P.d + m]; }
// s_i = max(0, 1/i + τ_i) for the 0-based position i inside a mini-batch.
fn scale(h: u32, i: u32) -> f32 { return max(0.0, 1.0 / f32(i + 1u) + hp[2u * P.H * P.d + h * P.b + i]); }

// Offsets inside a weight set that starts at base.
fn oW(base: u32, h: u32) -> u32 { return base + h * P.d * P.d; }
fn oB(base: u32, h: u32) -> u32 { return base + P.H * P.d * P.d + h * P.d; }
fn oW1(base: u32, h: u32) -> u32 { return base + h * P.d * P.hid; }
fn oB1(base: u32, h: u32) -> u32 { return base + P.H * P.d * P.hid + h * P.hid; }
fn oW2(base: u32, h: u32) -> u32 { return base + P.H * P.d * P.hid + P.H * P.hid + h * P.hid * P.d; }
fn oB2(base: u32, h: u32) -> u32 { return base + 2u * P.H * P.d * P.hid + P.H * P.hid + h * P.d; }
fn setBase(k: u32) -> u32 { return P.st0 + k * P.setStride; }
// The number of floats in one weight set (without guards).
fn setSize() -> u32 {
  if (P.hid == 0u) { return P.H * (P.d * P.d + P.d); }
  return P.H * (2u * P.d * P.hid + P.hid + P.d);
}

fn oZ(h: u32, t: u32) -> u32 { return P.outZ + (h * P.T + t) * P.d; }
fn oL(which: u32, h: u32, t: u32) -> u32 { return which + h * P.T + t; }

// gelu_tanh and its derivative, as ttt.Gelu and ttt.GeluGrad. tanh's argument
// is clamped: some backends overflow exp inside tanh for large inputs.
const SQRT2PI: f32 = 0.7978845608028654;
const GELUC: f32 = 0.044715;
fn gelu(x: f32) -> f32 {
  let u = clamp(SQRT2PI * (x + GELUC * x * x * x), -15.0, 15.0);
  return 0.5 * x * (1.0 + tanh(u));
}
fn gelu_grad(x: f32) -> f32 {
  let u = clamp(SQRT2PI * (x + GELUC * x * x * x), -15.0, 15.0);
  let th = tanh(u);
  return 0.5 * (1.0 + th) + 0.5 * x * (1.0 - th * th) * SQRT2PI * (1.0 + 3.0 * GELUC * x * x);
}

// ln_stats returns (μ, r = 1/sqrt(σ² + eps)) of the row scr[z .. z+d), two-pass
// like ttt.lnStats so that a row with a large mean loses no precision.
fn ln_stats(z: u32) -> vec2<f32> {
  let n = f32(P.d);
  var s = 0.0;
  for (var m = 0u; m < P.d; m++) { s += scr[z + m]; }
  let mu = s / n;
  var ss = 0.0;
  for (var m = 0u; m < P.d; m++) { let c = scr[z + m] - mu; ss += c * c; }
  return vec2<f32>(mu, 1.0 / sqrt(ss / n + P.eps));
}

// target_of returns component m of the regression target of f_res for token t
// of head h: v − k, or v itself for a plain head (ttt.Head.target).
fn target_of(h: u32, t: u32, m: u32) -> f32 {
  if (P.plain != 0u) {
    return seq[iv(h, t) + m];
  }
  return seq[iv(h, t) + m] - seq[ik(h, t) + m];
}

// ln_l2_grad is the fused LayerNorm + L2 backward of one row (ttt.LNL2Grad):
// it writes g = ∂/∂z ½‖LN(z) − (v − k)‖² to scr[g ..] for the prediction
// scr[z ..] of token t of head h, and returns the token's MSE.
//   x̂ = (z − μ) r,  e = γ x̂ + β − (v − k),  h = γ e,  g = r (h − mean(h) − x̂ mean(h x̂))
// A plain head has no LayerNorm: g = z − v (ttt.Head.lossGrad).
fn ln_l2_grad(z: u32, g: u32, h: u32, t: u32) -> f32 {
  if (P.plain != 0u) {
    var se = 0.0;
    for (var m = 0u; m < P.d; m++) {
      let e = scr[z + m] - target_of(h, t, m);
      scr[g + m] = e;
      se += e * e;
    }
    return se / f32(P.d);
  }
  let ls = ln_stats(z);
  let n = f32(P.d);
  let kk = ik(h, t);
  let vv = iv(h, t);
  var s1 = 0.0;
  var s2 = 0.0;
  var se = 0.0;
  for (var m = 0u; m < P.d; m++) {
    let xh = (scr[z + m] - ls.x) * ls.y;
    let e = gam(h, m) * xh + bet(h, m) - (seq[vv + m] - seq[kk + m]);
    let hh = gam(h, m) * e;
    s1 += hh;
    s2 += hh * xh;
    se += e * e;
    scr[g + m] = hh; // h for now; finished once the sums are known
  }
  s1 /= n;
  s2 /= n;
  for (var m = 0u; m < P.d; m++) {
    let xh = (scr[z + m] - ls.x) * ls.y;
    scr[g + m] = ls.y * (scr[g + m] - s1 - xh * s2);
  }
  return se / n;
}

// ln_loss returns mean_d (LN(z) − (v − k))² for the row scr[z ..] (ttt.LNLoss),
// or mean_d (z − v)² for a plain head.
fn ln_loss(z: u32, h: u32, t: u32) -> f32 {
  if (P.plain != 0u) {
    var se = 0.0;
    for (var m = 0u; m < P.d; m++) {
      let e = scr[z + m] - target_of(h, t, m);
      se += e * e;
    }
    return se / f32(P.d);
  }
  let ls = ln_stats(z);
  let kk = ik(h, t);
  let vv = iv(h, t);
  var se = 0.0;
  for (var m = 0u; m < P.d; m++) {
    let e = gam(h, m) * (scr[z + m] - ls.x) * ls.y + bet(h, m) - (seq[vv + m] - seq[kk + m]);
    se += e * e;
  }
  return se / f32(P.d);
}

// ln_out writes the head output z_t = q_t + LN(zbar) for the row scr[z ..],
// or zbar itself for a plain head.
fn ln_out(z: u32, h: u32, t: u32) {
  let o = oZ(h, t);
  if (P.plain != 0u) {
    for (var m = 0u; m < P.d; m++) {
      outb[o + m] = scr[z + m];
    }
    return;
  }
  let ls = ln_stats(z);
  let qq = iq(h, t);
  for (var m = 0u; m < P.d; m++) {
    outb[o + m] = seq[qq + m] + gam(h, m) * (scr[z + m] - ls.x) * ls.y + bet(h, m);
  }
}
