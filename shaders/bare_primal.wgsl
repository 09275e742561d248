// bare_primal.wgsl: one mini-batch of the bare TTT-Linear learner of Theorem 1
// in the primal form, every head at once: every gradient at the start W⁰,
// summed, and each token's own weights materialised (b·d² floats per head):
//
//   R   = V − K W⁰                                  [n,d] @ [d,d] -> [n,d]
//   W_i = W⁰ + Σ_{j≤i} k_jᵀ r_j,   z_i = q_i W_i     b mat-vecs
//   W⁰ ← W_n
//
// b = 1 is the delta rule with η = 1; b = T with W0 = 0 is linear attention.
// Bindings: P, seq (XQ, XK, XV), st (set 0 = W [H,d,d]), scr, outb (Z).
// Scratch per head (P.scrStride ≥ bd + b·d²): R [b,d], W_i [b,d,d].
// Dispatch: (H, 1, 1) workgroups of 256, one dispatch per mini-batch; 2 barriers.
// CPU twin: ttt.BareTTT with form Primal (ttt/baselines.go).

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  enter(wid);
  let W = h * d * d + setBase(0u);
  let s0 = h * P.scrStride;
  let sR = s0;
  let sW = s0 + P.b * d;

  for (var idx = lid; idx < n * d; idx += WG) {
    let i = idx / d;
    let m = idx % d;
    let k = ik(h, t0 + i);
    var r = seq[iv(h, t0 + i) + m];
    for (var p = 0u; p < d; p++) {
      r -= seq[k + p] * st[W + p * d + m];
    }
    scr[sR + idx] = r;
  }
  storageBarrier();

  for (var idx = lid; idx < d * d; idx += WG) {
    let p = idx / d;
    let m = idx % d;
    var w = st[W + idx];
    for (var i = 0u; i < n; i++) {
      w += seq[ik(h, t0 + i) + p] * scr[sR + i * d + m];
      scr[sW + i * d * d + idx] = w;
    }
  }
  storageBarrier();

  for (var idx = lid; idx < n * d; idx += WG) {
    let i = idx / d;
    let m = idx % d;
    let q = iq(h, t0 + i);
    var z = 0.0;
    for (var p = 0u; p < d; p++) {
      z += seq[q + p] * scr[sW + i * d * d + p * d + m];
    }
    outb[oZ(h, t0 + i) + m] = z;
  }
  for (var idx = lid; idx < d * d; idx += WG) {
    st[W + idx] = scr[sW + (n - 1u) * d * d + idx];
  }
}
