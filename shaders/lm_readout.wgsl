// lm_readout.wgsl: the read-out of one character (the end of
// lm.Stream.Step): the final RMSNorm, the logits against the tied
// embedding E [V,D], and their softmax:
//
//   a      = RMSNorm(x; norm_f)              [D]
//   logits = a Eᵀ                            [1,D] @ [D,V] -> [1,V]
//   probs  = exp(logits − max) / Σ exp(logits − max),  stat = (max, ln Σ exp(logits − max))
//
// from which the Go side takes the next character's loss
// −ln p = ln Σ − (logits[next] − max), finite even where p underflows to 0.
// Bindings: L, prm, act (x, a, logits, probs, stat).
// Dispatch: 1 workgroup of 64; 2 barriers.
// CPU twin: lm.Stream.Step (lm/stream.go: rmsNormForward, mmTB, softmax).

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32) {
  let D = L.D;
  let V = L.V;
  let r = rms_r(L.x);
  for (var m = lid; m < D; m += WG) {
    act[L.a + m] = prm[L.normF + m] * act[L.x + m] * r;
  }
  storageBarrier();

  for (var v = lid; v < V; v += WG) {
    var l = 0.0;
    for (var m = 0u; m < D; m++) {
      l += act[L.a + m] * prm[L.E + v * D + m];
    }
    act[L.logits + v] = l;
  }
  storageBarrier();

  // Every invocation finds the max and the sum itself (V terms each).
  var mx = act[L.logits];
  for (var v = 1u; v < V; v++) {
    mx = max(mx, act[L.logits + v]);
  }
  var se = 0.0;
  for (var v = 0u; v < V; v++) {
    se += exp(act[L.logits + v] - mx);
  }
  for (var v = lid; v < V; v += WG) {
    act[L.probs + v] = exp(act[L.logits + v] - mx) / se;
  }
  if (lid == 0u) {
    act[L.stat] = mx;
    act[L.stat + 1u] = log(se);
  }
}
