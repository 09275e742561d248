// bare_dual.wgsl: one mini-batch of the bare TTT-Linear learner of Theorem 1
// in the dual form (f(k) = k W, no bias, LN or residual; target v; η = 1;
// gradients summed), every head at once:
//
//   R = V − K W⁰                                    [n,d] @ [d,d] -> [n,d]
//   Z = Q W⁰ + tril(Q Kᵀ) R                         chunked causal linear attention
//   W⁰ ← W⁰ + Kᵀ R                                  [d,n] @ [n,d] -> [d,d]
//
// With b = T and W0 = 0 this is Z = tril(Q Kᵀ) V, causal linear attention.
// Bindings: P, seq (XQ, XK, XV), st (set 0 = W [H,d,d]), scr, outb (Z).
// Scratch per head (P.scrStride ≥ 2bd + b²): R | Zq [b,d], A [b,b].
// Dispatch: (H, 1, 1) workgroups of 256, one dispatch per mini-batch; 1 barrier.
// CPU twin: ttt.BareTTT with form Dual (ttt/baselines.go).

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  enter(wid);
  let W = h * d * d + setBase(0u);
  let s0 = h * P.scrStride;
  let sR = s0;
  let sZq = s0 + P.b * d;
  let sA = s0 + 2u * P.b * d;

  for (var idx = lid; idx < n * d; idx += WG) {
    let i = idx / d;
    let m = idx % d;
    let q = iq(h, t0 + i);
    let k = ik(h, t0 + i);
    var r = seq[iv(h, t0 + i) + m];
    var zq = 0.0;
    for (var p = 0u; p < d; p++) {
      let w = st[W + p * d + m];
      r -= seq[k + p] * w;
      zq += seq[q + p] * w;
    }
    scr[sR + idx] = r;
    scr[sZq + idx] = zq;
  }
  for (var idx = lid; idx < n * n; idx += WG) {
    let i = idx / n;
    let j = idx % n;
    var a = 0.0;
    if (j <= i) {
      let q = iq(h, t0 + i);
      let k = ik(h, t0 + j);
      for (var p = 0u; p < d; p++) {
        a += seq[q + p] * seq[k + p];
      }
    }
    scr[sA + idx] = a;
  }
  storageBarrier();

  for (var idx = lid; idx < n * d; idx += WG) {
    let i = idx / d;
    let m = idx % d;
    var z = scr[sZq + idx];
    for (var j = 0u; j <= i; j++) {
      z += scr[sA + i * n + j] * scr[sR + j * d + m];
    }
    outb[oZ(h, t0 + i) + m] = z;
  }
  for (var idx = lid; idx < d * d; idx += WG) {
    let p = idx / d;
    let m = idx % d;
    var acc = 0.0;
    for (var j = 0u; j < n; j++) {
      acc += seq[ik(h, t0 + j) + p] * scr[sR + j * d + m];
    }
    st[W + idx] += acc;
  }
}
