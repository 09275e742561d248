// attn_softmax.wgsl: causal softmax attention without the 1/√d scale (fold it
// into θ_Q), every head at once; Theorem 2's Nadaraya–Watson learner:
//
//   z_t = Σ_{s≤t} exp(q_t·k_s) v_s / Σ_{s≤t} exp(q_t·k_s)
//
// Online softmax with a running maximum, so exp never overflows and nothing of
// size T is stored. The keys come in chunks of P.n starting at P.t0, one
// dispatch each (all in one command encoder), so no invocation runs past
// lavapipe's loop budget (see common.wgsl); between chunks each query keeps
// (max, sum, z) in scratch, and the chunk that holds t itself writes z_t.
// One invocation per (head, token), no barriers.
// Bindings: P, seq (XQ, XK, XV), scr (per query: max, sum, z [d]), outb (Z).
// Dispatch: (ceil(H·T/64), 1, 1) workgroups of 64, one dispatch per key chunk.
// CPU twin: ttt.SoftmaxAttention (ttt/baselines.go).

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (!enter_query(gid)) {
    return;
  }
  let q = iq(h, t);
  let sc = gid.x * (d + 2u); // this query's running state
  var mx = 0.0;
  var sum = 0.0;
  if (P.t0 > 0u) {
    mx = scr[sc];
    sum = scr[sc + 1u];
    for (var m = 0u; m < d; m++) {
      z[m] = scr[sc + 2u + m];
    }
  }
  let end = min(P.t0 + P.n, t + 1u);
  for (var s = P.t0; s < end; s++) {
    let a = dot_seq_seq(q, ik(h, s), d);
    let v = iv(h, s);
    var c = 1.0; // rescales what was summed so far
    var w = 1.0; // weight of this key
    if (s == 0u) {
      mx = a;
      c = 0.0;
    } else if (a > mx) {
      c = exp(mx - a);
      mx = a;
    } else {
      w = exp(a - mx);
    }
    sum = sum * c + w;
    var m = 0u;
    for (; m + 4u <= d; m += 4u) {
      z[m] = z[m] * c + w * seq[v + m];
      z[m + 1u] = z[m + 1u] * c + w * seq[v + m + 1u];
      z[m + 2u] = z[m + 2u] * c + w * seq[v + m + 2u];
      z[m + 3u] = z[m + 3u] * c + w * seq[v + m + 3u];
    }
    for (; m < d; m++) {
      z[m] = z[m] * c + w * seq[v + m];
    }
  }
  if (end == t + 1u) { // t's own chunk: the last one it sees
    let o = oZ(h, t);
    for (var m = 0u; m < d; m++) {
      outb[o + m] = z[m] / sum;
    }
    return;
  }
  scr[sc] = mx;
  scr[sc + 1u] = sum;
  for (var m = 0u; m < d; m++) {
    scr[sc + 2u + m] = z[m];
  }
}
