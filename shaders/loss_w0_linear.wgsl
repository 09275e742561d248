// loss_w0_linear.wgsl: ℓ(W0; x_t) for every token of every head of TTT-Linear,
// the flat reference curve of the paper's loss figure:
//
//   loss_w0[h,t] = mean_d (LN(k_t W0 + b0) − (v_t − k_t))²      [16,d] @ [d,d] -> [16,d]
//
// A workgroup takes 16 tokens of one head: their predictions as a [16,d]@[d,d]
// product in 4×4 register tiles into workgroup memory (16·MAXD floats, 8 KiB),
// then one row's LayerNorm loss per invocation. One barrier.
// Bindings: P, seq, hp, w0 (W0 at P.w0off), outb (loss_w0).
// Dispatch: (H · ceil(T/16), 1, 1) workgroups of 64.
// CPU twin: ttt.Head.lossW0 (ttt/inner.go).

var<workgroup> zrows: array<f32, 2048>; // [16, MAXD]

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let blocks = (P.T + 15u) / 16u;
  let h = wid.x / blocks;
  let t0 = (wid.x % blocks) * 16u;
  let d = P.d;
  let n = min(16u, P.T - t0);
  let W = oW(P.w0off, h);
  let B = oB(P.w0off, h);
  let nc = (d + 3u) / 4u;
  for (var tile = lid; tile < 4u * nc; tile += 64u) {
    let r0 = (tile / nc) * 4u;
    let m0 = (tile % nc) * 4u;
    let x0 = ik(h, t0 + min(r0, n - 1u));
    let x1 = ik(h, t0 + min(r0 + 1u, n - 1u));
    let x2 = ik(h, t0 + min(r0 + 2u, n - 1u));
    let x3 = ik(h, t0 + min(r0 + 3u, n - 1u));
    let c = vec4<u32>(min(m0, d - 1u), min(m0 + 1u, d - 1u), min(m0 + 2u, d - 1u), min(m0 + 3u, d - 1u));
    let bias = vec4<f32>(w0[B + c.x], w0[B + c.y], w0[B + c.z], w0[B + c.w]);
    var a0 = bias;
    var a1 = bias;
    var a2 = bias;
    var a3 = bias;
    for (var p = 0u; p < d; p++) {
      let w = W + p * d;
      let wv = vec4<f32>(w0[w + c.x], w0[w + c.y], w0[w + c.z], w0[w + c.w]);
      a0 += seq[x0 + p] * wv;
      a1 += seq[x1 + p] * wv;
      a2 += seq[x2 + p] * wv;
      a3 += seq[x3 + p] * wv;
    }
    // Rows ≥ n and columns ≥ d land in unused slots of zrows.
    for (var j = 0u; j < 4u; j++) {
      let m = min(m0 + j, MAXD - 1u);
      zrows[r0 * MAXD + m] = a0[j];
      zrows[(r0 + 1u) * MAXD + m] = a1[j];
      zrows[(r0 + 2u) * MAXD + m] = a2[j];
      zrows[(r0 + 3u) * MAXD + m] = a3[j];
    }
  }
  workgroupBarrier();

  if (lid < n) {
    let t = t0 + lid;
    let z = lid * MAXD;
    let k = ik(h, t);
    let v = iv(h, t);
    var se = 0.0;
    if (P.plain != 0u) { // f = f_res, target v
      for (var m = 0u; m < d; m++) {
        let e = zrows[z + m] - seq[v + m];
        se += e * e;
      }
    } else {
      // Four features per loop iteration, as the helpers in common.wgsl.
      var s = 0.0;
      var m = 0u;
      for (; m + 4u <= d; m += 4u) {
        s += (zrows[z + m] + zrows[z + m + 1u]) + (zrows[z + m + 2u] + zrows[z + m + 3u]);
      }
      for (; m < d; m++) {
        s += zrows[z + m];
      }
      let mu = s / f32(d);
      var ss = 0.0;
      m = 0u;
      for (; m + 4u <= d; m += 4u) {
        let c = vec4<f32>(zrows[z + m], zrows[z + m + 1u], zrows[z + m + 2u], zrows[z + m + 3u]) - mu;
        ss += dot(c, c);
      }
      for (; m < d; m++) {
        let c = zrows[z + m] - mu;
        ss += c * c;
      }
      let r = 1.0 / sqrt(ss / f32(d) + P.eps);
      m = 0u;
      for (; m + 4u <= d; m += 4u) {
        let e = vec4<f32>(
          w0_err(z, h, k, v, m, mu, r), w0_err(z, h, k, v, m + 1u, mu, r),
          w0_err(z, h, k, v, m + 2u, mu, r), w0_err(z, h, k, v, m + 3u, mu, r));
        se += dot(e, e);
      }
      for (; m < d; m++) {
        let e = w0_err(z, h, k, v, m, mu, r);
        se += e * e;
      }
    }
    outb[oL(P.outW0, h, t)] = se / f32(d);
  }
}

// w0_err is LN(z)_m − (v − k)_m for row z of zrows.
fn w0_err(z: u32, h: u32, k: u32, v: u32, m: u32, mu: f32, r: f32) -> f32 {
  return gam(h, m) * (zrows[z + m] - mu) * r + bet(h, m) - (seq[v + m] - seq[k + m]);
}
