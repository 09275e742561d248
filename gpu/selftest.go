package gpu

import (
	"fmt"
	"time"

	"tttexplainer/ttt"
)

// The self-test problem: 2 heads, d = 12, b = 16, T = 37, so the last
// mini-batch is partial.
const selfH, selfT, selfD, selfB = 2, 37, 12, 16

// selfTestHeads is the seeded self-test problem of model m at mini-batch b.
func selfTestHeads(m ttt.Model, b int, seed uint64) []ttt.HeadInput {
	heads := make([]ttt.HeadInput, selfH)
	for i := range heads {
		heads[i] = ttt.RandomProblem(m, selfT, selfD, b, seed+uint64(i)).Input()
	}
	return heads
}

// SelfTest runs SelfTestForm for every form of both inner models, and
// SelfTestOptimisers for both: the whole check that the kernels compute
// what the CPU does. It returns a one-line summary, or the first error.
func (be *Backend) SelfTest() (string, error) {
	t0 := time.Now()
	n := 0
	for _, m := range []ttt.Model{ttt.Linear, ttt.MLP} {
		for _, f := range ttt.Forms {
			if !Supports(m, f) {
				continue
			}
			if _, err := be.SelfTestForm(m, f); err != nil {
				return "", err
			}
			n++
		}
		if _, err := be.SelfTestOptimisers(m); err != nil {
			return "", err
		}
		n++
	}
	return fmt.Sprintf("gpu self-test OK on %s: %d kernel sets against the CPU within ttt.AbsTol + ttt.RelTol (%.1f s)", be.Adapter(), n, time.Since(t0).Seconds()), nil
}

// SelfTestForm runs the kernels of one inner model and form on the
// self-test problem — the stream form token by token, as the page steps it
// — and compares every output, loss and final weight with the CPU at
// ttt.AbsTol + ttt.RelTol. A page tests a (model, form) when a run first
// needs it.
func (be *Backend) SelfTestForm(m ttt.Model, f ttt.Form) (string, error) {
	t0 := time.Now()
	b := selfB
	if f == ttt.Naive {
		b = 1
	}
	heads := selfTestHeads(m, b, 200)
	want, err := ttt.CPU{}.Run(f, heads)
	if err != nil {
		return "", fmt.Errorf("gpu self-test: the CPU failed: %v", err)
	}
	var got []*ttt.Result
	if f == ttt.Stream {
		got, err = be.streamAll(heads, ttt.Opt{})
	} else {
		got, err = be.Run(f, heads)
	}
	what := fmt.Sprintf("%v %v", m, f)
	if err != nil {
		return "", fmt.Errorf("gpu self-test (%s): %w", what, err)
	}
	worst, err := be.compareHeads(what, got, want)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("self-test of the %s kernels passed on %s: max |GPU − CPU| = %.1e (%.1f s)", what, be.Adapter(), worst, time.Since(t0).Seconds()), nil
}

// SelfTestOptimisers runs the stream kernels of one inner model with
// momentum and with Adam plus weight decay on the self-test problem, and
// compares every output and loss with ttt.Head.RunOpt at ttt.AbsTol +
// ttt.RelTol.
func (be *Backend) SelfTestOptimisers(m ttt.Model) (string, error) {
	t0 := time.Now()
	heads := selfTestHeads(m, selfB, 300)
	worst := 0.0
	// Adam's β₂ and ε as the page uses them; the test needs only some Adam.
	for _, o := range []ttt.Opt{{Kind: ttt.Momentum, Beta: 0.9}, {Kind: ttt.Adam, Beta: 0.9, Beta2: 0.999, Eps: 1e-8, Eta: 0.01, Decay: 0.02}} {
		what := fmt.Sprintf("%v stream, %v", m, o.Kind)
		got, err := be.streamAll(heads, o)
		if err != nil {
			return "", fmt.Errorf("gpu self-test (%s): %w", what, err)
		}
		want := make([]*ttt.Result, len(heads))
		for h, hi := range heads {
			if want[h], err = hi.Head.RunOpt(o, hi.W0, hi.Seq); err != nil {
				return "", err
			}
		}
		w, err := be.compareHeads(what, got, want)
		if err != nil {
			return "", err
		}
		worst = max(worst, w)
	}
	return fmt.Sprintf("self-test of the %v stream optimiser kernels passed on %s: max |GPU − CPU| = %.1e (%.1f s)", m, be.Adapter(), worst, time.Since(t0).Seconds()), nil
}

// compareHeads compares every head's arrays and returns the largest
// difference, or an error naming the first array outside the tolerance.
func (be *Backend) compareHeads(what string, got, want []*ttt.Result) (float64, error) {
	worst := 0.0
	for h := range got {
		for _, df := range CompareResults(got[h], want[h]) {
			worst = max(worst, df.MaxAbs)
			if !df.OK() {
				return 0, fmt.Errorf("gpu self-test mismatch (%s, head %d) on %s: %v", what, h, be.Adapter(), df)
			}
		}
	}
	return worst, nil
}

// streamAll runs heads through a Stream token by token, as the page does,
// with the inner optimiser o.
func (be *Backend) streamAll(heads []ttt.HeadInput, o ttt.Opt) ([]*ttt.Result, error) {
	H, d, T := len(heads), heads[0].Head.D, heads[0].Seq.T()
	hs, w0 := make([]*ttt.Head, H), make([]*ttt.Weights, H)
	for i, h := range heads {
		hs[i], w0[i] = h.Head, h.W0
	}
	st, err := be.NewOptStream(hs, w0, o)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	out := make([]*ttt.Result, H)
	for i := range out {
		out[i] = ttt.NewResult(hs[0].Model, T, d)
	}
	q, k, v, z := make([]float32, H*d), make([]float32, H*d), make([]float32, H*d), make([]float32, H*d) // [H,d]
	lr, L := make([]float32, H), make([]ttt.Losses, H)
	for t := 0; t < T; t++ {
		for i, h := range heads {
			copy(q[i*d:], h.Seq.XQ[t*d:(t+1)*d])
			copy(k[i*d:], h.Seq.XK[t*d:(t+1)*d])
			copy(v[i*d:], h.Seq.XV[t*d:(t+1)*d])
			lr[i] = h.Seq.LR[t]
		}
		if err := st.Step(z, L, q, k, v, lr); err != nil {
			return nil, err
		}
		for i, r := range out {
			copy(r.Z[t*d:(t+1)*d], z[i*d:(i+1)*d])
			r.LossW0[t], r.LossStart[t], r.LossBefore[t], r.LossAfter[t] = L[i].W0, L[i].Start, L[i].Before, L[i].After
		}
	}
	W, err := st.Weights()
	if err != nil {
		return nil, err
	}
	for i, r := range out {
		r.Final.CopyFrom(W[i])
	}
	return out, nil
}

// CompareResults compares every array of two results of one head (Z, the four
// losses, the final weights) at ttt.AbsTol + ttt.RelTol.
func CompareResults(got, want *ttt.Result) []ttt.Diff {
	w := func(x []float32) []float64 {
		out := make([]float64, len(x))
		for i, v := range x {
			out[i] = float64(v)
		}
		return out
	}
	c := func(name string, g, wa []float32) ttt.Diff {
		return ttt.CompareArray(name, w(g), w(wa), ttt.AbsTol, ttt.RelTol)
	}
	out := []ttt.Diff{
		c("Z", got.Z, want.Z),
		c("loss_w0", got.LossW0, want.LossW0),
		c("loss_start", got.LossStart, want.LossStart),
		c("loss_before", got.LossBefore, want.LossBefore),
		c("loss_after", got.LossAfter, want.LossAfter),
	}
	gt, wt := got.Final.Tensors(), want.Final.Tensors()
	for i, name := range want.Final.TensorNames() {
		out = append(out, c("final."+name, gt[i], wt[i]))
	}
	return out
}
