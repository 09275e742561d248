// dual_mlp.wgsl: one mini-batch step of TTT-MLP in the dual form, for every
// head at once (hid = 4d, E_ij = s_i lr_j for j ≤ i, all gradients at W⁰):
//
//   Z1 = K W1 + b1,  X2 = gelu(Z1),  Z2 = X2 W2 + b2      [n,d]@[d,hid], [n,hid]@[hid,d]
//   G2 = LNL2Grad(Z2, V − K)                               loss_start = its MSE
//   G1 = (G2 W2ᵀ) ⊙ gelu′(Z1)                              [n,d] @ [d,hid] -> [n,hid]
//   Zb1 = Q W1 + b1 − (E ⊙ (Q Kᵀ + 1)) G1,  Xb2 = gelu(Zb1)
//   Zb2 = Xb2 W2 + b2 − (E ⊙ (Xb2 X2ᵀ + 1)) G2             the second "attention"
//   Z   = Q + LN(Zb2)
//   loss_after, loss_before: the same two layers with K in place of Q, and E′
//     (row i of E shifted down one: weights W_{i−1}) for loss_before
//   W1 ← W1 − Kᵀ (e ⊙ G1),  W2 ← W2 − X2ᵀ (e ⊙ G2),  e_j = s_n lr_j; biases alike
//
// Bindings: P, seq, hp, st (set 0 = W1, b1, W2, b2 at the mini-batch start,
//   updated in place), scr, outb (Z, loss_start, loss_before, loss_after).
// Scratch per head (P.scrStride ≥ 6·b·hid + 5bd + 6b²):
//   Z1 | X2 | G1 | Xq | Xa | Xb  [b,hid] each,
//   Z2 | G2 | Oq | Oa | Ob       [b,d] each,
//   Mq | Mk | Ms | Nq | Na | Nb  [b,b] each (layer-1 and layer-2 coefficients).
// Dispatch: (H, 1, 1) workgroups of 256, one dispatch per mini-batch; 7 barriers.
// At d = 128, b = 64 an invocation runs about 30k loop iterations (lavapipe stops at 65535).
// CPU twin: ttt.DualState.Step → stepMLP (ttt/dual.go).

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  enter(wid);
  let ws = mlp(setBase(0u), h);
  let sZ1 = h * P.scrStride; // six [b,hid] blocks, five [b,d], six [b,b]
  let bh = P.b * hid;
  let sX2 = sZ1 + bh;
  let sG1 = sZ1 + 2u * bh;
  let sXq = sZ1 + 3u * bh;
  let sXa = sZ1 + 4u * bh;
  let sXb = sZ1 + 5u * bh;
  let sZ2 = sZ1 + 6u * bh;
  let sG2 = sZ2 + P.b * d;
  let sOq = sZ2 + 2u * P.b * d;
  let sOa = sZ2 + 3u * P.b * d;
  let sOb = sZ2 + 4u * P.b * d;
  let sMq = sZ2 + 5u * P.b * d;
  let bb = P.b * P.b;
  let sMk = sMq + bb;
  let sMs = sMq + 2u * bb;
  let sNq = sMq + 3u * bb;
  let sNa = sMq + 4u * bb;
  let sNb = sMq + 5u * bb;

  // Phase 1: first layer at W⁰ for K and Q; layer-1 coefficients.
  for (var idx = lid; idx < n * hid; idx += WG) {
    let i = idx / hid;
    let c = idx % hid;
    let z1 = st[ws.B1 + c] + dot_seq_st(ik(h, t0 + i), ws.W1 + c, hid, d);
    scr[sZ1 + idx] = z1;
    scr[sX2 + idx] = gelu(z1);
    scr[sXq + idx] = st[ws.B1 + c] + dot_seq_st(iq(h, t0 + i), ws.W1 + c, hid, d);
  }
  for (var idx = lid; idx < n * n; idx += WG) {
    let i = idx / n;
    let j = idx % n;
    var dots = vec3<f32>(0.0);
    if (j <= i) {
      let kj = ik(h, t0 + j);
      dots.x = dot_seq_seq(iq(h, t0 + i), kj, d);
      dots.y = dot_seq_seq(ik(h, t0 + i), kj, d);
      dots.z = dots.y;
    }
    let e = coefs(h, i, j, dots);
    scr[sMq + idx] = e.x;
    scr[sMk + idx] = e.y;
    scr[sMs + idx] = e.z;
  }
  storageBarrier();

  // Phase 2: Z2 = X2 W2 + b2.
  mlp_z2(lid, sX2, ws, sZ2);
  storageBarrier();

  // Phase 3: G2, one row per invocation.
  start_grads(lid, h, Rows(sZ2, sG2, sOq, sOa, sOb, sMq));
  storageBarrier();

  // Phase 4: G1 = (G2 W2ᵀ) ⊙ gelu′(Z1).
  mlp_g1(lid, sG2, ws, sZ1, sG1);
  storageBarrier();

  // Phase 5: layer 1 through the dual identity for Q (weights W_i), K (W_i)
  // and K (W_{i−1}), then gelu; the update of W1, b1 (last read in phase 1).
  for (var idx = lid; idx < n * hid; idx += WG) {
    let i = idx / hid;
    let c = idx % hid;
    var zq = scr[sXq + idx];
    var za = scr[sZ1 + idx];
    var zb = za;
    for (var j = 0u; j <= i; j++) {
      let g = scr[sG1 + j * hid + c];
      zq -= scr[sMq + i * n + j] * g;
      za -= scr[sMk + i * n + j] * g;
      zb -= scr[sMs + i * n + j] * g;
    }
    scr[sXq + idx] = gelu(zq);
    scr[sXa + idx] = gelu(za);
    scr[sXb + idx] = gelu(zb);
  }
  let sn = scale(h, n - 1u);
  for (var idx = lid; idx < d * hid; idx += WG) {
    st[ws.W1 + idx] -= sn * lr_k_scr(h, t0, idx / hid, sG1 + idx % hid, hid, n);
  }
  bias_step(lid, h, ws.B1, sG1, hid);
  storageBarrier();

  // Phase 6: layer-2 coefficients: the updated activations against X2 at W⁰.
  for (var idx = lid; idx < n * n; idx += WG) {
    let i = idx / n;
    let j = idx % n;
    var dots = vec3<f32>(0.0);
    if (j <= i) {
      let x = sX2 + j * hid;
      dots = vec3<f32>(dot_scr_scr(sXq + i * hid, 1u, x, 1u, hid), dot_scr_scr(sXa + i * hid, 1u, x, 1u, hid),
                       dot_scr_scr(sXb + i * hid, 1u, x, 1u, hid));
    }
    let e = coefs(h, i, j, dots);
    scr[sNq + idx] = e.x;
    scr[sNa + idx] = e.y;
    scr[sNb + idx] = e.z;
  }
  storageBarrier();

  // Phase 7: layer 2 through the dual identity.
  for (var idx = lid; idx < n * d; idx += WG) {
    let i = idx / d;
    let m = idx % d;
    var oq = st[ws.B2 + m] + dot_scr_st(sXq + i * hid, 1u, ws.W2 + m, d, hid);
    var oa = st[ws.B2 + m] + dot_scr_st(sXa + i * hid, 1u, ws.W2 + m, d, hid);
    var ob = st[ws.B2 + m] + dot_scr_st(sXb + i * hid, 1u, ws.W2 + m, d, hid);
    for (var j = 0u; j <= i; j++) {
      let g = scr[sG2 + j * d + m];
      oq -= scr[sNq + i * n + j] * g;
      oa -= scr[sNa + i * n + j] * g;
      ob -= scr[sNb + i * n + j] * g;
    }
    scr[sOq + idx] = oq;
    scr[sOa + idx] = oa;
    scr[sOb + idx] = ob;
  }
  storageBarrier();

  // Phase 8: output LayerNorm and losses; the update of W2, b2 (last read in phase 7).
  out_rows(lid, h, Rows(sZ2, sG2, sOq, sOa, sOb, sMq));
  for (var idx = lid; idx < hid * d; idx += WG) {
    st[ws.W2 + idx] -= sn * lr_scr_scr(h, t0, sX2 + idx / d, hid, sG2 + idx % d, d, n);
  }
  bias_step(lid, h, ws.B2, sG2, d);
}
