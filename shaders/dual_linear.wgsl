// dual_linear.wgsl: one mini-batch step of TTT-Linear in the dual form, for
// every head at once. For the n ≤ b tokens starting at P.t0, with every
// gradient taken at the mini-batch start W⁰ and E_ij = s_i lr_j (j ≤ i):
//
//   Zk   = K W⁰ + b⁰                                  [n,d] @ [d,d] -> [n,d]
//   G    = LNL2Grad(Zk, V − K)                        row by row; loss_start = its MSE
//   Zbar = Q W⁰ + b⁰ − (E ⊙ (Q Kᵀ + 1)) G             [n,n] @ [n,d] -> [n,d]
//   Z    = Q + LN(Zbar)                               the head output
//   loss_after  from K W⁰ + b⁰ − (E  ⊙ (K Kᵀ + 1)) G  (weights W_i)
//   loss_before from K W⁰ + b⁰ − (E′ ⊙ (K Kᵀ + 1)) G  (E′_i = E_{i−1}: weights W_{i−1})
//   W⁰  ← W⁰ − Kᵀ (e ⊙ G),  b⁰ ← b⁰ − eᵀ G,  e_j = s_n lr_j     [d,n] @ [n,d] -> [d,d]
//
// The "+ 1" in E ⊙ (· + 1) carries the bias: q_i b_i = q_i b⁰ − Σ_j E_ij g_j.
// No virtual W_i is ever built.
//
// Bindings: P, seq, hp, st (set 0 = W⁰, updated in place), scr, outb (Z,
//   loss_start, loss_before, loss_after).
// Scratch per head (P.scrStride ≥ 5bd + 3b²): Zk | G | Zbar | Zafter | Zbefore
//   [b,d] each, then E⊙(QKᵀ+1) | E⊙(KKᵀ+1) | E′⊙(KKᵀ+1) [b,b] each.
// Dispatch: (H, 1, 1) workgroups of 256, one dispatch per mini-batch; 3 barriers.
// CPU twin: ttt.DualState.Step (ttt/dual.go).

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let h = wid.x;
  let d = P.d;
  let b = P.b;
  let n = P.n;
  let t0 = P.t0;
  let base = setBase(0u);
  let W = oW(base, h);
  let B = oB(base, h);
  let s0 = h * P.scrStride;
  let sZk = s0;
  let sG = s0 + b * d;
  let sZq = s0 + 2u * b * d;
  let sZa = s0 + 3u * b * d;
  let sZb = s0 + 4u * b * d;
  let sMq = s0 + 5u * b * d;
  let sMk = sMq + b * b;
  let sMs = sMk + b * b;

  // Phase 1: Zk and Q W⁰ + b⁰ at the mini-batch start, and the three masked,
  // E-weighted Gram matrices.
  for (var idx = lid; idx < n * d; idx += WG) {
    let i = idx / d;
    let m = idx % d;
    let q = iq(h, t0 + i);
    let k = ik(h, t0 + i);
    var zk = st[B + m];
    var zq = zk;
    for (var p = 0u; p < d; p++) {
      let w = st[W + p * d + m];
      zk += seq[k + p] * w;
      zq += seq[q + p] * w;
    }
    scr[sZk + idx] = zk;
    scr[sZq + idx] = zq;
  }
  for (var idx = lid; idx < n * n; idx += WG) {
    let i = idx / n;
    let j = idx % n;
    var mq = 0.0;
    var mk = 0.0;
    var ms = 0.0;
    if (j <= i) {
      let q = iq(h, t0 + i);
      let ki = ik(h, t0 + i);
      let kj = ik(h, t0 + j);
      var dq = 0.0;
      var dk = 0.0;
      for (var p = 0u; p < d; p++) {
        dq += seq[q + p] * seq[kj + p];
        dk += seq[ki + p] * seq[kj + p];
      }
      let l = lr(h, t0 + j);
      mq = scale(h, i) * l * (dq + 1.0);
      mk = scale(h, i) * l * (dk + 1.0);
      if (j < i) {
        ms = scale(h, i - 1u) * l * (dk + 1.0);
      }
    }
    scr[sMq + i * n + j] = mq;
    scr[sMk + i * n + j] = mk;
    scr[sMs + i * n + j] = ms;
  }
  storageBarrier();

  // Phase 2: G, one row per invocation.
  for (var i = lid; i < n; i += WG) {
    outb[oL(P.outStart, h, t0 + i)] = ln_l2_grad(sZk + i * d, sG + i * d, h, t0 + i);
  }
  storageBarrier();

  // Phase 3: the dual identity for Zbar and the two loss rows; the state update.
  // W⁰ was last read in phase 1, so it may change now.
  for (var idx = lid; idx < n * d; idx += WG) {
    let i = idx / d;
    let m = idx % d;
    var zq = scr[sZq + idx];
    var za = scr[sZk + idx];
    var zb = za;
    for (var j = 0u; j <= i; j++) {
      let g = scr[sG + j * d + m];
      zq -= scr[sMq + i * n + j] * g;
      za -= scr[sMk + i * n + j] * g;
      zb -= scr[sMs + i * n + j] * g;
    }
    scr[sZq + idx] = zq;
    scr[sZa + idx] = za;
    scr[sZb + idx] = zb;
  }
  let sn = scale(h, n - 1u);
  for (var idx = lid; idx < d * d; idx += WG) {
    let p = idx / d;
    let m = idx % d;
    var acc = 0.0;
    for (var j = 0u; j < n; j++) {
      acc += lr(h, t0 + j) * seq[ik(h, t0 + j) + p] * scr[sG + j * d + m];
    }
    st[W + idx] -= sn * acc;
  }
  for (var m = lid; m < d; m += WG) {
    var acc = 0.0;
    for (var j = 0u; j < n; j++) {
      acc += lr(h, t0 + j) * scr[sG + j * d + m];
    }
    st[B + m] -= sn * acc;
  }
  storageBarrier();

  // Phase 4: the output LayerNorm and the two losses, one row per invocation.
  for (var r = lid; r < 3u * n; r += WG) {
    let i = r % n;
    let t = t0 + i;
    if (r < n) {
      ln_out(sZq + i * d, h, t);
    } else if (r < 2u * n) {
      outb[oL(P.outAfter, h, t)] = ln_loss(sZa + i * d, h, t);
    } else {
      outb[oL(P.outBefore, h, t)] = ln_loss(sZb + i * d, h, t);
    }
  }
}
