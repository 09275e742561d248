// naive_linear.wgsl: one token of TTT-Linear by online gradient descent
// (b = 1, the paper's Eq. 1 with the code's learning rate), every head at once:
//
//   g_t = LNL2Grad(k_t W_{t−1} + b_{t−1}, v_t − k_t)     loss_start = loss_before = its MSE
//   W_t = W_{t−1} − s_1 lr_t k_tᵀ g_t,  b_t = b_{t−1} − s_1 lr_t g_t      rank-1 step [d,d]
//   z_t = q_t + LN(q_t W_t + b_t),  loss_after at W_t
//
// Each token needs the previous one's W: T sequential steps, one dispatch each.
// Bindings: P (t0 = t, n = 1), seq, hp, st (set 0 = W, updated in place), scr,
//   outb (Z, loss_start, loss_before, loss_after).
// Scratch per head (P.scrStride ≥ 4d): Zk | G | Zq | Za [d].
// Dispatch: (H, 1, 1) workgroups of 256, one dispatch per token; 4 barriers.
// CPU twin: ttt.Head.naive (ttt/naive.go).

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  enter(wid);
  let ws = lin(setBase(0u), h);
  let zr = rows(h * P.scrStride); // Zk | G | Zq | Za [d] (b = 1)
  let k = ik(h, t);

  for (var m = lid; m < d; m += WG) {
    scr[zr.Z + m] = st[ws.B + m] + dot_seq_st(k, ws.W + m, d, d);
  }
  storageBarrier();

  start_grads(lid, h, zr);
  storageBarrier();
  before_is_start(lid, h, t);

  let a = scale(h, 0u) * lr(h, t);
  for (var idx = lid; idx < d * d; idx += WG) {
    st[ws.W + idx] -= a * seq[k + idx / d] * scr[zr.G + idx % d];
  }
  for (var m = lid; m < d; m += WG) {
    st[ws.B + m] -= a * scr[zr.G + m];
  }
  storageBarrier();

  qk_linear(lid, iq(h, t), k, ws, zr.Q, zr.A);
  storageBarrier();
  out_after(lid, h, t, zr.Q, zr.A);
}
