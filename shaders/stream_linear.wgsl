// stream_linear.wgsl: one token of TTT-Linear in the streaming form, every
// head at once, with plain GD or an inner optimiser (ttt.Opt). The state
// keeps the mini-batch start W⁰, the running sums A and, for momentum and
// Adam, the moments m⁰, v⁰ committed at the last mini-batch end:
//
//   A += lr_t kᵀ g,  g = LNL2Grad(k W⁰ + b⁰, v − k)      (the gradient at W⁰)
//   W̄ = opt_w(W⁰, m⁰, v⁰; s_pos A),  z = q + LN(q W̄ + b̄)
//   and when the token closes its mini-batch: W⁰ ← W̄, m⁰ ← m̄, v⁰ ← v̄, A ← 0.
//
// For plain GD (P.opt = 0, P.decay = 0) opt_w is W⁰ − s_pos A, and W̄ equals
// the primal form's W_i exactly after every token, which is what the page
// shows. Losses: loss_w0 at the sequence's W0, loss_before at W̄ before the
// token, loss_start at W⁰, loss_after at the new W̄.
// Bindings: P (t0 = token index in seq/outb, pos, reset, the optimiser), seq,
//   hp, w0 (W0), st (set 0 = W⁰, set 1 = A, set 2 = W̄; with momentum or Adam
//   set 3 = m⁰, set 4 = v⁰), scr, outb (Z and all four losses).
// Scratch per head (P.scrStride ≥ 6d): Z0 | Zc | Zs | G | Zq | Za [d].
// Dispatch: (H, 1, 1) workgroups of 256, one dispatch per token; 4 barriers.
// CPU twin: ttt.StreamState.Step (ttt/stream.go, ttt/opt.go).

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  enter(wid);
  let Wi = oW(P.w0off, h);
  let Bi = oB(P.w0off, h);
  let Ws = oW(setBase(0u), h);
  let Bs = oB(setBase(0u), h);
  let Wc = oW(setBase(2u), h);
  let Bc = oB(setBase(2u), h);
  let sZ0 = h * P.scrStride; // Z0 | Zc | Zs | G | Zq | Za [d]
  let sZc = sZ0 + d;
  let sZs = sZ0 + 2u * d;
  let sG = sZ0 + 3u * d;
  let sZq = sZ0 + 4u * d;
  let sZa = sZ0 + 5u * d;
  let q = iq(h, t);
  let k = ik(h, t);

  // Phase 1: k through the three weights: W0, W̄ (before the step) and W⁰.
  for (var m = lid; m < d; m += WG) {
    var z0 = w0[Bi + m];
    var zc = st[Bc + m];
    var zs = st[Bs + m];
    for (var p = 0u; p < d; p++) {
      let x = seq[k + p];
      z0 += x * w0[Wi + p * d + m];
      zc += x * st[Wc + p * d + m];
      zs += x * st[Ws + p * d + m];
    }
    scr[sZ0 + m] = z0;
    scr[sZc + m] = zc;
    scr[sZs + m] = zs;
  }
  storageBarrier();

  if (lid == 0u) {
    outb[oL(P.outW0, h, t)] = ln_loss(sZ0, h, t);
  } else if (lid == 1u) {
    outb[oL(P.outBefore, h, t)] = ln_loss(sZc, h, t);
  } else if (lid == 2u) {
    outb[oL(P.outStart, h, t)] = ln_l2_grad(sZs, sG, h, t);
  }
  storageBarrier();

  // Phase 3: A += lr kᵀ g; W̄ = opt_w(W⁰; s_pos A). Each invocation owns its elements.
  let l = lr(h, t);
  let s = scale(h, P.pos);
  for (var idx = lid; idx < d * d; idx += WG) {
    opt_acc(Ws + idx, l * seq[k + idx / d] * scr[sG + idx % d], s);
  }
  for (var m = lid; m < d; m += WG) {
    opt_acc(Bs + m, l * scr[sG + m], s);
  }
  storageBarrier();

  qk_linear(lid, q, k, Lin(Wc, Bc), sZq, sZa);
  storageBarrier();
  out_after(lid, h, t, sZq, sZa);
  // The end of a mini-batch. Each invocation commits the elements whose A it
  // wrote above; W̄ was last read by others above the barrier.
  if (P.reset != 0u) {
    for (var idx = lid; idx < d * d; idx += WG) {
      opt_commit(Ws + idx, s);
    }
    for (var m = lid; m < d; m += WG) {
      opt_commit(Bs + m, s);
    }
  }
}
