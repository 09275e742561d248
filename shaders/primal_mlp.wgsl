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
  enter(wid);
  let ws = mlp(setBase(0u), h);
  let sZ1 = h * P.scrStride; // six [b,hid] blocks, five [b,d], then the b weight sets
  let sX2 = sZ1 + P.b * hid;
  let sG1 = sZ1 + 2u * P.b * hid;
  let sXq = sZ1 + 3u * P.b * hid;
  let sXa = sZ1 + 4u * P.b * hid;
  let sXb = sZ1 + 5u * P.b * hid;
  let zr = rows(sZ1 + 6u * P.b * hid);
  let sW = zr.end;                   // weight set i at sW + i·S
  let S = 2u * d * hid + hid + d;    // W1_i at 0, b1_i at d·hid, W2_i at d·hid + hid, b2_i at 2·d·hid + hid

  for (var idx = lid; idx < n * hid; idx += WG) {
    let i = idx / hid;
    let c = idx % hid;
    let z = st[ws.B1 + c] + dot_seq_st(ik(h, t0 + i), ws.W1 + c, hid, d);
    scr[sZ1 + idx] = z;
    scr[sX2 + idx] = gelu(z);
  }
  storageBarrier();
  mlp_z2(lid, sX2, ws, zr.Z);
  storageBarrier();
  start_grads(lid, h, zr);
  storageBarrier();
  mlp_g1(lid, zr.G, ws, sZ1, sG1);
  storageBarrier();

  // Every virtual weight set, element by element, as running sums over the mini-batch.
  for (var idx = lid; idx < d * hid; idx += WG) {
    let p = idx / hid;
    let c = idx % hid;
    let w1 = st[ws.W1 + idx];
    let w2 = st[ws.W2 + idx];
    let c2 = idx / d; // W2 is [hid,d]: the same flat index is (c2, m2)
    let m2 = idx % d;
    // Four tokens per loop iteration (lavapipe's loop budget, see common.wgsl).
    var a = vec2<f32>(0.0);
    var i = 0u;
    for (; i + 4u <= n; i += 4u) {
      a = primal_step(h, t0, i, idx, p, c, c2, m2, w1, w2, a);
      a = primal_step(h, t0, i + 1u, idx, p, c, c2, m2, w1, w2, a);
      a = primal_step(h, t0, i + 2u, idx, p, c, c2, m2, w1, w2, a);
      a = primal_step(h, t0, i + 3u, idx, p, c, c2, m2, w1, w2, a);
    }
    for (; i < n; i++) {
      a = primal_step(h, t0, i, idx, p, c, c2, m2, w1, w2, a);
    }
  }
  for (var c = lid; c < hid; c += WG) {
    let w = st[ws.B1 + c];
    var a = 0.0;
    for (var i = 0u; i < n; i++) {
      a += lr(h, t0 + i) * scr[sG1 + i * hid + c];
      scr[sW + i * S + d * hid + c] = w - scale(h, i) * a;
    }
  }
  for (var m = lid; m < d; m += WG) {
    let w = st[ws.B2 + m];
    var a = 0.0;
    for (var i = 0u; i < n; i++) {
      a += lr(h, t0 + i) * scr[zr.G + i * d + m];
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
    let zq = scr[Wi + d * hid + c] + dot_seq_scr(q, Wi + c, hid, d);
    let za = scr[Wi + d * hid + c] + dot_seq_scr(k, Wi + c, hid, d);
    var zb = 0.0;
    if (i == 0u) {
      zb = scr[sZ1 + idx];
    } else {
      let Wp = sW + (i - 1u) * S;
      zb = scr[Wp + d * hid + c] + dot_seq_scr(k, Wp + c, hid, d);
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
    let rq = scr[Wi + hid * d + m] + dot_scr_scr(sXq + i * hid, 1u, Wi + m, d, hid);
    let ra = scr[Wi + hid * d + m] + dot_scr_scr(sXa + i * hid, 1u, Wi + m, d, hid);
    var rb = 0.0;
    if (i == 0u) {
      rb = scr[zr.Z + idx];
    } else {
      let Wp = sW + (i - 1u) * S + d * hid + hid;
      rb = scr[Wp + hid * d + m] + dot_scr_scr(sXb + i * hid, 1u, Wp + m, d, hid);
    }
    scr[zr.Q + idx] = rq;
    scr[zr.A + idx] = ra;
    scr[zr.B + idx] = rb;
  }
  storageBarrier();

  out_rows(lid, h, zr);
  // Carry W_n to the next mini-batch (W⁰ was last read in the running sums).
  let last = sW + (n - 1u) * S;
  for (var idx = lid; idx < d * hid; idx += WG) {
    st[ws.W1 + idx] = scr[last + idx];
    st[ws.W2 + idx] = scr[last + d * hid + hid + idx];
  }
  for (var c = lid; c < hid; c += WG) {
    st[ws.B1 + c] = scr[last + d * hid + c];
  }
  for (var m = lid; m < d; m += WG) {
    st[ws.B2 + m] = scr[last + 2u * d * hid + hid + m];
  }
}

// primal_step takes token i of the running sums for element idx of W1 (row p,
// column c) and of W2 (row c2, column m2), writes W1_i and W2_i there, and
// returns the sums a = (Σ lr k g1, Σ lr x2 g2) so far.
fn primal_step(h: u32, t0: u32, i: u32, idx: u32, p: u32, c: u32, c2: u32, m2: u32, w1: f32, w2: f32, a: vec2<f32>) -> vec2<f32> {
  let d = P.d;
  let hid = P.hid;
  let b = P.b;
  let sZ2 = h * P.scrStride + 6u * b * hid;
  let sW = sZ2 + 5u * b * d;
  let S = 2u * d * hid + hid + d;
  let l = lr(h, t0 + i);
  let sG1 = h * P.scrStride + 2u * b * hid;
  let sX2 = h * P.scrStride + b * hid;
  let sG2 = sZ2 + b * d;
  let r = a + l * vec2<f32>(seq[ik(h, t0 + i) + p] * scr[sG1 + i * hid + c], scr[sX2 + i * hid + c2] * scr[sG2 + i * d + m2]);
  let s = scale(h, i);
  scr[sW + i * S + idx] = w1 - s * r.x;
  scr[sW + i * S + d * hid + hid + idx] = w2 - s * r.y;
  return r;
}
