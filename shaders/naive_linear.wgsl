// naive_linear.wgsl: one token of TTT-Linear by online gradient descent
// (b = 1, the paper's Eq. 1 with the code's learning rate), every head at once:
//
//   g_t = LNL2Grad(k_t W_{t−1} + b_{t−1}, v_t − k_t)     loss_start = loss_before = its MSE
//   W_t = W_{t−1} − s_1 lr_t k_tᵀ g_t,  b_t = b_{t−1} − s_1 lr_t g_t      rank-1 step [d,d]
//   z_t = q_t + LN(q_t W_t + b_t),  loss_after at W_t
//
// Each token needs the previous one's W: T sequential steps, one dispatch each.
// Bindings: P (t0 = t, n = 1), seq, hp, st (set 0 = W, updated in place), scr,
//   outb (Z, loss_start, loss_before, loss_after).
// Scratch per head (P.scrStride ≥ 4d): Zk | G | Zq | Za [d].
// Dispatch: (H, 1, 1) workgroups of 256, one dispatch per token; 4 barriers.
// CPU twin: ttt.Head.naive (ttt/naive.go).

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let h = wid.x;
  let d = P.d;
  let t = P.t0;
  let base = setBase(0u);
  let W = oW(base, h);
  let B = oB(base, h);
  let s0 = h * P.scrStride;
  let sZk = s0;
  let sG = s0 + d;
  let sZq = s0 + 2u * d;
  let sZa = s0 + 3u * d;
  let q = iq(h, t);
  let k = ik(h, t);

  for (var m = lid; m < d; m += WG) {
    var z = st[B + m];
    for (var p = 0u; p < d; p++) {
      z += seq[k + p] * st[W + p * d + m];
    }
    scr[sZk + m] = z;
  }
  storageBarrier();

  if (lid == 0u) {
    let l = ln_l2_grad(sZk, sG, h, t);
    outb[oL(P.outStart, h, t)] = l;
    outb[oL(P.outBefore, h, t)] = l;
  }
  storageBarrier();

  let a = scale(h, 0u) * lr(h, t);
  for (var idx = lid; idx < d * d; idx += WG) {
    let p = idx / d;
    let m = idx % d;
    st[W + idx] -= a * seq[k + p] * scr[sG + m];
  }
  for (var m = lid; m < d; m += WG) {
    st[B + m] -= a * scr[sG + m];
  }
  storageBarrier();

  for (var m = lid; m < d; m += WG) {
    var zq = st[B + m];
    var za = zq;
    for (var p = 0u; p < d; p++) {
      let w = st[W + p * d + m];
      zq += seq[q + p] * w;
      za += seq[k + p] * w;
    }
    scr[sZq + m] = zq;
    scr[sZa + m] = za;
  }
  storageBarrier();

  if (lid == 0u) {
    ln_out(sZq, h, t);
  } else if (lid == 1u) {
    outb[oL(P.outAfter, h, t)] = ln_loss(sZa, h, t);
  }
}
