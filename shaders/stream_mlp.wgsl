// stream_mlp.wgsl: one token of TTT-MLP in the streaming form, every head at
// once (hid = 4d), with plain GD or an inner optimiser (ttt.Opt). As
// stream_linear.wgsl, with the MLP's two layers:
//
//   at W⁰: z1 = k W1 + b1, x2 = gelu(z1), g2 = LNL2Grad(x2 W2 + b2, v − k),
//          g1 = (g2 W2ᵀ) ⊙ gelu′(z1)
//   A1 += lr kᵀ g1, a1 += lr g1, A2 += lr x2ᵀ g2, a2 += lr g2
//   W̄ = opt_w(W⁰, m⁰, v⁰; s_pos A) (every element),  z = q + LN(f_res(q; W̄))
//   and when the token closes its mini-batch: W⁰ ← W̄, m⁰ ← m̄, v⁰ ← v̄, A ← 0.
//
// Bindings: P (t0, pos, reset, the optimiser), seq, hp, w0 (W0), st (set 0 = W⁰,
//   set 1 = A, set 2 = W̄; with momentum or Adam set 3 = m⁰, set 4 = v⁰), scr,
//   outb (Z and all four losses).
// Scratch per head (P.scrStride ≥ 7·hid + 6d): X0 | Xc | Z1s | Xs | G1 | Xq | Xa [hid],
//   R0 | Rc | Rs | G2 | Rq | Ra [d].
// Dispatch: (H, 1, 1) workgroups of 256, one dispatch per token; 7 barriers.
// CPU twin: ttt.StreamState.Step (ttt/stream.go, ttt/opt.go).

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  enter(wid);
  let bS = setBase(0u);
  let bC = setBase(2u);
  let sX0 = h * P.scrStride; // X0 | Xc | Z1s | Xs | G1 | Xq | Xa [hid], R0 | Rc | Rs | G2 | Rq | Ra [d]
  let sXc = sX0 + hid;
  let sZ1s = sX0 + 2u * hid;
  let sXs = sX0 + 3u * hid;
  let sG1 = sX0 + 4u * hid;
  let sXq = sX0 + 5u * hid;
  let sXa = sX0 + 6u * hid;
  let sR0 = sX0 + 7u * hid;
  let sRc = sR0 + d;
  let sRs = sR0 + 2u * d;
  let sG2 = sR0 + 3u * d;
  let sRq = sR0 + 4u * d;
  let sRa = sR0 + 5u * d;
  let q = iq(h, t);
  let k = ik(h, t);

  // Phase 1: layer 1 of k at W0, W̄ and W⁰.
  for (var c = lid; c < hid; c += WG) {
    var z0 = w0[oB1(P.w0off, h) + c];
    var zc = st[oB1(bC, h) + c];
    var zs = st[oB1(bS, h) + c];
    for (var p = 0u; p < d; p++) {
      let x = seq[k + p];
      z0 += x * w0[oW1(P.w0off, h) + p * hid + c];
      zc += x * st[oW1(bC, h) + p * hid + c];
      zs += x * st[oW1(bS, h) + p * hid + c];
    }
    scr[sX0 + c] = gelu(z0);
    scr[sXc + c] = gelu(zc);
    scr[sZ1s + c] = zs;
    scr[sXs + c] = gelu(zs);
  }
  storageBarrier();

  // Phase 2: layer 2.
  for (var m = lid; m < d; m += WG) {
    var r0 = w0[oB2(P.w0off, h) + m];
    var rc = st[oB2(bC, h) + m];
    var rs = st[oB2(bS, h) + m];
    for (var c = 0u; c < hid; c++) {
      r0 += scr[sX0 + c] * w0[oW2(P.w0off, h) + c * d + m];
      rc += scr[sXc + c] * st[oW2(bC, h) + c * d + m];
      rs += scr[sXs + c] * st[oW2(bS, h) + c * d + m];
    }
    scr[sR0 + m] = r0;
    scr[sRc + m] = rc;
    scr[sRs + m] = rs;
  }
  storageBarrier();

  if (lid == 0u) {
    outb[oL(P.outW0, h, t)] = ln_loss(sR0, h, t);
  } else if (lid == 1u) {
    outb[oL(P.outBefore, h, t)] = ln_loss(sRc, h, t);
  } else if (lid == 2u) {
    outb[oL(P.outStart, h, t)] = ln_l2_grad(sRs, sG2, h, t);
  }
  storageBarrier();

  // Phase 4: g1 = (g2 W2ᵀ) ⊙ gelu′(z1), at W⁰.
  mlp_g1(lid, sG2, mlp(bS, h), sZ1s, sG1);
  storageBarrier();

  // Phase 5: the running sums and W̄, element by element. W1 [d,hid] and
  // W2 [hid,d] have as many elements: one loop takes both.
  let l = lr(h, t);
  let s = scale(h, P.pos);
  for (var idx = lid; idx < d * hid; idx += WG) {
    opt_acc(oW1(bS, h) + idx, l * seq[k + idx / hid] * scr[sG1 + idx % hid], s);
    opt_acc(oW2(bS, h) + idx, l * scr[sXs + idx / d] * scr[sG2 + idx % d], s);
  }
  for (var c = lid; c < hid; c += WG) {
    opt_acc(oB1(bS, h) + c, l * scr[sG1 + c], s);
  }
  for (var m = lid; m < d; m += WG) {
    opt_acc(oB2(bS, h) + m, l * scr[sG2 + m], s);
  }
  storageBarrier();

  // Phases 6 and 7: q and k through the new W̄.
  qk_mlp1(lid, q, k, mlp(bC, h), sXq, sXa);
  storageBarrier();
  qk_mlp2(lid, sXq, sXa, mlp(bC, h), sRq, sRa);
  storageBarrier();
  out_after(lid, h, t, sRq, sRa);
  // The end of a mini-batch, for every tensor of this head. Each invocation
  // commits the elements whose A it wrote in phase 5.
  if (P.reset != 0u) {
    for (var i = lid; i < d * hid; i += WG) {
      opt_commit(oW1(bS, h) + i, s);
      opt_commit(oW2(bS, h) + i, s);
    }
    for (var c = lid; c < hid; c += WG) {
      opt_commit(oB1(bS, h) + c, s);
    }
    for (var m = lid; m < d; m += WG) {
      opt_commit(oB2(bS, h) + m, s);
    }
  }
}
