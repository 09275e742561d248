// primal_mlp.wgsl: one mini-batch step of TTT-MLP in the primal form, every
// head at once (hid = 4d). It computes §2.7 literally and materialises every
// virtual weight set, b·(2·d·hid + hid + d) floats per head:
//
//   at W⁰: Z1 = K W1 + b1, X2 = gelu(Z1), G2 = LNL2Grad(X2 W2 + b2, V − K),
//          G1 = (G2 W2ᵀ) ⊙ gelu′(Z1)
//   W1_i = W1⁰ − s_i Σ_{j≤i} lr_j k_jᵀ g1_j,  W2_i = W2⁰ − s_i Σ_{j≤i} lr_j x2_jᵀ g2_j  (and biases)
//   z_i = q_i + LN(gelu(q_i W1_i + b1_i) W2_i + b2_i)          b per-token forwards
//   loss_after at W_i, loss_before at W_{i−1} (W⁰ for i = 1);  W⁰ ← W_n
//
// Bindings: P, seq, hp, st (set 0 = W⁰), scr, outb (Z, loss_start,
//   loss_before, loss_after).
// Scratch per head (P.scrStride ≥ 6·b·hid + 5bd + b·S, S = 2·d·hid + hid + d):
//   Z1 | X2 | G1 | Xq | Xa | Xb [b,hid], Z2 | G2 | Rq | Ra | Rb [b,d], then b
//   weight sets W1_i [d,hid] | b1_i [hid] | W2_i [hid,d] | b2_i [d].
// Dispatch: (H, 1, 1) workgroups of 256, one dispatch per mini-batch; 7 barriers.
// CPU twin: ttt.Head.primal (ttt/primal.go).

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
  let sRq = sZ2 + 2u * b * d;
  let sRa = sZ2 + 3u * b * d;
  let sRb = sZ2 + 4u * b * d;
  let sW = sZ2 + 5u * b * d;         // weight set i at sW + i·S
  let S = 2u * d * hid + hid + d;    // W1_i at 0, b1_i at d·hid, W2_i at d·hid + hid, b2_i at 2·d·hid + hid

  for (var idx = lid; idx < n * hid; idx += WG) {
    let i = idx / hid;
    let c = idx % hid;
    let k = ik(h, t0 + i);
    var z = st[B1 + c];
    for (var p = 0u; p < d; p++) {
      z += seq[k + p] * st[W1 + p * hid + c];
    }
    scr[sZ1 + idx] = z;
    scr[sX2 + idx] = gelu(z);
  }
  storageBarrier();

  for (var idx = lid; idx < n * d; idx += WG) {
    let i = idx / d;
    let m = idx % d;
    var z = st[B2 + m];
    for (var c = 0u; c < hid; c++) {
      z += scr[sX2 + i * hid + c] * st[W2 + c * d + m];
    }
    scr[sZ2 + idx] = z;
  }
  storageBarrier();

  for (var i = lid; i < n; i += WG) {
    outb[oL(P.outStart, h, t0 + i)] = ln_l2_grad(sZ2 + i * d, sG2 + i * d, h, t0 + i);
  }
  storageBarrier();

  for (var idx = lid; idx < n * hid; idx += WG) {
    let i = idx / hid;
    let c = idx % hid;
    var a = 0.0;
    for (var m = 0u; m < d; m++) {
      a += scr[sG2 + i * d + m] * st[W2 + c * d + m];
    }
    scr[sG1 + idx] = a * gelu_grad(scr[sZ1 + idx]);
  }
  storageBarrier();

  // Every virtual weight set, element by element, as running sums over the mini-batch.
  for (var idx = lid; idx < d * hid; idx += WG) {
    let p = idx / hid;
    let c = idx % hid;
    let w1 = st[W1 + idx];
    let w2 = st[W2 + idx];
    let c2 = idx / d; // W2 is [hid,d]: the same flat index is (c2, m2)
    let m2 = idx % d;
    var a1 = 0.0;
    var a2 = 0.0;
    for (var i = 0u; i < n; i++) {
      let l = lr(h, t0 + i);
      a1 += l * seq[ik(h, t0 + i) + p] * scr[sG1 + i * hid + c];
      a2 += l * scr[sX2 + i * hid + c2] * scr[sG2 + i * d + m2];
      let s = scale(h, i);
      scr[sW + i * S + idx] = w1 - s * a1;
      scr[sW + i * S + d * hid + hid + idx] = w2 - s * a2;
    }
  }
  for (var c = lid; c < hid; c += WG) {
    let w = st[B1 + c];
    var a = 0.0;
    for (var i = 0u; i < n; i++) {
      a += lr(h, t0 + i) * scr[sG1 + i * hid + c];
      scr[sW + i * S + d * hid + c] = w - scale(h, i) * a;
    }
  }
  for (var m = lid; m < d; m += WG) {
    let w = st[B2 + m];
    var a = 0.0;
    for (var i = 0u; i < n; i++) {
      a += lr(h, t0 + i) * scr[sG2 + i * d + m];
      scr[sW + i * S + 2u * d * hid + hid + m] = w - scale(h, i) * a;
    }
  }
  storageBarrier();

  // Layer 1 of each token at its own W_i (and W_{i−1} for loss_before).
  for (var idx = lid; idx < n * hid; idx += WG) {
    let i = idx / hid;
    let c = idx % hid;
    let q = iq(h, t0 + i);
    let k = ik(h, t0 + i);
    let Wi = sW + i * S;
    var zq = scr[Wi + d * hid + c];
    var za = zq;
    for (var p = 0u; p < d; p++) {
      let w = scr[Wi + p * hid + c];
      zq += seq[q + p] * w;
      za += seq[k + p] * w;
    }
    var zb = 0.0;
    if (i == 0u) {
      zb = scr[sZ1 + c];
    } else {
      let Wp = sW + (i - 1u) * S;
      zb = scr[Wp + d * hid + c];
      for (var p = 0u; p < d; p++) {
        zb += seq[k + p] * scr[Wp + p * hid + c];
      }
    }
    scr[sXq + idx] = gelu(zq);
    scr[sXa + idx] = gelu(za);
    scr[sXb + idx] = gelu(zb);
  }
  storageBarrier();

  // Layer 2.
  for (var idx = lid; idx < n * d; idx += WG) {
    let i = idx / d;
    let m = idx % d;
    let Wi = sW + i * S + d * hid + hid;
    var rq = scr[Wi + hid * d + m];
    var ra = rq;
    for (var c = 0u; c < hid; c++) {
      let w = scr[Wi + c * d + m];
      rq += scr[sXq + i * hid + c] * w;
      ra += scr[sXa + i * hid + c] * w;
    }
    var rb = 0.0;
    if (i == 0u) {
      rb = scr[sZ2 + m];
    } else {
      let Wp = sW + (i - 1u) * S + d * hid + hid;
      rb = scr[Wp + hid * d + m];
      for (var c = 0u; c < hid; c++) {
        rb += scr[sXb + i * hid + c] * scr[Wp + c * d + m];
      }
    }
    scr[sRq + idx] = rq;
    scr[sRa + idx] = ra;
    scr[sRb + idx] = rb;
  }
  storageBarrier();

  for (var r = lid; r < 3u * n; r += WG) {
    let i = r % n;
    let t = t0 + i;
    if (r < n) {
      ln_out(sRq + i * d, h, t);
    } else if (r < 2u * n) {
      outb[oL(P.outAfter, h, t)] = ln_loss(sRa + i * d, h, t);
    } else {
      outb[oL(P.outBefore, h, t)] = ln_loss(sRb + i * d, h, t);
    }
  }
  // Carry W_n to the next mini-batch (W⁰ was last read in the running sums).
  let last = sW + (n - 1u) * S;
  for (var idx = lid; idx < d * hid; idx += WG) {
    st[W1 + idx] = scr[last + idx];
    st[W2 + idx] = scr[last + d * hid + hid + idx];
  }
  for (var c = lid; c < hid; c += WG) {
    st[B1 + c] = scr[last + d * hid + c];
  }
  for (var m = lid; m < d; m += WG) {
    st[B2 + m] = scr[last + 2u * d * hid + hid + m];
  }
}
