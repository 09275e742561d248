// dual_linear.wgsl: one mini-batch step of TTT-Linear in the dual form, for
// every head at once. For the n ≤ b tokens starting at P.t0, with every
// gradient taken at the mini-batch start W⁰ and E_ij = s_i lr_j (j ≤ i):
//
//   Zk   = K W⁰ + b⁰                                  [n,d] @ [d,d] -> [n,d]
//   G    = LNL2Grad(Zk, V − K)                        row by row; loss_start = its MSE
//   Zbar = Q W⁰ + b⁰ − (E ⊙ (Q Kᵀ + 1)) G             [n,n] @ [n,d] -> [n,d]
//   Z    = Q + LN(Zbar)                               the head output
//   loss_after  from K W⁰ + b⁰ − (E  ⊙ (K Kᵀ + 1)) G  (weights W_i)
//   loss_before from K W⁰ + b⁰ − (E′ ⊙ (K Kᵀ + 1)) G  (E′_i = E_{i−1}: weights W_{i−1})
//   W⁰  ← W⁰ − Kᵀ (e ⊙ G),  b⁰ ← b⁰ − eᵀ G,  e_j = s_n lr_j     [d,n] @ [n,d] -> [d,d]
//
// The "+ 1" in E ⊙ (· + 1) carries the bias: q_i b_i = q_i b⁰ − Σ_j E_ij g_j.
// No virtual W_i is ever built.
//
// Bindings: P, seq, hp, st (set 0 = W⁰, updated in place), scr, outb (Z,
//   loss_start, loss_before, loss_after).
// Scratch per head (P.scrStride ≥ 5bd + 3b²): Zk | G | Zbar | Zafter | Zbefore
//   [b,d] each, then E⊙(QKᵀ+1) | E⊙(KKᵀ+1) | E′⊙(KKᵀ+1) [b,b] each.
// Dispatch: (H, 1, 1) workgroups of 256, one dispatch per mini-batch; 3 barriers.
// The two [·,d]@[d,d]-sized products and the Gram matrices run in 4×4 register
// tiles, the dual identity in 1×4 tiles, the row-wise LayerNorms one row per invocation.
// CPU twin: ttt.DualState.Step (ttt/dual.go).

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
  let sMq = s0 + 5u * b * d;
  let sMk = sMq + b * b;
  let sMs = sMk + b * b;

  // Phase 1: Zk and Q W⁰ + b⁰ at the mini-batch start, [K; Q] @ W⁰ as one
  // [2n,d] @ [d,d] product in 4×4 register tiles (8 loads feed 16 multiply-adds),
  // and the three masked, E-weighted Gram matrices.
  let nc = (d + 3u) / 4u;
  for (var tile = lid; tile < ((2u * n + 3u) / 4u) * nc; tile += WG) {
    let r0 = (tile / nc) * 4u;
    let m0 = (tile % nc) * 4u;
    // Out-of-range rows and columns read a valid neighbour and are not stored.
    let x0 = kq_row(h, t0, n, r0);
    let x1 = kq_row(h, t0, n, min(r0 + 1u, 2u * n - 1u));
    let x2 = kq_row(h, t0, n, min(r0 + 2u, 2u * n - 1u));
    let x3 = kq_row(h, t0, n, min(r0 + 3u, 2u * n - 1u));
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
    store_kq(sZk, sZq, n, r0, m0, a0);
    store_kq(sZk, sZq, n, r0 + 1u, m0, a1);
    store_kq(sZk, sZq, n, r0 + 2u, m0, a2);
    store_kq(sZk, sZq, n, r0 + 3u, m0, a3);
  }
  // The Gram matrices in 4×4 tiles of (i, j); tiles wholly above the diagonal are zero.
  let nt = (n + 3u) / 4u;
  for (var tile = lid; tile < nt * nt; tile += WG) {
    let i0 = (tile / nt) * 4u;
    let j0 = (tile % nt) * 4u;
    var gq: array<vec4<f32>, 4>; // q_i · k_j, rows i0.., columns j0..
    var gk: array<vec4<f32>, 4>; // k_i · k_j
    if (j0 <= i0 + 3u) {
      let kj = vec4<u32>(ik(h, t0 + j0), ik(h, t0 + min(j0 + 1u, n - 1u)), ik(h, t0 + min(j0 + 2u, n - 1u)), ik(h, t0 + min(j0 + 3u, n - 1u)));
      for (var a = 0u; a < 4u; a++) {
        let i = min(i0 + a, n - 1u);
        let q = iq(h, t0 + i);
        let k = ik(h, t0 + i);
        var dq = vec4<f32>(0.0);
        var dk = vec4<f32>(0.0);
        for (var p = 0u; p < d; p++) {
          let kv = vec4<f32>(seq[kj.x + p], seq[kj.y + p], seq[kj.z + p], seq[kj.w + p]);
          dq += seq[q + p] * kv;
          dk += seq[k + p] * kv;
        }
        gq[a] = dq;
        gk[a] = dk;
      }
    }
    for (var a = 0u; a < 4u; a++) {
      let i = i0 + a;
      if (i >= n) {
        break;
      }
      for (var b2 = 0u; b2 < 4u; b2++) {
        let j = j0 + b2;
        if (j >= n) {
          break;
        }
        var mq = 0.0;
        var mk = 0.0;
        var ms = 0.0;
        if (j <= i) {
          let l = lr(h, t0 + j);
          mq = scale(h, i) * l * (gq[a][b2] + 1.0);
          mk = scale(h, i) * l * (gk[a][b2] + 1.0);
          if (j < i) {
            ms = scale(h, i - 1u) * l * (gk[a][b2] + 1.0);
          }
        }
        scr[sMq + i * n + j] = mq;
        scr[sMk + i * n + j] = mk;
        scr[sMs + i * n + j] = ms;
      }
    }
  }
  storageBarrier();

  // Phase 2: G, one row per invocation.
  for (var i = lid; i < n; i += WG) {
    outb[oL(P.outStart, h, t0 + i)] = ln_l2_grad(sZk + i * d, sG + i * d, h, t0 + i);
  }
  storageBarrier();

  // Phase 3: the dual identity for Zbar and the two loss rows; the state update.
  // W⁰ was last read in phase 1, so it may change now.
  // Zbar and the two loss rows, four columns per invocation.
  for (var tile = lid; tile < n * nc; tile += WG) {
    let i = tile / nc;
    let m0 = (tile % nc) * 4u;
    let c = vec4<u32>(m0, min(m0 + 1u, d - 1u), min(m0 + 2u, d - 1u), min(m0 + 3u, d - 1u));
    let r = i * d;
    var zq = vec4<f32>(scr[sZq + r + c.x], scr[sZq + r + c.y], scr[sZq + r + c.z], scr[sZq + r + c.w]);
    var za = vec4<f32>(scr[sZk + r + c.x], scr[sZk + r + c.y], scr[sZk + r + c.z], scr[sZk + r + c.w]);
    var zb = za;
    for (var j = 0u; j <= i; j++) {
      let g = sG + j * d;
      let gv = vec4<f32>(scr[g + c.x], scr[g + c.y], scr[g + c.z], scr[g + c.w]);
      zq -= scr[sMq + i * n + j] * gv;
      za -= scr[sMk + i * n + j] * gv;
      zb -= scr[sMs + i * n + j] * gv;
    }
    for (var k = 0u; k < 4u; k++) {
      if (m0 + k < d) {
        scr[sZq + r + m0 + k] = zq[k];
        scr[sZa + r + m0 + k] = za[k];
        scr[sZb + r + m0 + k] = zb[k];
      }
    }
  }
  let sn = scale(h, n - 1u);
  // W⁰ −= Kᵀ (e ⊙ G) in 4×4 register tiles of W.
  for (var tile = lid; tile < nc * nc; tile += WG) {
    let p0 = (tile / nc) * 4u;
    let m0 = (tile % nc) * 4u;
    let pc = vec4<u32>(p0, min(p0 + 1u, d - 1u), min(p0 + 2u, d - 1u), min(p0 + 3u, d - 1u));
    let c = vec4<u32>(m0, min(m0 + 1u, d - 1u), min(m0 + 2u, d - 1u), min(m0 + 3u, d - 1u));
    var a0 = vec4<f32>(0.0);
    var a1 = vec4<f32>(0.0);
    var a2 = vec4<f32>(0.0);
    var a3 = vec4<f32>(0.0);
    for (var j = 0u; j < n; j++) {
      let k = ik(h, t0 + j);
      let e = lr(h, t0 + j);
      let g = sG + j * d;
      let gv = vec4<f32>(scr[g + c.x], scr[g + c.y], scr[g + c.z], scr[g + c.w]);
      a0 += (e * seq[k + pc.x]) * gv;
      a1 += (e * seq[k + pc.y]) * gv;
      a2 += (e * seq[k + pc.z]) * gv;
      a3 += (e * seq[k + pc.w]) * gv;
    }
    sub_tile(W, d, p0, m0, sn * a0);
    sub_tile(W, d, p0 + 1u, m0, sn * a1);
    sub_tile(W, d, p0 + 2u, m0, sn * a2);
    sub_tile(W, d, p0 + 3u, m0, sn * a3);
  }
  for (var m = lid; m < d; m += WG) {
    var acc = 0.0;
    for (var j = 0u; j < n; j++) {
      acc += lr(h, t0 + j) * scr[sG + j * d + m];
    }
    st[B + m] -= sn * acc;
  }
  storageBarrier();

  // Phase 4: the output LayerNorm and the two losses, one row per invocation.
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
}

// kq_row is the offset in seq of row r of [K; Q] for the mini-batch at t0.
fn kq_row(h: u32, t0: u32, n: u32, r: u32) -> u32 {
  if (r < n) {
    return ik(h, t0 + r);
  }
  return iq(h, t0 + r - n);
}

// store_kq stores row r of a [K; Q] W tile (columns m0..m0+3 that exist).
fn store_kq(sZk: u32, sZq: u32, n: u32, r: u32, m0: u32, v: vec4<f32>) {
  if (r >= 2u * n) {
    return;
  }
  var o = sZk + r * P.d;
  if (r >= n) {
    o = sZq + (r - n) * P.d;
  }
  for (var j = 0u; j < 4u; j++) {
    if (m0 + j < P.d) {
      scr[o + m0 + j] = v[j];
    }
  }
}

// sub_tile does W[p, m0..m0+3] −= v for the entries that exist.
fn sub_tile(W: u32, d: u32, p: u32, m0: u32, v: vec4<f32>) {
  if (p >= d) {
    return;
  }
  for (var j = 0u; j < 4u; j++) {
    if (m0 + j < d) {
      st[W + p * d + m0 + j] -= v[j];
    }
  }
}
