// loss_w0_linear.wgsl: ℓ(W0; x_t) for every token of every head of TTT-Linear,
// the flat reference curve of the paper's loss figure:
//
//   loss_w0[h,t] = mean_d (LN(k_t W0 + b0) − (v_t − k_t))²      [d] @ [d,d] -> [d]
//
// One invocation per (head, token), its prediction row in registers; no barriers.
// Bindings: P, seq, hp, w0 (W0 at P.w0off), outb (loss_w0).
// Dispatch: (ceil(H·T/64), 1, 1) workgroups of 64.
// CPU twin: ttt.Head.lossW0 (ttt/inner.go).

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (gid.x >= P.H * P.T) {
    return;
  }
  let h = gid.x / P.T;
  let t = gid.x % P.T;
  let d = P.d;
  let k = ik(h, t);
  let v = iv(h, t);
  let W = oW(P.w0off, h);
  let B = oB(P.w0off, h);
  var z: array<f32, MAXD>;
  var s = 0.0;
  for (var m = 0u; m < d; m++) {
    var a = w0[B + m];
    for (var p = 0u; p < d; p++) {
      a += seq[k + p] * w0[W + p * d + m];
    }
    z[m] = a;
    s += a;
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
