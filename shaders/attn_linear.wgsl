// attn_linear.wgsl: causal linear attention with the identity feature map and
// no normaliser, every head at once (Theorem 1's special case of TTT-Linear):
//
//   z_t = Σ_{s≤t} (q_t · k_s) v_s,   i.e.  Z = tril(Q Kᵀ) V       [T,T] @ [T,d] -> [T,d]
//
// Its cost per token grows with t, which is the point of the cost-vs-context
// race. The keys come in chunks of P.n starting at P.t0, one dispatch each (all
// in one command encoder): an invocation adds its query's share of the chunk
// to z_t in outb, so no invocation runs past lavapipe's loop budget however
// long the context (see common.wgsl). The first chunk (t0 = 0) starts z_t at 0.
// One invocation per (head, token), no barriers.
// Bindings: P, seq (XQ, XK, XV), outb (Z).
// Dispatch: (ceil(H·T/64), 1, 1) workgroups of 64, one dispatch per key chunk.
// CPU twin: ttt.LinearAttention (ttt/baselines.go).

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (!enter_query(gid)) {
    return;
  }
  let q = iq(h, t);
  let o = oZ(h, t);
  for (var m = 0u; m < d; m++) {
    z[m] = select(outb[o + m], 0.0, P.t0 == 0u);
  }
  let end = min(P.t0 + P.n, t + 1u);
  for (var s = P.t0; s < end; s++) {
    let a = dot_seq_seq(q, ik(h, s), d);
    z_add_seq(a, iv(h, s));
  }
  for (var m = 0u; m < d; m++) {
    outb[o + m] = z[m];
  }
}
