// attn_linear.wgsl: causal linear attention with the identity feature map and
// no normaliser, every head at once (Theorem 1's special case of TTT-Linear):
//
//   z_t = Σ_{s≤t} (q_t · k_s) v_s,   i.e.  Z = tril(Q Kᵀ) V       [T,T] @ [T,d] -> [T,d]
//
// Its cost per token grows with t, which is the point of the cost-vs-context race.
// One invocation per (head, token), the output row in registers; no barriers.
// Bindings: P, seq (XQ, XK, XV), outb (Z).
// Dispatch: (ceil(H·T/64), 1, 1) workgroups of 64.
// CPU twin: ttt.LinearAttention (ttt/baselines.go).

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (gid.x >= P.H * P.T) {
    return;
  }
  let h = gid.x / P.T;
  let t = gid.x % P.T;
  let d = P.d;
  let q = iq(h, t);
  var z: array<f32, MAXD>;
  for (var m = 0u; m < d; m++) {
    z[m] = 0.0;
  }
  for (var s = 0u; s <= t; s++) {
    let k = ik(h, s);
    let v = iv(h, s);
    var a = 0.0;
    for (var p = 0u; p < d; p++) {
      a += seq[q + p] * seq[k + p];
    }
    for (var m = 0u; m < d; m++) {
      z[m] += a * seq[v + m];
    }
  }
  let o = oZ(h, t);
  for (var m = 0u; m < d; m++) {
    outb[o + m] = z[m];
  }
}
