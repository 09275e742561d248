package demo

import (
	"fmt"

	"tttexplainer/lm"
	"tttexplainer/ttt"
)

// lmHeads is one LM layer's heads as the language model steps them
// (an lm.HeadStream): the device's stream, plus what it takes to carry on
// without it. It logs every token's head inputs (XQ, XK, XV, eta) and keeps
// the weights at each mini-batch boundary, so that
//   - W after any token is the boundary's W replayed on the CPU (at most b−1
//     tokens), and a GPU stream reads its weights back once a mini-batch;
//   - when the device fails, a CPU stream starts at the last boundary,
//     replays the logged tokens, and the model goes on: its history is kept.
//
// Under a whole-model stream (LMRun.whole) it has no stream of its own
// (inner is nil): the model stream's readback brings each token's head
// inputs and, at a boundary, W (logStep), and W between boundaries, the
// current token's too, is replayed on the CPU.
type lmHeads struct {
	run   *LMRun
	heads []*ttt.Head
	H, d  int
	b     int
	inner lm.HeadStream
	onCPU bool

	n          int              // tokens stepped
	q, k, v    []float32        // [n,H,d] the logged XQ, XK, XV (after RoPE)
	lr         []float32        // [n,H] eta_t
	boundaries [][]*ttt.Weights // [n/b+1][H] W after 0, b, 2b, … tokens
}

func newLMHeads(run *LMRun, dev Device, heads []*ttt.Head, W0 []*ttt.Weights) (*lmHeads, error) {
	h := &lmHeads{run: run, heads: heads, H: len(heads), d: heads[0].D, b: heads[0].B, onCPU: dev.Name() == "cpu"}
	h.boundaries = append(h.boundaries, clone(W0))
	var err error
	if gerr := guard(func() error { h.inner, err = dev.NewStream(heads, W0); return err }); gerr != nil {
		return nil, gerr
	}
	return h, nil
}

// newLMLog is an lmHeads with no stream: the log of a whole-model stream's layer.
func newLMLog(run *LMRun, heads []*ttt.Head, W0 []*ttt.Weights) *lmHeads {
	h := &lmHeads{run: run, heads: heads, H: len(heads), d: heads[0].D, b: heads[0].B}
	h.boundaries = append(h.boundaries, clone(W0))
	return h
}

// logStep logs one token's head inputs that a whole-model stream computed,
// and W after it, which the stream gives at each mini-batch end.
func (h *lmHeads) logStep(q, k, v, lr []float32, W []*ttt.Weights) error {
	if n := h.H * h.d; len(q) != n || len(k) != n || len(v) != n || len(lr) != h.H {
		return fmt.Errorf("demo: a layer's head inputs have %d, %d, %d, %d values, want %d, %d, %d, %d", len(q), len(k), len(v), len(lr), n, n, n, h.H)
	}
	if end := (h.n+1)%h.b == 0; end != (W != nil) || (W != nil && len(W) != h.H) {
		return fmt.Errorf("demo: after token %d the model stream gave %d heads' W, want them exactly at mini-batch ends (b = %d)", h.n+1, len(W), h.b)
	}
	h.q = append(h.q, q...)
	h.k = append(h.k, k...)
	h.v = append(h.v, v...)
	h.lr = append(h.lr, lr...)
	h.n++
	if W != nil {
		h.boundaries = append(h.boundaries, W)
	}
	return nil
}

// Step is lm.HeadStream's Step: z [H,d] and losses [H] of one token.
func (h *lmHeads) Step(z []float32, losses []ttt.Losses, q, k, v, lr []float32) error {
	h.q = append(h.q, q...)
	h.k = append(h.k, k...)
	h.v = append(h.v, v...)
	h.lr = append(h.lr, lr...)
	err := guard(func() error { return h.inner.Step(z, losses, q, k, v, lr) })
	if err != nil && !h.onCPU {
		if ferr := h.run.toCPU(fmt.Sprintf("the %s backend failed at character %d, so the model moved to the CPU: %v", h.run.dev.Name(), h.n+1, err)); ferr != nil {
			return ferr
		}
		err = h.inner.Step(z, losses, q, k, v, lr)
	}
	if err != nil {
		return err
	}
	h.n++
	if h.n%h.b == 0 {
		W, err := h.Weights()
		if err != nil {
			return err
		}
		h.boundaries = append(h.boundaries, W)
	}
	return nil
}

// Weights is W now, from the device (falling back to the CPU if it fails).
func (h *lmHeads) Weights() ([]*ttt.Weights, error) {
	var W []*ttt.Weights
	err := guard(func() (err error) { W, err = h.inner.Weights(); return err })
	if err != nil && !h.onCPU {
		if ferr := h.run.toCPU(fmt.Sprintf("the %s backend failed reading back W after character %d, so the model moved to the CPU: %v", h.run.dev.Name(), h.n, err)); ferr != nil {
			return nil, ferr
		}
		W, err = h.inner.Weights()
	}
	return W, err
}

// Close releases the device stream.
func (h *lmHeads) Close() {
	if h.inner != nil {
		guard(func() error { h.inner.Close(); return nil })
	}
}

// replay runs the logged tokens [from, to) through a CPU stream that starts
// at the boundary W of from (a multiple of b).
func (h *lmHeads) replay(from, to int) *lm.CPUStream {
	st := lm.NewCPUStream(h.heads, h.boundaries[from/h.b])
	H, d := h.H, h.d
	z, L := make([]float32, H*d), make([]ttt.Losses, H)
	for t := from; t < to; t++ {
		r := t * H * d
		st.Step(z, L, h.q[r:r+H*d], h.k[r:r+H*d], h.v[r:r+H*d], h.lr[t*H:(t+1)*H])
	}
	return st
}

// weightsAt is W after p tokens (p ≤ n): the device's when p is now,
// otherwise the boundary before p replayed on the CPU.
func (h *lmHeads) weightsAt(p int) ([]*ttt.Weights, error) {
	if p < 0 || p > h.n {
		return nil, fmt.Errorf("demo: LM weights after %d characters asked, %d read", p, h.n)
	}
	if p%h.b == 0 && p/h.b < len(h.boundaries) {
		return clone(h.boundaries[p/h.b]), nil // read back once, when Step reached it
	}
	if p == h.n && h.inner != nil {
		return h.Weights()
	}
	return h.replay(p-p%h.b, p).Weights()
}

// toCPU replaces the device stream with a CPU stream at the same token.
func (h *lmHeads) toCPU() {
	h.Close()
	// A failure reading back the boundary W itself leaves the boundary
	// before it as the last one kept.
	from := min(h.n-h.n%h.b, (len(h.boundaries)-1)*h.b)
	h.inner, h.onCPU = h.replay(from, h.n), true
}
