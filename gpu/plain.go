package gpu

import (
	"errors"
	"fmt"

	"tttexplainer/shaders"
	"tttexplainer/ttt"
)

// RunBare runs the bare TTT-Linear learner of Theorem 1 (ttt.BareTTT). The
// dual form computes each mini-batch of b tokens as Q W⁰ + tril(Q Kᵀ)(V − K W⁰),
// which with b = T is causal linear attention; every other form is the primal
// one, each token with its own materialised W_i, as ttt.BareTTT does. It
// implements ttt.BareRunner.
func (be *Backend) RunBare(form ttt.Form, s *ttt.BareSpec, T int) ([]float32, error) {
	if form != ttt.Naive && form != ttt.Primal && form != ttt.Dual && form != ttt.Stream {
		return nil, fmt.Errorf("gpu: unknown form %v", form)
	}
	if s == nil {
		return nil, errors.New("gpu: no bare learner to run")
	}
	d, b := s.D, s.B
	if err := checkPlain(s.Q, s.K, s.V, 1, T, d); err != nil {
		return nil, err
	}
	if b < 1 || min(b, T) > MaxB {
		return nil, fmt.Errorf("gpu: mini-batch size b = %d, the kernels take 1 ≤ b ≤ %d (or b ≥ T with T ≤ %d)", b, MaxB, MaxB)
	}
	if form == ttt.Naive && b != 1 {
		return nil, fmt.Errorf("gpu: the naive form is online GD (b = 1), this case has b = %d: use primal, dual or stream", b)
	}
	b = min(b, T)
	kernel := shaders.BarePrimal
	if form == ttt.Dual {
		kernel = shaders.BareDual
	}
	Z := make([]float32, T*d)
	sh := shape{model: ttt.Linear, H: 1, T: T, d: d, b: b}
	err := be.plain(Z, sh, kernel, 0, &ttt.Seq{XQ: s.Q, XK: s.K, XV: s.V}, func(base Params) []dispatch {
		var steps []dispatch
		for t0 := 0; t0 < T; t0 += b {
			p := base
			p.T0, p.N = u32(t0), u32(min(b, T-t0))
			steps = append(steps, dispatch{kernel, p, 1})
		}
		return steps
	})
	return Z, err
}

// LinearAttention writes causal linear attention Z = tril(Q Kᵀ) V for H heads
// (Z, Q, K, V: [H,T,d], head-major). Its CPU twin is ttt.LinearAttention.
func (be *Backend) LinearAttention(Z, Q, K, V []float32, H, T, d int) error {
	return be.attention(shaders.AttnLinear, Z, Q, K, V, H, T, d)
}

// SoftmaxAttention writes causal softmax attention for H heads (Z, Q, K, V:
// [H,T,d]), without the 1/√d scale. Its CPU twin is ttt.SoftmaxAttention.
func (be *Backend) SoftmaxAttention(Z, Q, K, V []float32, H, T, d int) error {
	return be.attention(shaders.AttnSoftmax, Z, Q, K, V, H, T, d)
}

func (be *Backend) attention(kernel string, Z, Q, K, V []float32, H, T, d int) error {
	if err := checkPlain(Q, K, V, H, T, d); err != nil {
		return err
	}
	if len(Z) != H*T*d {
		return fmt.Errorf("gpu: Z has %d values, want H·T·d = %d", len(Z), H*T*d)
	}
	groups := (H*T + shaders.RowGroupSize - 1) / shaders.RowGroupSize
	if groups > maxWorkgroups {
		return fmt.Errorf("gpu: %d heads × %d tokens need %d workgroups, more than %d", H, T, groups, maxWorkgroups)
	}
	sh := shape{model: ttt.Linear, H: H, T: T, d: d, b: 1}
	// Chunks per submit: at most attnPairsPerSubmit (query, key) pairs each.
	perSubmit := max(1, attnPairsPerSubmit/(H*T*attnChunk))
	return be.plain(Z, sh, kernel, perSubmit, &ttt.Seq{XQ: Q, XK: K, XV: V}, func(base Params) []dispatch {
		// One dispatch per chunk of keys, so that no invocation loops too long.
		var steps []dispatch
		for t0 := 0; t0 < T; t0 += attnChunk {
			p := base
			p.T0, p.N = u32(t0), u32(min(attnChunk, T-t0))
			steps = append(steps, dispatch{kernel, p, groups})
		}
		return steps
	})
}

// attnChunk is the number of keys one attention dispatch takes: 256 keys
// of d = 128 are about 8k loop iterations per invocation, well inside
// lavapipe's budget of 65535.
const attnChunk = 256

// attnPairsPerSubmit bounds the (query, key) pairs of one submit. Natively,
// a submit that runs longer than wgpu-native's wait in Poll (about 5 s)
// came back with the readback not yet written (zeros in the guards) and the
// process crashed later: softmax attention at T ≥ 6000, d = 64 on lavapipe
// (about 0.5 µs a pair). 2M pairs is about 1 s there.
var attnPairsPerSubmit = 2 << 20 // a variable so that a test can split small problems

func checkPlain(Q, K, V []float32, H, T, d int) error {
	if H < 1 || T < 1 || d < 1 || d > MaxD {
		return fmt.Errorf("gpu: H = %d, T = %d, d = %d: want H, T ≥ 1 and 1 ≤ d ≤ %d", H, T, d, MaxD)
	}
	if len(Q) != H*T*d || len(K) != H*T*d || len(V) != H*T*d {
		return fmt.Errorf("gpu: Q, K, V have %d, %d, %d values, want H·T·d = %d", len(Q), len(K), len(V), H*T*d)
	}
	for _, a := range [][]float32{Q, K, V} {
		if !finite(a) {
			return errors.New("gpu: Q, K or V holds NaN or Inf")
		}
	}
	return nil
}

// plain runs a kernel that reads only Q, K, V (stored as one [H·T,d] "head"
// per head: the seq layout is head-major already) and writes Z: perSubmit
// dispatches to a submit (each waits for its readback), or all in one if 0.
func (be *Backend) plain(Z []float32, sh shape, kernel string, perSubmit int, seq *ttt.Seq, plan func(Params) []dispatch) error {
	be.mu.Lock()
	defer be.mu.Unlock()
	if be.pipes == nil {
		return errors.New("gpu: the backend is closed")
	}
	w := be.ws
	scr := scratchFloats(kernel, sh.b, sh.d)
	if kernel == shaders.AttnSoftmax {
		scr = sh.T * (sh.d + 2) // each query's running max, sum and z between key chunks
	}
	l := newLayout(sh, 1, scr)
	// packSeq takes one Seq per head; the heads' rows are contiguous, so one
	// Seq of H·T rows fills the same places.
	all := make([]float32, l.seqFloats)
	copy(all, seq.XQ)
	copy(all[sh.H*sh.T*sh.d:], seq.XK)
	copy(all[2*sh.H*sh.T*sh.d:], seq.XV)
	if err := be.upload(w, l, nil, nil, nil); err != nil {
		return err
	}
	if err := w.write(bufSeq, 0, all); err != nil {
		return err
	}
	steps := plan(l.params(ttt.DefaultEps))
	if perSubmit < 1 {
		perSubmit = len(steps)
	}
	var out []uint32
	for i := 0; i < len(steps); i += perSubmit {
		var err error
		if out, _, err = be.runChecked(w, l, steps[i:min(i+perSubmit, len(steps))]); err != nil {
			return err
		}
	}
	copy(Z, f32s(out)[l.outZ:l.outZ+sh.H*sh.T*sh.d])
	return nil
}
