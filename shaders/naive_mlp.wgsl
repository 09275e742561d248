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
  enter(wid);
  let ws = mlp(setBase(0u), h);
  let sZ1 = h * P.scrStride; // Z1 | X2 | G1 | Xq | Xa [hid], Z2 | G2 | Rq | Ra [d]
  let sX2 = sZ1 + hid;
  let sG1 = sZ1 + 2u * hid;
  let sXq = sZ1 + 3u * hid;
  let sXa = sZ1 + 4u * hid;
  let zr = rows(sZ1 + 5u * hid); // Z2 | G2 | Rq | Ra [d] (b = 1)
  let k = ik(h, t);

  for (var c = lid; c < hid; c += WG) {
    let z = st[ws.B1 + c] + dot_seq_st(k, ws.W1 + c, hid, d);
    scr[sZ1 + c] = z;
    scr[sX2 + c] = gelu(z);
  }
  storageBarrier();
  mlp_z2(lid, sX2, ws, zr.Z);
  storageBarrier();

  start_grads(lid, h, zr);
  storageBarrier();
  before_is_start(lid, h, t);
  mlp_g1(lid, zr.G, ws, sZ1, sG1);
  storageBarrier();

  // The gradient step; W2 was last read in the phase above.
  let a = scale(h, 0u) * lr(h, t);
  for (var idx = lid; idx < d * hid; idx += WG) {
    st[ws.W1 + idx] -= a * seq[k + idx / hid] * scr[sG1 + idx % hid];
    st[ws.W2 + idx] -= a * scr[sX2 + idx / d] * scr[zr.G + idx % d];
  }
  for (var c = lid; c < hid; c += WG) {
    st[ws.B1 + c] -= a * scr[sG1 + c];
  }
  for (var m = lid; m < d; m += WG) {
    st[ws.B2 + m] -= a * scr[zr.G + m];
  }
  storageBarrier();

  qk_mlp1(lid, iq(h, t), k, ws, sXq, sXa);
  storageBarrier();
  qk_mlp2(lid, sXq, sXa, ws, zr.Q, zr.A);
  storageBarrier();
  out_after(lid, h, t, zr.Q, zr.A);
}
