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
  let h = wid.x;
  let d = P.d;
  let b = P.b;
  let n = P.n;
  let hid = P.hid;
  let t0 = P.t0;
  let base = setBase(0u);
  let W1 = oW1(base, h);
  let B1 = oB1(base, h);
  let W2 = oW2(base, h);
  let B2 = oB2(base, h);
  let s0 = h * P.scrStride;
  let sZ1 = s0;
  let sX2 = s0 + b * hid;
  let sG1 = s0 + 2u * b * hid;
  let sXq = s0 + 3u * b * hid;
  let sXa = s0 + 4u * b * hid;
  let sXb = s0 + 5u * b * hid;
  let sZ2 = s0 + 6u * b * hid;
  let sG2 = sZ2 + b * d;
  let sOq = sZ2 + 2u * b * d;
  let sOa = sZ2 + 3u * b * d;
  let sOb = sZ2 + 4u * b * d;
  let sMq = sZ2 + 5u * b * d;
  let sMk = sMq + b * b;
  let sMs = sMq + 2u * b * b;
  let sNq = sMq + 3u * b * b;
  let sNa = sMq + 4u * b * b;
  let sNb = sMq + 5u * b * b;

  // Phase 1: first layer at W⁰ for K and Q; layer-1 coefficients.
  for (var idx = lid; idx < n * hid; idx += WG) {
    let i = idx / hid;
    let c = idx % hid;
    let q = iq(h, t0 + i);
    let k = ik(h, t0 + i);
    let z1 = st[B1 + c] + dot_seq_st(k, W1 + c, hid, d);
    let zq = st[B1 + c] + dot_seq_st(q, W1 + c, hid, d);
    scr[sZ1 + idx] = z1;
    scr[sX2 + idx] = gelu(z1);
    scr[sXq + idx] = zq;
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
      let dq = dot_seq_seq(q, kj, d);
      let dk = dot_seq_seq(ki, kj, d);
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

  // Phase 2: Z2 = X2 W2 + b2.
  for (var idx = lid; idx < n * d; idx += WG) {
    let i = idx / d;
    let m = idx % d;
    scr[sZ2 + idx] = st[B2 + m] + dot_scr_st(sX2 + i * hid, 1u, W2 + m, d, hid);
  }
  storageBarrier();

  // Phase 3: G2, one row per invocation.
  for (var i = lid; i < n; i += WG) {
    outb[oL(P.outStart, h, t0 + i)] = ln_l2_grad(sZ2 + i * d, sG2 + i * d, h, t0 + i);
  }
  storageBarrier();

  // Phase 4: G1 = (G2 W2ᵀ) ⊙ gelu′(Z1).
  for (var idx = lid; idx < n * hid; idx += WG) {
    let i = idx / hid;
    let c = idx % hid;
    let a = dot_scr_st(sG2 + i * d, 1u, W2 + c * d, 1u, d); // (G2 W2ᵀ)[i,c]
    scr[sG1 + idx] = a * gelu_grad(scr[sZ1 + idx]);
  }
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
    let p = idx / hid;
    let c = idx % hid;
    st[W1 + idx] -= sn * lr_k_scr(h, t0, p, sG1 + c, hid, n);
  }
  for (var c = lid; c < hid; c += WG) {
    var acc = 0.0;
    for (var j = 0u; j < n; j++) {
      acc += lr(h, t0 + j) * scr[sG1 + j * hid + c];
    }
    st[B1 + c] -= sn * acc;
  }
  storageBarrier();

  // Phase 6: layer-2 coefficients: the updated activations against X2 at W⁰.
  for (var idx = lid; idx < n * n; idx += WG) {
    let i = idx / n;
    let j = idx % n;
    var nq = 0.0;
    var na = 0.0;
    var nb = 0.0;
    if (j <= i) {
      let x = sX2 + j * hid;
      let dq = dot_scr_scr(sXq + i * hid, 1u, x, 1u, hid);
      let da = dot_scr_scr(sXa + i * hid, 1u, x, 1u, hid);
      let db = dot_scr_scr(sXb + i * hid, 1u, x, 1u, hid);
      let l = lr(h, t0 + j);
      nq = scale(h, i) * l * (dq + 1.0);
      na = scale(h, i) * l * (da + 1.0);
      if (j < i) {
        nb = scale(h, i - 1u) * l * (db + 1.0);
      }
    }
    scr[sNq + i * n + j] = nq;
    scr[sNa + i * n + j] = na;
    scr[sNb + i * n + j] = nb;
  }
  storageBarrier();

  // Phase 7: layer 2 through the dual identity.
  for (var idx = lid; idx < n * d; idx += WG) {
    let i = idx / d;
    let m = idx % d;
    var oq = st[B2 + m] + dot_scr_st(sXq + i * hid, 1u, W2 + m, d, hid);
    var oa = st[B2 + m] + dot_scr_st(sXa + i * hid, 1u, W2 + m, d, hid);
    var ob = st[B2 + m] + dot_scr_st(sXb + i * hid, 1u, W2 + m, d, hid);
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
  for (var r = lid; r < 3u * n; r += WG) {
    let i = r % n;
    let t = t0 + i;
    if (r < n) {
      ln_out(sOq + i * d, h, t);
    } else if (r < 2u * n) {
      outb[oL(P.outAfter, h, t)] = ln_loss(sOa + i * d, h, t);
    } else {
      outb[oL(P.outBefore, h, t)] = ln_loss(sOb + i * d, h, t);
    }
  }
  for (var idx = lid; idx < hid * d; idx += WG) {
    let c = idx / d;
    let m = idx % d;
    st[W2 + idx] -= sn * lr_scr_scr(h, t0, sX2 + c, hid, sG2 + m, d, n);
  }
  for (var m = lid; m < d; m += WG) {
    var acc = 0.0;
    for (var j = 0u; j < n; j++) {
      acc += lr(h, t0 + j) * scr[sG2 + j * d + m];
    }
    st[B2 + m] -= sn * acc;
  }
}
