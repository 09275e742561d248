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
  let h = wid.x;
  let d = P.d;
  let b = P.b;
  let n = P.n;
  let t0 = P.t0;
  let base = setBase(0u);
  let W = oW(base, h);
  let B = oB(base, h);
  let s0 = h * P.scrStride;
  let sZk = s0;
  let sG = s0 + b * d;
  let sZq = s0 + 2u * b * d;
  let sZa = s0 + 3u * b * d;
  let sZb = s0 + 4u * b * d;
  let sWi = s0 + 5u * b * d;
  let sBi = sWi + b * d * d;

  // Phase 1: predictions at W⁰, K W⁰ + b⁰ in 4×4 register tiles as in dual_linear.wgsl.
  let nc = (d + 3u) / 4u;
  for (var tile = lid; tile < ((n + 3u) / 4u) * nc; tile += WG) {
    let r0 = (tile / nc) * 4u;
    let m0 = (tile % nc) * 4u;
    let x0 = ik(h, t0 + r0);
    let x1 = ik(h, t0 + min(r0 + 1u, n - 1u));
    let x2 = ik(h, t0 + min(r0 + 2u, n - 1u));
    let x3 = ik(h, t0 + min(r0 + 3u, n - 1u));
    let c = vec4<u32>(m0, min(m0 + 1u, d - 1u), min(m0 + 2u, d - 1u), min(m0 + 3u, d - 1u));
    let bias = vec4<f32>(st[B + c.x], st[B + c.y], st[B + c.z], st[B + c.w]);
    var a0 = bias;
    var a1 = bias;
    var a2 = bias;
    var a3 = bias;
    for (var p = 0u; p < d; p++) {
      let w = W + p * d;
      let wv = vec4<f32>(st[w + c.x], st[w + c.y], st[w + c.z], st[w + c.w]);
      a0 += seq[x0 + p] * wv;
      a1 += seq[x1 + p] * wv;
      a2 += seq[x2 + p] * wv;
      a3 += seq[x3 + p] * wv;
    }
    store_row(sZk, n, r0, m0, a0);
    store_row(sZk, n, r0 + 1u, m0, a1);
    store_row(sZk, n, r0 + 2u, m0, a2);
    store_row(sZk, n, r0 + 3u, m0, a3);
  }
  storageBarrier();

  // Phase 2: the gradients, one row per invocation.
  for (var i = lid; i < n; i += WG) {
    outb[oL(P.outStart, h, t0 + i)] = ln_l2_grad(sZk + i * d, sG + i * d, h, t0 + i);
  }
  storageBarrier();

  // Phase 3: every W_i, element by element, as a running sum over the mini-batch.
  for (var idx = lid; idx < d * d; idx += WG) {
    let p = idx / d;
    let m = idx % d;
    let w = st[W + idx];
    var acc = 0.0;
    for (var i = 0u; i < n; i++) {
      acc += lr(h, t0 + i) * seq[ik(h, t0 + i) + p] * scr[sG + i * d + m];
      scr[sWi + i * d * d + idx] = w - scale(h, i) * acc;
    }
  }
  for (var m = lid; m < d; m += WG) {
    let c = st[B + m];
    var acc = 0.0;
    for (var i = 0u; i < n; i++) {
      acc += lr(h, t0 + i) * scr[sG + i * d + m];
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
      zb = scr[sZk + m];
    } else {
      let Wp = sWi + (i - 1u) * d * d;
      zb = scr[sBi + (i - 1u) * d + m];
      for (var p = 0u; p < d; p++) {
        zb += seq[k + p] * scr[Wp + p * d + m];
      }
    }
    scr[sZq + idx] = zq;
    scr[sZa + idx] = za;
    scr[sZb + idx] = zb;
  }
  storageBarrier();

  // Phase 5: output LayerNorm and losses; carry W_n to the next mini-batch.
  for (var r = lid; r < 3u * n; r += WG) {
    let i = r % n;
    let t = t0 + i;
    if (r < n) {
      ln_out(sZq + i * d, h, t);
    } else if (r < 2u * n) {
      outb[oL(P.outAfter, h, t)] = ln_loss(sZa + i * d, h, t);
    } else {
      outb[oL(P.outBefore, h, t)] = ln_loss(sZb + i * d, h, t);
    }
  }
  for (var idx = lid; idx < d * d; idx += WG) {
    st[W + idx] = scr[sWi + (n - 1u) * d * d + idx];
  }
  for (var m = lid; m < d; m += WG) {
    st[B + m] = scr[sBi + (n - 1u) * d + m];
  }
}

// store_row stores row r < n of a tile (columns m0..m0+3 that exist) at scr[o ..].
fn store_row(o: u32, n: u32, r: u32, m0: u32, v: vec4<f32>) {
  if (r >= n) {
    return;
  }
  for (var j = 0u; j < 4u; j++) {
    if (m0 + j < P.d) {
      scr[o + r * P.d + m0 + j] = v[j];
    }
  }
}
