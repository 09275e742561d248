package demo

import (
	"fmt"
	"time"

	"tttexplainer/gpu"
	"tttexplainer/ttt"
)

// GPUDevice is the reader's GPU through WebGPU (package gpu): the same
// forms as WGSL kernels.
type GPUDevice struct{ *gpu.Backend }

// Name is "webgpu", the name the page and its API give this backend.
func (g GPUDevice) Name() string { return "webgpu" }

// NewStream starts a gpu.Stream: one dispatch, one submit and one small
// readback per token for all heads.
func (g GPUDevice) NewStream(heads []*ttt.Head, W0 []*ttt.Weights) (HeadStream, error) {
	return g.Backend.NewStream(heads, W0)
}

// NewOptStream starts a gpu.Stream with an inner optimiser (its moments on the device).
func (g GPUDevice) NewOptStream(heads []*ttt.Head, W0 []*ttt.Weights, o ttt.Opt) (HeadStream, error) {
	return g.Backend.NewOptStream(heads, W0, o)
}

// OpenWebGPU opens the default adapter. Any failure (no WebGPU, no
// adapter) is the reason the page gives for running on the CPU. The kernels
// are self-tested one (model, form) at a time, when a run first needs them
// (SelfTest): compiling every pipeline up front takes a software adapter
// a minute and more.
func OpenWebGPU() (Device, string, error) {
	t0 := time.Now()
	be, err := gpu.New()
	if err != nil {
		return nil, "", err
	}
	return GPUDevice{be}, fmt.Sprintf("WebGPU adapter %s opened in %.1f s", be.Adapter(), time.Since(t0).Seconds()), nil
}

// SelfTest runs the kernels of one inner model and form on a small seeded
// problem (2 heads, d = 12, T = 37, so the last mini-batch is partial) and
// compares every output and loss with the CPU at ttt.AbsTol + ttt.RelTol.
func (g GPUDevice) SelfTest(m ttt.Model, f ttt.Form) (string, error) {
	t0 := time.Now()
	const H, T, d = 2, 37, 12
	b := 16
	if f == ttt.Naive {
		b = 1
	}
	heads := make([]ttt.HeadInput, H)
	for i := range heads {
		heads[i] = ttt.RandomProblem(m, T, d, b, uint64(200+i)).Input()
	}
	want, err := ttt.CPU{}.Run(f, heads)
	if err != nil {
		return "", err
	}
	var got []*ttt.Result
	if f == ttt.Stream {
		got, err = g.streamAll(heads, ttt.Opt{})
	} else {
		got, err = g.Backend.Run(f, heads)
	}
	if err != nil {
		return "", fmt.Errorf("gpu self-test (%v %v): %w", m, f, err)
	}
	worst := 0.0
	for h := range got {
		for _, df := range gpu.CompareResults(got[h], want[h]) {
			worst = max(worst, df.MaxAbs)
			if !df.OK() {
				return "", fmt.Errorf("gpu self-test mismatch (%v %v, head %d) on %s: %v", m, f, h, g.Adapter(), df)
			}
		}
	}
	return fmt.Sprintf("self-test of the %v %v kernels passed on %s: max |GPU − CPU| = %.1e (%.1f s)", m, f, g.Adapter(), worst, time.Since(t0).Seconds()), nil
}

// SelfTestOpt runs the stream kernels of one inner model with momentum
// and with Adam plus weight decay on the SelfTest problem, and compares
// every output and loss with ttt.Head.RunOpt at ttt.AbsTol + ttt.RelTol.
func (g GPUDevice) SelfTestOpt(m ttt.Model) (string, error) {
	t0 := time.Now()
	const H, T, d, b = 2, 37, 12, 16
	heads := make([]ttt.HeadInput, H)
	for i := range heads {
		heads[i] = ttt.RandomProblem(m, T, d, b, uint64(300+i)).Input()
	}
	worst := 0.0
	for _, o := range []ttt.Opt{{Kind: ttt.Momentum, Beta: 0.9}, {Kind: ttt.Adam, Beta: 0.9, Beta2: AdamBeta2, Eps: AdamEps, Eta: 0.01, Decay: 0.02}} {
		got, err := g.streamAll(heads, o)
		if err != nil {
			return "", fmt.Errorf("gpu self-test (%v stream, %v): %w", m, o.Kind, err)
		}
		for h, hi := range heads {
			want, err := hi.Head.RunOpt(o, hi.W0, hi.Seq)
			if err != nil {
				return "", err
			}
			for _, df := range gpu.CompareResults(got[h], want) {
				worst = max(worst, df.MaxAbs)
				if !df.OK() {
					return "", fmt.Errorf("gpu self-test mismatch (%v stream, %v, head %d) on %s: %v", m, o.Kind, h, g.Adapter(), df)
				}
			}
		}
	}
	return fmt.Sprintf("self-test of the %v stream optimiser kernels passed on %s: max |GPU − CPU| = %.1e (%.1f s)", m, g.Adapter(), worst, time.Since(t0).Seconds()), nil
}

// streamAll runs heads through a gpu.Stream token by token, as the page
// does, with the inner optimiser o.
func (g GPUDevice) streamAll(heads []ttt.HeadInput, o ttt.Opt) ([]*ttt.Result, error) {
	H, d, T := len(heads), heads[0].Head.D, heads[0].Seq.T()
	hs, w0 := make([]*ttt.Head, H), make([]*ttt.Weights, H)
	for i, h := range heads {
		hs[i], w0[i] = h.Head, h.W0
	}
	st, err := g.Backend.NewOptStream(hs, w0, o)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	out := make([]*ttt.Result, H)
	for i := range out {
		out[i] = ttt.NewResult(hs[0].Model, T, d)
	}
	q, k, v, z := make([]float32, H*d), make([]float32, H*d), make([]float32, H*d), make([]float32, H*d)
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
