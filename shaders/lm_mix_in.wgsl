// lm_mix_in.wgsl: one character of a block up to its TTT heads' inputs (the
// first half of lm.Stream.Step's block): in the first block x = E[token];
// then the pre_conv (PreConv), a = RMSNorm(x; norm1), the projections, RoPE
// at position pos = t mod b, and the η gate:
//
//   x += CausalConv(RMSNorm(x; conv_norm))                          [D]
//   a  = RMSNorm(x; norm1)                                          [D]
//   XQ, XK = a θ_Q, a θ_K          [1,D] @ [D,D] -> [1,D]
//     (share_qk: s = a θ_QK, XQ = conv_q(s), XK = conv_k(s))
//   XV = a θ_V                     [1,D] @ [D,D] -> [1,D]
//   XQ, XK = RoPE(XQ), RoPE(XK)    per head, pairs (2j, 2j+1) of each head's d
//   eta_h = base_lr σ(a · θ_lr,h + b_lr,h) / d                      [H]
//
// into hseq, where the block's stream kernel reads them (XQ | XK | XV [H,d],
// heads side by side, | eta [H]).
// Bindings: L, prm, act (x, a, s, the block's hist and qkHist), hseq (written).
// Dispatch: 1 workgroup of 64; 3 or 4 barriers.
// CPU twin: lm.Stream.Step (lm/stream.go: preConv, projectQK, ropeToken, the lr gate).

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32) {
  let D = L.D;
  if (L.embed != 0u) {
    for (var m = lid; m < D; m += WG) {
      act[L.x + m] = prm[L.E + L.token * D + m];
    }
    storageBarrier();
  }
  if (L.preConv != 0u) {
    // Every invocation reads all of x for the norm before any writes its column.
    let r = rms_r(L.x);
    storageBarrier();
    for (var m = lid; m < D; m += WG) {
      let a = prm[L.convNorm + m] * act[L.x + m] * r;
      let y = conv_step(m, L.hist, a, L.convW, L.convB);
      push_history(m, L.hist, a);
      act[L.x + m] += y;
    }
    storageBarrier();
  }
  let r1 = rms_r(L.x);
  for (var m = lid; m < D; m += WG) {
    act[L.a + m] = prm[L.norm1 + m] * act[L.x + m] * r1;
  }
  storageBarrier();

  // Invocation i owns the column pair (2i, 2i + 1), which RoPE rotates together.
  let half = L.headD / 2u;
  for (var i = lid; 2u * i < D; i += WG) {
    let m0 = 2u * i;
    let m1 = m0 + 1u;
    var q = vec2<f32>(0.0);
    var k = vec2<f32>(0.0);
    var v = vec2<f32>(0.0);
    for (var p = 0u; p < D; p++) {
      let a = act[L.a + p];
      let row = p * D;
      q += a * vec2<f32>(prm[L.thetaQ + row + m0], prm[L.thetaQ + row + m1]);
      v += a * vec2<f32>(prm[L.thetaV + row + m0], prm[L.thetaV + row + m1]);
      if (L.shareQK == 0u) {
        k += a * vec2<f32>(prm[L.thetaK + row + m0], prm[L.thetaK + row + m1]);
      }
    }
    if (L.shareQK != 0u) {
      let s = q; // s = a θ_QK
      q = vec2<f32>(conv_step(m0, L.qkHist, s.x, L.convQW, L.convQB), conv_step(m1, L.qkHist, s.y, L.convQW, L.convQB));
      k = vec2<f32>(conv_step(m0, L.qkHist, s.x, L.convKW, L.convKB), conv_step(m1, L.qkHist, s.y, L.convKW, L.convKB));
      push_history(m0, L.qkHist, s.x);
      push_history(m1, L.qkHist, s.y);
    }
    // RoPE: the pair j = (m0 mod d)/2 of its head turns by pos · θ^(−2j/d).
    let j = (m0 % L.headD) / 2u;
    let c = prm[L.ropeCos + L.pos * half + j];
    let sn = prm[L.ropeSin + L.pos * half + j];
    hseq[m0] = q.x * c - q.y * sn;
    hseq[m1] = q.x * sn + q.y * c;
    hseq[D + m0] = k.x * c - k.y * sn;
    hseq[D + m1] = k.x * sn + k.y * c;
    hseq[2u * D + m0] = v.x;
    hseq[2u * D + m1] = v.y;
  }
  for (var h = lid; h < L.H; h += WG) {
    var z = 0.0;
    for (var p = 0u; p < D; p++) {
      z += act[L.a + p] * prm[L.thetaLR + h * D + p];
    }
    hseq[3u * D + h] = L.baseLR * sigmoid(z + prm[L.bLR + h]) / f32(L.headD);
  }
}
