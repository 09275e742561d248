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
// lavapipe (llvmpipe) stops every loop of an invocation once the invocation has
// run 65535 loop iterations in all, counting every loop of the shader
// (LP_MAX_TGSI_LOOP_ITERATIONS), and gives wrong results without an error.
// So each invocation's total iteration count must stay below that at the
// largest shapes (d = 128, b = 64): the long inner products below run eight
// terms per iteration, and TestLargestShapes checks the limits.
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
  // The stream's inner optimiser (ttt.Opt; stream_opt_*.wgsl only):
  opt: u32,       // 0 GD, 1 momentum, 2 Adam
  beta1: f32,     // momentum β, Adam β₁
  beta2: f32,     // Adam β₂
  oeps: f32,      // Adam ε
  alpha: f32,     // Adam step size α
  decay: f32,     // λ, decoupled weight decay
  c1: f32,        // Adam bias corrections 1/(1 − β₁ⁿ), 1/(1 − β₂ⁿ) for this mini-batch's step n
  c2: f32,
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

// What every per-head kernel's main starts from: enter(wid) sets the head h
// of this workgroup, its size d, the MLP's hidden width hid, and the
// mini-batch's first token t0 and length n (P.t0, P.n; t = t0, the token of
// a one-token kernel) for the whole invocation. A function's own parameter
// or let of the same name shadows them.
var<private> h: u32;
var<private> d: u32;
var<private> hid: u32;
var<private> n: u32;
var<private> t0: u32;
var<private> t: u32;
fn enter(wid: vec3<u32>) {
  h = wid.x;
  d = P.d;
  hid = P.hid;
  n = P.n;
  t0 = P.t0;
  t = P.t0;
}

// What every per-token kernel's main starts from (one invocation per token
// of every head, gid.x = h·T + t): enter_token(gid) sets h, t, d and hid,
// and is false for the invocations past the last token.
fn enter_token(gid: vec3<u32>) -> bool {
  if (gid.x >= P.H * P.T) {
    return false;
  }
  h = gid.x / P.T;
  t = gid.x % P.T;
  d = P.d;
  hid = P.hid;
  return true;
}

// enter_query is enter_token for an attention query of the chunk of keys
// [P.t0, P.t0 + P.n): false too when every key of the chunk is in t's future.
fn enter_query(gid: vec3<u32>) -> bool {
  return enter_token(gid) && t >= P.t0;
}

// A per-token kernel's output row z [d] and its update z += a·x for a row x
// of seq or w0, eight terms per loop iteration (the lavapipe note above).
var<private> z: array<f32, MAXD>;
fn z_add_seq(a: f32, x: u32) {
  var m = 0u;
  for (; m + 8u <= d; m += 8u) {
    z[m] += a * seq[x + m];
    z[m + 1u] += a * seq[x + m + 1u];
    z[m + 2u] += a * seq[x + m + 2u];
    z[m + 3u] += a * seq[x + m + 3u];
    z[m + 4u] += a * seq[x + m + 4u];
    z[m + 5u] += a * seq[x + m + 5u];
    z[m + 6u] += a * seq[x + m + 6u];
    z[m + 7u] += a * seq[x + m + 7u];
  }
  for (; m < d; m++) {
    z[m] += a * seq[x + m];
  }
}
fn z_add_w0(a: f32, x: u32) {
  var m = 0u;
  for (; m + 8u <= d; m += 8u) {
    z[m] += a * w0[x + m];
    z[m + 1u] += a * w0[x + m + 1u];
    z[m + 2u] += a * w0[x + m + 2u];
    z[m + 3u] += a * w0[x + m + 3u];
    z[m + 4u] += a * w0[x + m + 4u];
    z[m + 5u] += a * w0[x + m + 5u];
    z[m + 6u] += a * w0[x + m + 6u];
    z[m + 7u] += a * w0[x + m + 7u];
  }
  for (; m < d; m++) {
    z[m] += a * w0[x + m];
  }
}

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
// Lin and Mlp are one head's inner weights in the weight set at base.
struct Lin { W: u32, B: u32 }
struct Mlp { W1: u32, B1: u32, W2: u32, B2: u32 }
fn lin(base: u32, h: u32) -> Lin { return Lin(oW(base, h), oB(base, h)); }
fn mlp(base: u32, h: u32) -> Mlp { return Mlp(oW1(base, h), oB1(base, h), oW2(base, h), oB2(base, h)); }
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

// The row-wise LayerNorm helpers run one row per invocation, four features per
// loop iteration: the loop overhead, not the arithmetic, dominated them on lavapipe.

// ln_stats returns (μ, r = 1/sqrt(σ² + eps)) of the row scr[z .. z+d), two-pass
// like ttt.lnStats so that a row with a large mean loses no precision.
fn ln_stats(z: u32) -> vec2<f32> {
  let d = P.d;
  let n = f32(d);
  var s = 0.0;
  var m = 0u;
  for (; m + 4u <= d; m += 4u) {
    s += (scr[z + m] + scr[z + m + 1u]) + (scr[z + m + 2u] + scr[z + m + 3u]);
  }
  for (; m < d; m++) {
    s += scr[z + m];
  }
  let mu = s / n;
  var ss = 0.0;
  m = 0u;
  for (; m + 4u <= d; m += 4u) {
    let c = vec4<f32>(scr[z + m], scr[z + m + 1u], scr[z + m + 2u], scr[z + m + 3u]) - mu;
    ss += dot(c, c);
  }
  for (; m < d; m++) {
    let c = scr[z + m] - mu;
    ss += c * c;
  }
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

// lnl2_term does one feature m of ln_l2_grad's first pass: it leaves h_m = γ e
// in scr[g + m] and returns (h_m, h_m x̂_m, e²).
fn lnl2_term(z: u32, g: u32, h: u32, t: u32, m: u32, ls: vec2<f32>) -> vec3<f32> {
  let xh = (scr[z + m] - ls.x) * ls.y;
  let e = gam(h, m) * xh + bet(h, m) - target_of(h, t, m);
  let hh = gam(h, m) * e;
  scr[g + m] = hh;
  return vec3<f32>(hh, hh * xh, e * e);
}

// ln_l2_grad is the fused LayerNorm + L2 backward of one row (ttt.LNL2Grad):
// it writes g = ∂/∂z ½‖LN(z) − (v − k)‖² to scr[g ..] for the prediction
// scr[z ..] of token t of head h, and returns the token's MSE.
//   x̂ = (z − μ) r,  e = γ x̂ + β − (v − k),  h = γ e,  g = r (h − mean(h) − x̂ mean(h x̂))
// A plain head has no LayerNorm: g = z − v (ttt.Head.lossGrad).
fn ln_l2_grad(z: u32, g: u32, h: u32, t: u32) -> f32 {
  let d = P.d;
  if (P.plain != 0u) {
    var se = 0.0;
    for (var m = 0u; m < d; m++) {
      let e = scr[z + m] - target_of(h, t, m);
      scr[g + m] = e;
      se += e * e;
    }
    return se / f32(d);
  }
  let ls = ln_stats(z);
  let n = f32(d);
  var acc = vec3<f32>(0.0); // Σ h, Σ h x̂, Σ e²
  var m = 0u;
  for (; m + 4u <= d; m += 4u) {
    acc += lnl2_term(z, g, h, t, m, ls) + lnl2_term(z, g, h, t, m + 1u, ls)
         + lnl2_term(z, g, h, t, m + 2u, ls) + lnl2_term(z, g, h, t, m + 3u, ls);
  }
  for (; m < d; m++) {
    acc += lnl2_term(z, g, h, t, m, ls);
  }
  let s1 = acc.x / n;
  let s2 = acc.y / n;
  m = 0u;
  for (; m + 4u <= d; m += 4u) {
    let xh = (vec4<f32>(scr[z + m], scr[z + m + 1u], scr[z + m + 2u], scr[z + m + 3u]) - ls.x) * ls.y;
    let gv = ls.y * (vec4<f32>(scr[g + m], scr[g + m + 1u], scr[g + m + 2u], scr[g + m + 3u]) - s1 - xh * s2);
    scr[g + m] = gv.x;
    scr[g + m + 1u] = gv.y;
    scr[g + m + 2u] = gv.z;
    scr[g + m + 3u] = gv.w;
  }
  for (; m < d; m++) {
    let xh = (scr[z + m] - ls.x) * ls.y;
    scr[g + m] = ls.y * (scr[g + m] - s1 - xh * s2);
  }
  return acc.z / n;
}

// ln_err returns the squared error of feature m of a row with stats ls.
fn ln_err(z: u32, h: u32, t: u32, m: u32, ls: vec2<f32>) -> f32 {
  let e = gam(h, m) * (scr[z + m] - ls.x) * ls.y + bet(h, m) - target_of(h, t, m);
  return e * e;
}

// ln_loss returns mean_d (LN(z) − (v − k))² for the row scr[z ..] (ttt.LNLoss),
// or mean_d (z − v)² for a plain head.
fn ln_loss(z: u32, h: u32, t: u32) -> f32 {
  let d = P.d;
  if (P.plain != 0u) {
    var se = 0.0;
    for (var m = 0u; m < d; m++) {
      let e = scr[z + m] - target_of(h, t, m);
      se += e * e;
    }
    return se / f32(d);
  }
  let ls = ln_stats(z);
  var se = 0.0;
  var m = 0u;
  for (; m + 4u <= d; m += 4u) {
    se += (ln_err(z, h, t, m, ls) + ln_err(z, h, t, m + 1u, ls)) + (ln_err(z, h, t, m + 2u, ls) + ln_err(z, h, t, m + 3u, ls));
  }
  for (; m < d; m++) {
    se += ln_err(z, h, t, m, ls);
  }
  return se / f32(d);
}

// ln_out writes the head output z_t = q_t + LN(zbar) for the row scr[z ..],
// or zbar itself for a plain head.
fn ln_out(z: u32, h: u32, t: u32) {
  let d = P.d;
  let o = oZ(h, t);
  if (P.plain != 0u) {
    for (var m = 0u; m < d; m++) {
      outb[o + m] = scr[z + m];
    }
    return;
  }
  let ls = ln_stats(z);
  let qq = iq(h, t);
  var m = 0u;
  for (; m + 4u <= d; m += 4u) {
    ln_out1(z, h, o, qq, m, ls);
    ln_out1(z, h, o, qq, m + 1u, ls);
    ln_out1(z, h, o, qq, m + 2u, ls);
    ln_out1(z, h, o, qq, m + 3u, ls);
  }
  for (; m < d; m++) {
    ln_out1(z, h, o, qq, m, ls);
  }
}

fn ln_out1(z: u32, h: u32, o: u32, qq: u32, m: u32, ls: vec2<f32>) {
  outb[o + m] = seq[qq + m] + gam(h, m) * (scr[z + m] - ls.x) * ls.y + bet(h, m);
}

// Inner products, eight terms per loop iteration (see the lavapipe note above).
// Each reads n terms x_i · y_i, with x_i and y_i at the offsets and strides given.

fn dot_seq_st(a: u32, b: u32, bs: u32, n: u32) -> f32 {
  var s = 0.0;
  var i = 0u;
  for (; i + 8u <= n; i += 8u) {
    s += seq[a + i] * st[b + (i) * bs] + seq[a + i + 1u] * st[b + (i + 1u) * bs]
       + seq[a + i + 2u] * st[b + (i + 2u) * bs] + seq[a + i + 3u] * st[b + (i + 3u) * bs]
       + seq[a + i + 4u] * st[b + (i + 4u) * bs] + seq[a + i + 5u] * st[b + (i + 5u) * bs]
       + seq[a + i + 6u] * st[b + (i + 6u) * bs] + seq[a + i + 7u] * st[b + (i + 7u) * bs];
  }
  for (; i < n; i++) {
    s += seq[a + i] * st[b + (i) * bs];
  }
  return s;
}

fn dot_scr_st(a: u32, as_: u32, b: u32, bs: u32, n: u32) -> f32 {
  var s = 0.0;
  var i = 0u;
  for (; i + 8u <= n; i += 8u) {
    s += scr[a + (i) * as_] * st[b + (i) * bs] + scr[a + (i + 1u) * as_] * st[b + (i + 1u) * bs]
       + scr[a + (i + 2u) * as_] * st[b + (i + 2u) * bs] + scr[a + (i + 3u) * as_] * st[b + (i + 3u) * bs]
       + scr[a + (i + 4u) * as_] * st[b + (i + 4u) * bs] + scr[a + (i + 5u) * as_] * st[b + (i + 5u) * bs]
       + scr[a + (i + 6u) * as_] * st[b + (i + 6u) * bs] + scr[a + (i + 7u) * as_] * st[b + (i + 7u) * bs];
  }
  for (; i < n; i++) {
    s += scr[a + (i) * as_] * st[b + (i) * bs];
  }
  return s;
}

fn dot_seq_scr(a: u32, b: u32, bs: u32, n: u32) -> f32 {
  var s = 0.0;
  var i = 0u;
  for (; i + 8u <= n; i += 8u) {
    s += seq[a + i] * scr[b + (i) * bs] + seq[a + i + 1u] * scr[b + (i + 1u) * bs]
       + seq[a + i + 2u] * scr[b + (i + 2u) * bs] + seq[a + i + 3u] * scr[b + (i + 3u) * bs]
       + seq[a + i + 4u] * scr[b + (i + 4u) * bs] + seq[a + i + 5u] * scr[b + (i + 5u) * bs]
       + seq[a + i + 6u] * scr[b + (i + 6u) * bs] + seq[a + i + 7u] * scr[b + (i + 7u) * bs];
  }
  for (; i < n; i++) {
    s += seq[a + i] * scr[b + (i) * bs];
  }
  return s;
}

fn dot_scr_scr(a: u32, as_: u32, b: u32, bs: u32, n: u32) -> f32 {
  var s = 0.0;
  var i = 0u;
  for (; i + 8u <= n; i += 8u) {
    s += scr[a + (i) * as_] * scr[b + (i) * bs] + scr[a + (i + 1u) * as_] * scr[b + (i + 1u) * bs]
       + scr[a + (i + 2u) * as_] * scr[b + (i + 2u) * bs] + scr[a + (i + 3u) * as_] * scr[b + (i + 3u) * bs]
       + scr[a + (i + 4u) * as_] * scr[b + (i + 4u) * bs] + scr[a + (i + 5u) * as_] * scr[b + (i + 5u) * bs]
       + scr[a + (i + 6u) * as_] * scr[b + (i + 6u) * bs] + scr[a + (i + 7u) * as_] * scr[b + (i + 7u) * bs];
  }
  for (; i < n; i++) {
    s += scr[a + (i) * as_] * scr[b + (i) * bs];
  }
  return s;
}

fn dot_seq_seq(a: u32, b: u32, n: u32) -> f32 {
  var s = 0.0;
  var i = 0u;
  for (; i + 8u <= n; i += 8u) {
    s += seq[a + i] * seq[b + i] + seq[a + i + 1u] * seq[b + i + 1u]
       + seq[a + i + 2u] * seq[b + i + 2u] + seq[a + i + 3u] * seq[b + i + 3u]
       + seq[a + i + 4u] * seq[b + i + 4u] + seq[a + i + 5u] * seq[b + i + 5u]
       + seq[a + i + 6u] * seq[b + i + 6u] + seq[a + i + 7u] * seq[b + i + 7u];
  }
  for (; i < n; i++) {
    s += seq[a + i] * seq[b + i];
  }
  return s;
}

// lr_k_scr is Σ_{i<n} lr_i · k_i[p] · scr[g + i·gs] over the tokens t0.. of head h:
// one entry of Kᵀ (lr ⊙ G).
fn lr_k_scr(h: u32, t0: u32, p: u32, g: u32, gs: u32, n: u32) -> f32 {
  var s = 0.0;
  var i = 0u;
  for (; i + 8u <= n; i += 8u) {
    s += lr(h, t0 + i) * seq[ik(h, t0 + i) + p] * scr[g + (i) * gs] + lr(h, t0 + i + 1u) * seq[ik(h, t0 + i + 1u) + p] * scr[g + (i + 1u) * gs]
       + lr(h, t0 + i + 2u) * seq[ik(h, t0 + i + 2u) + p] * scr[g + (i + 2u) * gs] + lr(h, t0 + i + 3u) * seq[ik(h, t0 + i + 3u) + p] * scr[g + (i + 3u) * gs]
       + lr(h, t0 + i + 4u) * seq[ik(h, t0 + i + 4u) + p] * scr[g + (i + 4u) * gs] + lr(h, t0 + i + 5u) * seq[ik(h, t0 + i + 5u) + p] * scr[g + (i + 5u) * gs]
       + lr(h, t0 + i + 6u) * seq[ik(h, t0 + i + 6u) + p] * scr[g + (i + 6u) * gs] + lr(h, t0 + i + 7u) * seq[ik(h, t0 + i + 7u) + p] * scr[g + (i + 7u) * gs];
  }
  for (; i < n; i++) {
    s += lr(h, t0 + i) * seq[ik(h, t0 + i) + p] * scr[g + (i) * gs];
  }
  return s;
}

// lr_scr_scr is Σ_{i<n} lr_i · scr[a + i·as] · scr[g + i·gs]: one entry of Xᵀ (lr ⊙ G).
fn lr_scr_scr(h: u32, t0: u32, a: u32, as_: u32, g: u32, gs: u32, n: u32) -> f32 {
  var s = 0.0;
  var i = 0u;
  for (; i + 8u <= n; i += 8u) {
    s += lr(h, t0 + i) * scr[a + (i) * as_] * scr[g + (i) * gs] + lr(h, t0 + i + 1u) * scr[a + (i + 1u) * as_] * scr[g + (i + 1u) * gs]
       + lr(h, t0 + i + 2u) * scr[a + (i + 2u) * as_] * scr[g + (i + 2u) * gs] + lr(h, t0 + i + 3u) * scr[a + (i + 3u) * as_] * scr[g + (i + 3u) * gs]
       + lr(h, t0 + i + 4u) * scr[a + (i + 4u) * as_] * scr[g + (i + 4u) * gs] + lr(h, t0 + i + 5u) * scr[a + (i + 5u) * as_] * scr[g + (i + 5u) * gs]
       + lr(h, t0 + i + 6u) * scr[a + (i + 6u) * as_] * scr[g + (i + 6u) * gs] + lr(h, t0 + i + 7u) * scr[a + (i + 7u) * as_] * scr[g + (i + 7u) * gs];
  }
  for (; i < n; i++) {
    s += lr(h, t0 + i) * scr[a + (i) * as_] * scr[g + (i) * gs];
  }
  return s;
}

// The stream's inner optimisers (ttt.Opt). In the stream_opt kernels set 3
// holds the committed first moment m⁰ and set 4 Adam's second moment v⁰, at
// the same offsets as W⁰ in set 0: i below is an index into set 0.

// opt_w returns W̄ = the optimiser's step from W⁰ = st[i] on G = s_i A (g),
// ttt's optWeight: (1 − λ) W⁰ − G, − (β m⁰ + G), or − α m̂ / (√v̂ + ε).
fn opt_w(i: u32, g: f32) -> f32 {
  let w = (1.0 - P.decay) * st[i];
  if (P.opt == 1u) {
    return w - (P.beta1 * st[i + 3u * P.setStride] + g);
  }
  if (P.opt == 2u) {
    let m = P.beta1 * st[i + 3u * P.setStride] + (1.0 - P.beta1) * g;
    let v = P.beta2 * st[i + 4u * P.setStride] + (1.0 - P.beta2) * g * g;
    return w - P.alpha * (m * P.c1) / (sqrt(v * P.c2) + P.oeps);
  }
  return w - g;
}

// opt_acc adds v to the running sum A (set 1) of element i of W⁰ (set 0)
// and writes W̄ (set 2) = the optimiser's step on G = s A.
fn opt_acc(i: u32, v: f32, s: f32) {
  let a = st[i + P.setStride] + v;
  st[i + P.setStride] = a;
  st[i + 2u * P.setStride] = opt_w(i, s * a);
}

// opt_commit ends a mini-batch for element i of W⁰: W⁰ ← W̄, m⁰ ← m̄,
// v⁰ ← v̄, A ← 0, with G = s A.
fn opt_commit(i: u32, s: f32) {
  let a = i + P.setStride;
  let g = s * st[a];
  st[i] = st[i + 2u * P.setStride];
  let mi = i + 3u * P.setStride;
  let vi = i + 4u * P.setStride;
  if (P.opt == 1u) {
    st[mi] = P.beta1 * st[mi] + g;
  } else if (P.opt == 2u) {
    st[mi] = P.beta1 * st[mi] + (1.0 - P.beta1) * g;
    st[vi] = P.beta2 * st[vi] + (1.0 - P.beta2) * g * g;
  }
  st[a] = 0.0;
}

// The per-head kernels' shared phases. Each loop hands its rows or columns
// out over the workgroup's WG invocations (lid); the kernels put the
// barriers between the phases, in uniform control flow.

// cols4 is the four columns m0.. of a 4-wide register tile, each clamped to
// d − 1: a missing column reads a valid neighbour and is not stored.
fn cols4(m0: u32) -> vec4<u32> {
  let e = P.d - 1u;
  return vec4<u32>(min(m0, e), min(m0 + 1u, e), min(m0 + 2u, e), min(m0 + 3u, e));
}

// xw_tile is a 4×4 register tile of X W + b for TTT-Linear weights w in st:
// rows x (offsets in seq), columns c. 8 loads feed 16 multiply-adds.
fn xw_tile(x: vec4<u32>, w: Lin, c: vec4<u32>) -> mat4x4<f32> {
  let bias = vec4<f32>(st[w.B + c.x], st[w.B + c.y], st[w.B + c.z], st[w.B + c.w]);
  var a = mat4x4<f32>(bias, bias, bias, bias);
  for (var p = 0u; p < P.d; p++) {
    let r = w.W + p * P.d;
    let wv = vec4<f32>(st[r + c.x], st[r + c.y], st[r + c.z], st[r + c.w]);
    a[0] += seq[x.x + p] * wv;
    a[1] += seq[x.y + p] * wv;
    a[2] += seq[x.z + p] * wv;
    a[3] += seq[x.w + p] * wv;
  }
  return a;
}

// store4 stores the columns m0..m0+3 that exist (< d) of one row at scr[o ..].
fn store4(o: u32, m0: u32, v: vec4<f32>) {
  for (var j = 0u; j < 4u; j++) {
    if (m0 + j < P.d) {
      scr[o + m0 + j] = v[j];
    }
  }
}

// Rows are the five [b,d] blocks of per-token rows that the mini-batch
// kernels keep in scratch (the per-token kernels, b = 1, the first four):
// Z, the predictions at W⁰ from K; G, their gradients; and the rows the
// outputs and losses come from: Q at W_i, K at W_i (A), K at W_{i−1} (B).
struct Rows { Z: u32, G: u32, Q: u32, A: u32, B: u32, end: u32 }
fn rows(s: u32) -> Rows {
  let bd = P.b * P.d;
  return Rows(s, s + bd, s + 2u * bd, s + 3u * bd, s + 4u * bd, s + 5u * bd);
}

// start_grads writes G = LNL2Grad(Z) for the n rows of zr, one row per
// invocation, and each token's loss_start.
fn start_grads(lid: u32, h: u32, zr: Rows) {
  for (var i = lid; i < P.n; i += WG) {
    outb[oL(P.outStart, h, P.t0 + i)] = ln_l2_grad(zr.Z + i * P.d, zr.G + i * P.d, h, P.t0 + i);
  }
}

// before_is_start: in online GD (b = 1) the mini-batch start W⁰ is W_{t−1},
// so loss_before is loss_start (written by invocation 0 in start_grads).
fn before_is_start(lid: u32, h: u32, t: u32) {
  if (lid == 0u) {
    outb[oL(P.outBefore, h, t)] = outb[oL(P.outStart, h, t)];
  }
}

// out_rows ends a mini-batch: Z = Q + LN(zr.Q) and the losses of the rows
// zr.A (weights W_i: loss_after) and zr.B (W_{i−1}: loss_before), one row
// per invocation.
fn out_rows(lid: u32, h: u32, zr: Rows) {
  let n = P.n;
  for (var r = lid; r < 3u * n; r += WG) {
    let i = r % n;
    let t = P.t0 + i;
    if (r < n) {
      ln_out(zr.Q + i * P.d, h, t);
    } else if (r < 2u * n) {
      outb[oL(P.outAfter, h, t)] = ln_loss(zr.A + i * P.d, h, t);
    } else {
      outb[oL(P.outBefore, h, t)] = ln_loss(zr.B + i * P.d, h, t);
    }
  }
}

// coefs returns entry (i, j) of the dual form's three coefficient matrices
// from the inner products x_i·y_j: E ⊙ (· + 1) for weights W_i (the first
// two) and E′ ⊙ (· + 1) for W_{i−1} (the third; E′_i = E_{i−1}), zero above
// the diagonal. E_ij = s_i lr_j.
fn coefs(h: u32, i: u32, j: u32, dots: vec3<f32>) -> vec3<f32> {
  if (j > i) {
    return vec3<f32>(0.0);
  }
  let l = lr(h, P.t0 + j);
  var c = scale(h, i) * l * (dots + 1.0);
  c.z = 0.0;
  if (j < i) {
    c.z = scale(h, i - 1u) * l * (dots.z + 1.0);
  }
  return c;
}

// bias_step does b⁰ −= s_n Σ_j lr_j g_j for a bias of w values at B in st and
// the gradient rows [n,w] at scr[g ..].
fn bias_step(lid: u32, h: u32, B: u32, g: u32, w: u32) {
  let sn = scale(h, P.n - 1u);
  for (var m = lid; m < w; m += WG) {
    var acc = 0.0;
    for (var j = 0u; j < P.n; j++) {
      acc += lr(h, P.t0 + j) * scr[g + j * w + m];
    }
    st[B + m] -= sn * acc;
  }
}

// The TTT-MLP phases at W⁰ = (W1, b1, W2, b2) in st, for the n rows of a
// mini-batch (n = 1 for the per-token kernels).

// mlp_z2 writes Z2 = X2 W2 + b2 [n,d] to scr[z2 ..] from X2 [n,hid] at scr[x2 ..].
fn mlp_z2(lid: u32, x2: u32, w: Mlp, z2: u32) {
  for (var idx = lid; idx < P.n * P.d; idx += WG) {
    let i = idx / P.d;
    let m = idx % P.d;
    scr[z2 + idx] = st[w.B2 + m] + dot_scr_st(x2 + i * P.hid, 1u, w.W2 + m, P.d, P.hid);
  }
}

// mlp_g1 writes G1 = (G2 W2ᵀ) ⊙ gelu′(Z1) [n,hid] to scr[g1 ..] from G2
// [n,d] at scr[g2 ..] and Z1 [n,hid] at scr[z1 ..].
fn mlp_g1(lid: u32, g2: u32, w: Mlp, z1: u32, g1: u32) {
  for (var idx = lid; idx < P.n * P.hid; idx += WG) {
    let i = idx / P.hid;
    let c = idx % P.hid;
    let a = dot_scr_st(g2 + i * P.d, 1u, w.W2 + c * P.d, 1u, P.d); // (G2 W2ᵀ)[i,c]
    scr[g1 + idx] = a * gelu_grad(scr[z1 + idx]);
  }
}

// The per-token kernels' last phases: after the step, q and k through the
// new weights in st, then z_t and loss_after.

// qk_linear writes q W + b and k W + b [d] (weights w) to scr[zq ..] and scr[za ..].
fn qk_linear(lid: u32, q: u32, k: u32, w: Lin, zq: u32, za: u32) {
  for (var m = lid; m < P.d; m += WG) {
    scr[zq + m] = st[w.B + m] + dot_seq_st(q, w.W + m, P.d, P.d);
    scr[za + m] = st[w.B + m] + dot_seq_st(k, w.W + m, P.d, P.d);
  }
}

// qk_mlp1 writes gelu(q W1 + b1) and gelu(k W1 + b1) [hid] to scr[xq ..] and scr[xa ..].
fn qk_mlp1(lid: u32, q: u32, k: u32, w: Mlp, xq: u32, xa: u32) {
  for (var c = lid; c < P.hid; c += WG) {
    scr[xq + c] = gelu(st[w.B1 + c] + dot_seq_st(q, w.W1 + c, P.hid, P.d));
    scr[xa + c] = gelu(st[w.B1 + c] + dot_seq_st(k, w.W1 + c, P.hid, P.d));
  }
}

// qk_mlp2 writes xq W2 + b2 and xa W2 + b2 [d] to scr[rq ..] and scr[ra ..].
fn qk_mlp2(lid: u32, xq: u32, xa: u32, w: Mlp, rq: u32, ra: u32) {
  for (var m = lid; m < P.d; m += WG) {
    scr[rq + m] = st[w.B2 + m] + dot_scr_st(xq, 1u, w.W2 + m, P.d, P.hid);
    scr[ra + m] = st[w.B2 + m] + dot_scr_st(xa, 1u, w.W2 + m, P.d, P.hid);
  }
}

// out_after writes z_t = q_t + LN(zq) and loss_after from za (rows [d]).
fn out_after(lid: u32, h: u32, t: u32, zq: u32, za: u32) {
  if (lid == 0u) {
    ln_out(zq, h, t);
  } else if (lid == 1u) {
    outb[oL(P.outAfter, h, t)] = ln_loss(za, h, t);
  }
}
