// lm_mix_out.wgsl: one character of a block after its TTT heads (the second
// half of lm.Stream.Step's block): the post-norm over the full width, θ_O
// and the residual, then the SwiGLU feed-forward and its residual:
//
//   o  = LN(Z; post_γ, post_β)          Z [H,d] read as [D], heads side by side
//   x += o θ_O                          [1,D] @ [D,D] -> [1,D]
//   a  = RMSNorm(x; norm2)              [D]
//   hg = silu(a W_gate) ⊙ (a W_up)      [1,D] @ [D,F] -> [1,F]
//   x += hg W_down                      [1,F] @ [F,D] -> [1,D]
//
// Bindings: L, prm, act (x, a, hg), hout (Z at L.outZ).
// Dispatch: 1 workgroup of 64; 4 barriers.
// CPU twin: lm.Stream.Step (lm/stream.go, after the heads' Step).

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32) {
  let D = L.D;
  let n = f32(D);
  // LayerNorm statistics, two-pass as ttt.LNStats.
  var s = 0.0;
  for (var m = 0u; m < D; m++) {
    s += hout[L.outZ + m];
  }
  let mu = s / n;
  var ss = 0.0;
  for (var m = 0u; m < D; m++) {
    let c = hout[L.outZ + m] - mu;
    ss += c * c;
  }
  let r = 1.0 / sqrt(ss / n + L.eps);
  for (var m = lid; m < D; m += WG) {
    act[L.a + m] = prm[L.postGamma + m] * (hout[L.outZ + m] - mu) * r + prm[L.postBeta + m];
  }
  storageBarrier();

  for (var m = lid; m < D; m += WG) {
    var y = 0.0;
    for (var p = 0u; p < D; p++) {
      y += act[L.a + p] * prm[L.thetaO + p * D + m];
    }
    act[L.x + m] += y;
  }
  storageBarrier();

  // Every invocation reads all of x, then writes its columns of a (read
  // by all above the last barrier).
  let r2 = rms_r(L.x);
  for (var m = lid; m < D; m += WG) {
    act[L.a + m] = prm[L.norm2 + m] * act[L.x + m] * r2;
  }
  storageBarrier();

  let F = L.F;
  for (var f = lid; f < F; f += WG) {
    var g = 0.0;
    var u = 0.0;
    for (var p = 0u; p < D; p++) {
      let a = act[L.a + p];
      g += a * prm[L.wGate + p * F + f];
      u += a * prm[L.wUp + p * F + f];
    }
    act[L.hg + f] = silu(g) * u;
  }
  storageBarrier();

  for (var m = lid; m < D; m += WG) {
    var y = 0.0;
    for (var f = 0u; f < F; f++) {
      y += act[L.hg + f] * prm[L.wDown + f * D + m];
    }
    act[L.x + m] += y;
  }
}
