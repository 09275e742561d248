// loss_w0_mlp.wgsl: ℓ(W0; x_t) for every token of every head of TTT-MLP:
//
//   loss_w0[h,t] = mean_d (LN(gelu(k_t W1 + b1) W2 + b2) − (v_t − k_t))²
//
// One invocation per (head, token). The hidden layer is never stored: each
// hidden unit is computed, passed through gelu and folded into the output row.
// Bindings: P, seq, hp, w0 (W0 at P.w0off), outb (loss_w0).
// Dispatch: (ceil(H·T/64), 1, 1) workgroups of 64; no barriers.
// CPU twin: ttt.Head.lossW0 (ttt/inner.go).

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (!enter_token(gid)) {
    return;
  }
  let k = ik(h, t);
  let v = iv(h, t);
  let W1 = oW1(P.w0off, h);
  let B1 = oB1(P.w0off, h);
  let W2 = oW2(P.w0off, h);
  let B2 = oB2(P.w0off, h);
  for (var m = 0u; m < d; m++) {
    z[m] = w0[B2 + m];
  }
  // Eight terms per loop iteration: lavapipe stops an invocation's loops after
  // 65535 iterations in all, and this one runs hid · (2d/8) ≈ 16k at d = 128.
  for (var c = 0u; c < hid; c++) {
    var a = w0[B1 + c];
    var p = 0u;
    for (; p + 8u <= d; p += 8u) {
      let w = W1 + p * hid + c;
      a += seq[k + p] * w0[w] + seq[k + p + 1u] * w0[w + hid] + seq[k + p + 2u] * w0[w + 2u * hid] + seq[k + p + 3u] * w0[w + 3u * hid]
         + seq[k + p + 4u] * w0[w + 4u * hid] + seq[k + p + 5u] * w0[w + 5u * hid] + seq[k + p + 6u] * w0[w + 6u * hid] + seq[k + p + 7u] * w0[w + 7u * hid];
    }
    for (; p < d; p++) {
      a += seq[k + p] * w0[W1 + p * hid + c];
    }
    z_add_w0(gelu(a), W2 + c * d);
  }
  if (P.plain != 0u) { // f = f_res, target v
    var se = 0.0;
    for (var m = 0u; m < d; m++) {
      let e = z[m] - seq[v + m];
      se += e * e;
    }
    outb[oL(P.outW0, h, t)] = se / f32(d);
    return;
  }
  var s = 0.0;
  for (var m = 0u; m < d; m++) {
    s += z[m];
  }
  let mu = s / f32(d);
  var ss = 0.0;
  for (var m = 0u; m < d; m++) {
    let c = z[m] - mu;
    ss += c * c;
  }
  let r = 1.0 / sqrt(ss / f32(d) + P.eps);
  var se = 0.0;
  for (var m = 0u; m < d; m++) {
    let e = gam(h, m) * (z[m] - mu) * r + bet(h, m) - (seq[v + m] - seq[k + m]);
    se += e * e;
  }
  outb[oL(P.outW0, h, t)] = se / f32(d);
}
