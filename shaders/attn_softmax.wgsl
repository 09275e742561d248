// attn_softmax.wgsl: causal softmax attention without the 1/√d scale (fold it
// into θ_Q), every head at once; Theorem 2's Nadaraya–Watson learner:
//
//   z_t = Σ_{s≤t} exp(q_t·k_s) v_s / Σ_{s≤t} exp(q_t·k_s)
//
// One pass with a running maximum (online softmax), so exp never overflows and
// nothing of size T is stored. One invocation per (head, token); no barriers.
// Bindings: P, seq (XQ, XK, XV), outb (Z).
// Dispatch: (ceil(H·T/64), 1, 1) workgroups of 64.
// CPU twin: ttt.SoftmaxAttention (ttt/baselines.go).

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
  var mx = 0.0; // the running maximum of q·k_s, set by s = 0
  var sum = 0.0;
  for (var s = 0u; s <= t; s++) {
    let k = ik(h, s);
    let v = iv(h, s);
    var a = 0.0;
    for (var p = 0u; p < d; p++) {
      a += seq[q + p] * seq[k + p];
    }
    if (s == 0u) {
      mx = a;
      sum = 1.0;
      for (var m = 0u; m < d; m++) {
        z[m] = seq[v + m];
      }
    } else if (a > mx) {
      let c = exp(mx - a); // rescale what was summed so far to the new maximum
      sum = sum * c + 1.0;
      for (var m = 0u; m < d; m++) {
        z[m] = z[m] * c + seq[v + m];
      }
      mx = a;
    } else {
      let w = exp(a - mx);
      sum += w;
      for (var m = 0u; m < d; m++) {
        z[m] += w * seq[v + m];
      }
    }
  }
  let o = oZ(h, t);
  for (var m = 0u; m < d; m++) {
    outb[o + m] = z[m] / sum;
  }
}
