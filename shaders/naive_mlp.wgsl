// naive_mlp.wgsl: one token of TTT-MLP by online gradient descent (b = 1),
// every head at once (hid = 4d):
//
//   z1 = k W1 + b1, x2 = gelu(z1), g2 = LNL2Grad(x2 W2 + b2, v − k)   at W_{t−1}
//   g1 = (g2 W2ᵀ) ⊙ gelu′(z1)                                          [d] @ [d,hid]
//   W1 −= a kᵀ g1, b1 −= a g1, W2 −= a x2ᵀ g2, b2 −= a g2,  a = s_1 lr_t
//   z = q + LN(gelu(q W1 + b1) W2 + b2),  loss_after at the new weights
//
// Bindings: P (t0 = t, n = 1), seq, hp, st (set 0 = W1, b1, W2, b2, updated in
//   place), scr, outb (Z, loss_start, loss_before, loss_after).
// Scratch per head (P.scrStride ≥ 5·hid + 4d): Z1 | X2 | G1 | Xq | Xa [hid], Z2 | G2 | Rq | Ra [d].
// Dispatch: (H, 1, 1) workgroups of 256, one dispatch per token; 7 barriers.
// CPU twin: ttt.Head.naive (ttt/naive.go).

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let h = wid.x;
  let d = P.d;
  let hid = P.hid;
  let t = P.t0;
  let base = setBase(0u);
  let W1 = oW1(base, h);
  let B1 = oB1(base, h);
  let W2 = oW2(base, h);
  let B2 = oB2(base, h);
  let s0 = h * P.scrStride;
  let sZ1 = s0;
  let sX2 = s0 + hid;
  let sG1 = s0 + 2u * hid;
  let sXq = s0 + 3u * hid;
  let sXa = s0 + 4u * hid;
  let sZ2 = s0 + 5u * hid;
  let sG2 = sZ2 + d;
  let sRq = sZ2 + 2u * d;
  let sRa = sZ2 + 3u * d;
  let q = iq(h, t);
  let k = ik(h, t);

  for (var c = lid; c < hid; c += WG) {
    var z = st[B1 + c];
    for (var p = 0u; p < d; p++) {
      z += seq[k + p] * st[W1 + p * hid + c];
    }
    scr[sZ1 + c] = z;
    scr[sX2 + c] = gelu(z);
  }
  storageBarrier();

  for (var m = lid; m < d; m += WG) {
    var z = st[B2 + m];
    for (var c = 0u; c < hid; c++) {
      z += scr[sX2 + c] * st[W2 + c * d + m];
    }
    scr[sZ2 + m] = z;
  }
  storageBarrier();

  if (lid == 0u) {
    let l = ln_l2_grad(sZ2, sG2, h, t);
    outb[oL(P.outStart, h, t)] = l;
    outb[oL(P.outBefore, h, t)] = l;
  }
  storageBarrier();

  for (var c = lid; c < hid; c += WG) {
    var a = 0.0;
    for (var m = 0u; m < d; m++) {
      a += scr[sG2 + m] * st[W2 + c * d + m];
    }
    scr[sG1 + c] = a * gelu_grad(scr[sZ1 + c]);
  }
  storageBarrier();

  // The gradient step; W2 was last read in the phase above.
  let a = scale(h, 0u) * lr(h, t);
  for (var idx = lid; idx < d * hid; idx += WG) {
    let p = idx / hid;
    let c = idx % hid;
    st[W1 + idx] -= a * seq[k + p] * scr[sG1 + c];
  }
  for (var c = lid; c < hid; c += WG) {
    st[B1 + c] -= a * scr[sG1 + c];
  }
  for (var idx = lid; idx < hid * d; idx += WG) {
    let c = idx / d;
    let m = idx % d;
    st[W2 + idx] -= a * scr[sX2 + c] * scr[sG2 + m];
  }
  for (var m = lid; m < d; m += WG) {
    st[B2 + m] -= a * scr[sG2 + m];
  }
  storageBarrier();

  for (var c = lid; c < hid; c += WG) {
    var zq = st[B1 + c];
    var za = zq;
    for (var p = 0u; p < d; p++) {
      let w = st[W1 + p * hid + c];
      zq += seq[q + p] * w;
      za += seq[k + p] * w;
    }
    scr[sXq + c] = gelu(zq);
    scr[sXa + c] = gelu(za);
  }
  storageBarrier();

  for (var m = lid; m < d; m += WG) {
    var rq = st[B2 + m];
    var ra = rq;
    for (var c = 0u; c < hid; c++) {
      let w = st[W2 + c * d + m];
      rq += scr[sXq + c] * w;
      ra += scr[sXa + c] * w;
    }
    scr[sRq + m] = rq;
    scr[sRa + m] = ra;
  }
  storageBarrier();

  if (lid == 0u) {
    ln_out(sRq, h, t);
  } else if (lid == 1u) {
    outb[oL(P.outAfter, h, t)] = ln_loss(sRa, h, t);
  }
}
