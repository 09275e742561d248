// primal_linear.wgsl: one mini-batch step of TTT-Linear in the primal form,
// for every head at once. It computes §2.7 literally and materialises every
// virtual weight matrix (b·d² floats per head), which is what makes it slow:
//
//   g_i  = LNL2Grad(k_i W⁰ + b⁰, v_i − k_i)                         at the start W⁰
//   W_i  = W⁰ − s_i Σ_{j≤i} lr_j k_jᵀ g_j,  b_i = b⁰ − s_i Σ_{j≤i} lr_j g_j   b×[d,d]
//   z_i  = q_i + LN(q_i W_i + b_i)                                   b mat-vecs
//   loss_after at W_i, loss_before at W_{i−1} (W⁰ for i = 1)
//   W⁰  ← W_n
//
// Bindings: P, seq, hp, st (set 0 = W⁰), scr, outb (Z, loss_start,
//   loss_before, loss_after).
// Scratch per head (P.scrStride ≥ 5bd + b·d² + bd): Zk | G | Zq | Za | Zb [b,d],
//   Wi [b,d,d], bi [b,d].
// Dispatch: (H, 1, 1) workgroups of 256, one dispatch per mini-batch; 4 barriers.
// CPU twin: ttt.Head.primal (ttt/primal.go).

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  enter(wid);
  let ws = lin(setBase(0u), h);
  let zr = rows(h * P.scrStride); // five [b,d] blocks, then the virtual weights
  let sWi = zr.end;
  let sBi = sWi + P.b * d * d;

  // Phase 1: predictions at W⁰, K W⁰ + b⁰ in 4×4 register tiles.
  let nc = (d + 3u) / 4u;
  for (var tile = lid; tile < ((n + 3u) / 4u) * nc; tile += WG) {
    let r0 = (tile / nc) * 4u;
    let m0 = (tile % nc) * 4u;
    let x = vec4<u32>(ik(h, t0 + r0), ik(h, t0 + min(r0 + 1u, n - 1u)), ik(h, t0 + min(r0 + 2u, n - 1u)), ik(h, t0 + min(r0 + 3u, n - 1u)));
    var a = xw_tile(x, ws, cols4(m0));
    for (var j = 0u; j < 4u && r0 + j < n; j++) {
      store4(zr.Z + (r0 + j) * d, m0, a[j]);
    }
  }
  storageBarrier();

  // Phase 2: the gradients, one row per invocation.
  start_grads(lid, h, zr);
  storageBarrier();

  // Phase 3: every W_i, element by element, as a running sum over the mini-batch.
  for (var idx = lid; idx < d * d; idx += WG) {
    let p = idx / d;
    let m = idx % d;
    let w = st[ws.W + idx];
    var acc = 0.0;
    for (var i = 0u; i < n; i++) {
      acc += lr(h, t0 + i) * seq[ik(h, t0 + i) + p] * scr[zr.G + i * d + m];
      scr[sWi + i * d * d + idx] = w - scale(h, i) * acc;
    }
  }
  for (var m = lid; m < d; m += WG) {
    let c = st[ws.B + m];
    var acc = 0.0;
    for (var i = 0u; i < n; i++) {
      acc += lr(h, t0 + i) * scr[zr.G + i * d + m];
      scr[sBi + i * d + m] = c - scale(h, i) * acc;
    }
  }
  storageBarrier();

  // Phase 4: one mat-vec per token with its own W_i (and W_{i−1} for loss_before).
  for (var idx = lid; idx < n * d; idx += WG) {
    let i = idx / d;
    let m = idx % d;
    let q = iq(h, t0 + i);
    let k = ik(h, t0 + i);
    let Wi = sWi + i * d * d;
    var zq = scr[sBi + i * d + m];
    var za = zq;
    for (var p = 0u; p < d; p++) {
      let w = scr[Wi + p * d + m];
      zq += seq[q + p] * w;
      za += seq[k + p] * w;
    }
    var zb = 0.0;
    if (i == 0u) {
      zb = scr[zr.Z + m];
    } else {
      let Wp = sWi + (i - 1u) * d * d;
      zb = scr[sBi + (i - 1u) * d + m];
      for (var p = 0u; p < d; p++) {
        zb += seq[k + p] * scr[Wp + p * d + m];
      }
    }
    scr[zr.Q + idx] = zq;
    scr[zr.A + idx] = za;
    scr[zr.B + idx] = zb;
  }
  storageBarrier();

  // Phase 5: output LayerNorm and losses; carry W_n to the next mini-batch.
  out_rows(lid, h, zr);
  for (var idx = lid; idx < d * d; idx += WG) {
    st[ws.W + idx] = scr[sWi + (n - 1u) * d * d + idx];
  }
  for (var m = lid; m < d; m += WG) {
    st[ws.B + m] = scr[sBi + (n - 1u) * d + m];
  }
}
