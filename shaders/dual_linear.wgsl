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
  enter(wid);
  let ws = lin(setBase(0u), h);
  let zr = rows(h * P.scrStride); // five [b,d] blocks, then three [b,b]
  let sMq = zr.end;
  let sMk = sMq + P.b * P.b;
  let sMs = sMk + P.b * P.b;

  // Phase 1: Zk and Q W⁰ + b⁰ at the mini-batch start, [K; Q] @ W⁰ as one
  // [2n,d] @ [d,d] product in 4×4 register tiles, and the three masked,
  // E-weighted Gram matrices.
  let nc = (d + 3u) / 4u;
  let last = 2u * n - 1u;
  for (var tile = lid; tile < ((2u * n + 3u) / 4u) * nc; tile += WG) {
    let r0 = (tile / nc) * 4u;
    let m0 = (tile % nc) * 4u;
    // Out-of-range rows and columns read a valid neighbour and are not stored.
    let x = vec4<u32>(kq_row(h, t0, n, r0), kq_row(h, t0, n, min(r0 + 1u, last)),
                      kq_row(h, t0, n, min(r0 + 2u, last)), kq_row(h, t0, n, min(r0 + 3u, last)));
    var a = xw_tile(x, ws, cols4(m0));
    for (var j = 0u; j < 4u; j++) {
      store_kq(zr.Z, zr.Q, n, r0 + j, m0, a[j]);
    }
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
        let e = coefs(h, i, j, vec3<f32>(gq[a][b2], gk[a][b2], gk[a][b2]));
        scr[sMq + i * n + j] = e.x;
        scr[sMk + i * n + j] = e.y;
        scr[sMs + i * n + j] = e.z;
      }
    }
  }
  storageBarrier();

  // Phase 2: G, one row per invocation.
  start_grads(lid, h, zr);
  storageBarrier();

  // Phase 3: the dual identity for Zbar and the two loss rows, four columns
  // per invocation; the state update (W⁰ was last read in phase 1).
  for (var tile = lid; tile < n * nc; tile += WG) {
    let i = tile / nc;
    let m0 = (tile % nc) * 4u;
    let c = cols4(m0);
    let r = i * d;
    var zq = vec4<f32>(scr[zr.Q + r + c.x], scr[zr.Q + r + c.y], scr[zr.Q + r + c.z], scr[zr.Q + r + c.w]);
    var za = vec4<f32>(scr[zr.Z + r + c.x], scr[zr.Z + r + c.y], scr[zr.Z + r + c.z], scr[zr.Z + r + c.w]);
    var zb = za;
    for (var j = 0u; j <= i; j++) {
      let g = zr.G + j * d;
      let gv = vec4<f32>(scr[g + c.x], scr[g + c.y], scr[g + c.z], scr[g + c.w]);
      zq -= scr[sMq + i * n + j] * gv;
      za -= scr[sMk + i * n + j] * gv;
      zb -= scr[sMs + i * n + j] * gv;
    }
    store4(zr.Q + r, m0, zq);
    store4(zr.A + r, m0, za);
    store4(zr.B + r, m0, zb);
  }
  let sn = scale(h, n - 1u);
  // W⁰ −= Kᵀ (e ⊙ G) in 4×4 register tiles of W.
  for (var tile = lid; tile < nc * nc; tile += WG) {
    let p0 = (tile / nc) * 4u;
    let m0 = (tile % nc) * 4u;
    let pc = cols4(p0);
    let c = cols4(m0);
    var a = mat4x4<f32>();
    for (var j = 0u; j < n; j++) {
      let k = ik(h, t0 + j);
      let e = lr(h, t0 + j);
      let g = zr.G + j * d;
      let gv = vec4<f32>(scr[g + c.x], scr[g + c.y], scr[g + c.z], scr[g + c.w]);
      a[0] += (e * seq[k + pc.x]) * gv;
      a[1] += (e * seq[k + pc.y]) * gv;
      a[2] += (e * seq[k + pc.z]) * gv;
      a[3] += (e * seq[k + pc.w]) * gv;
    }
    for (var j = 0u; j < 4u; j++) {
      sub_tile(ws.W, p0 + j, m0, sn * a[j]);
    }
  }
  bias_step(lid, h, ws.B, zr.G, d);
  storageBarrier();

  // Phase 4: the output LayerNorm and the two losses, one row per invocation.
  out_rows(lid, h, zr);
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
  if (r < n) {
    store4(sZk + r * P.d, m0, v);
  } else if (r < 2u * n) {
    store4(sZq + (r - n) * P.d, m0, v);
  }
}

// sub_tile does W[p, m0..m0+3] −= v for the entries that exist.
fn sub_tile(W: u32, p: u32, m0: u32, v: vec4<f32>) {
  if (p >= P.d) {
    return;
  }
  for (var j = 0u; j < 4u; j++) {
    if (m0 + j < P.d) {
      st[W + p * P.d + m0 + j] -= v[j];
    }
  }
}
