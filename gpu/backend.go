// Package gpu runs the TTT forms as WGSL compute kernels (package shaders)
// through WebGPU: natively via wgpu-native on Vulkan (Mesa's lavapipe in CI),
// and in the browser via navigator.gpu when built for GOOS=js. Backend
// implements ttt.Backend, so the command line, the page and the tests swap it
// with ttt.CPU freely.
//
// A whole prefill of T tokens is one command encoder with one dispatch per
// mini-batch (all heads in each dispatch), one submit and one readback; so is
// every Stream step. Buffers and pipelines are made once and reused.
package gpu

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/cogentcore/webgpu/wgpu"

	"tttexplainer/shaders"
	"tttexplainer/ttt"
)

// Errors a caller may want to tell apart.
var (
	ErrNoAdapter  = errors.New("gpu: no WebGPU adapter")
	ErrDeviceLost = errors.New("gpu: the WebGPU device was lost")
)

// Size limits of the kernels.
const (
	MaxD = shaders.MaxD // widest head: rows of d floats live in registers
	// MaxDMLP is the widest TTT-MLP head. The MLP kernels hold it to 64:
	// at d ≥ 88 (b = 64) they wrote out of bounds on lavapipe and crashed
	// the process (TestLargestShapes, on an AVX-512 host); until that is
	// understood they refuse the widths where it was seen.
	MaxDMLP = 64
	MaxB    = 64 // largest mini-batch of the per-head kernels
)

// Stats counts the round trips to the device since the backend was opened.
type Stats struct {
	Submits   int // queue submits
	Readbacks int // buffer maps
}

// Backend is a WebGPU device with the TTT kernels. Its methods are safe for
// concurrent use; calls run one at a time.
type Backend struct {
	mu    sync.Mutex
	d     *device
	bgl   *wgpu.BindGroupLayout
	pl    *wgpu.PipelineLayout
	pipes map[string]*wgpu.ComputePipeline
	lmBgl *wgpu.BindGroupLayout // the language model's kernels (lm_*.wgsl), made when first needed
	lmPl  *wgpu.PipelineLayout
	ws    *workspace // buffers of Run, RunBare and the attention kernels
	stats Stats

	guardEachDispatch bool // tests: one submit per dispatch, guards checked after each
}

// New opens the default adapter. Natively it forces the Vulkan backend; with
// no adapter it returns an error wrapping ErrNoAdapter.
func New() (*Backend, error) {
	d, err := openDevice()
	if err != nil {
		return nil, err
	}
	be := &Backend{d: d, pipes: map[string]*wgpu.ComputePipeline{}}
	if err := be.layouts(); err != nil {
		d.release()
		return nil, err
	}
	be.ws = &workspace{be: be}
	return be, nil
}

// Open opens the default adapter as New does, and says which adapter and
// how long it took. It is the one opener of the page (demo.OpenWebGPU) and
// the command line; the kernels are self-tested where they are first used
// (SelfTestForm), since compiling every pipeline up front takes a software
// adapter a minute and more.
func Open() (*Backend, string, error) {
	t0 := time.Now()
	be, err := New()
	if err != nil {
		return nil, "", err
	}
	return be, fmt.Sprintf("WebGPU adapter %s opened in %.1f s", be.Adapter(), time.Since(t0).Seconds()), nil
}

// layouts builds the one explicit bind group layout and pipeline layout that
// every kernel uses (the browser has no GetBindGroupLayout).
func (be *Backend) layouts() error {
	entries := []wgpu.BindGroupLayoutEntry{{
		Binding: bufUni, Visibility: wgpu.ShaderStageCompute,
		Buffer: wgpu.BufferBindingLayout{Type: wgpu.BufferBindingTypeUniform, HasDynamicOffset: true, MinBindingSize: paramsSize},
	}}
	for i := bufSeq; i <= bufOut; i++ {
		t := wgpu.BufferBindingTypeStorage
		if i == bufSeq || i == bufHP || i == bufW0 {
			t = wgpu.BufferBindingTypeReadOnlyStorage
		}
		entries = append(entries, wgpu.BindGroupLayoutEntry{Binding: uint32(i), Visibility: wgpu.ShaderStageCompute, Buffer: wgpu.BufferBindingLayout{Type: t}})
	}
	var err error
	be.bgl, err = be.d.dev.CreateBindGroupLayout(&wgpu.BindGroupLayoutDescriptor{Label: "ttt", Entries: entries})
	if err != nil {
		return fmt.Errorf("gpu: creating the bind group layout: %v", err)
	}
	be.pl, err = be.d.dev.CreatePipelineLayout(&wgpu.PipelineLayoutDescriptor{Label: "ttt", BindGroupLayouts: []*wgpu.BindGroupLayout{be.bgl}})
	if err != nil {
		return fmt.Errorf("gpu: creating the pipeline layout: %v", err)
	}
	return nil
}

// Close releases the device and everything made on it.
func (be *Backend) Close() {
	be.mu.Lock()
	defer be.mu.Unlock()
	if be.d == nil || be.d.dev == nil {
		return
	}
	be.ws.release()
	for _, p := range be.pipes {
		p.Release()
	}
	be.pipes = nil
	if be.lmPl != nil {
		be.lmPl.Release()
		be.lmBgl.Release()
		be.lmPl, be.lmBgl = nil, nil
	}
	be.pl.Release()
	be.bgl.Release()
	be.d.release()
}

// Destroy destroys the device, as a driver reset or a closed tab would lose
// it: every later call returns an error wrapping ErrDeviceLost. It exists so
// that tests can take that path on purpose.
func (be *Backend) Destroy() {
	be.mu.Lock()
	defer be.mu.Unlock()
	if be.d.dev != nil {
		be.d.destroy()
	}
}

// Name returns "gpu".
func (be *Backend) Name() string { return "gpu" }

// Adapter describes the adapter, e.g. "llvmpipe (LLVM 15.0.6, 256 bits); cpu adapter, vulkan".
func (be *Backend) Adapter() string { return be.d.name }

// Software reports whether an adapter's description (Adapter) names a
// software rasteriser: a GPU emulated on the CPU, whose timings say nothing
// about a real GPU. Natively that is Vulkan's CPU adapter type (lavapipe,
// "llvmpipe"); in the browser a fallback adapter or SwiftShader.
func Software(adapter string) bool {
	a := strings.ToLower(adapter)
	for _, s := range []string{"cpu adapter", "fallback adapter", "swiftshader", "llvmpipe", "lavapipe"} {
		if strings.Contains(a, s) {
			return true
		}
	}
	return false
}

// Stats returns the submits and readbacks made so far.
func (be *Backend) Stats() Stats {
	be.mu.Lock()
	defer be.mu.Unlock()
	return be.stats
}

// Supports reports whether the backend has a kernel for a form of a model:
// it has every form of both inner models.
func Supports(m ttt.Model, f ttt.Form) bool {
	return (m == ttt.Linear || m == ttt.MLP) && (f == ttt.Naive || f == ttt.Primal || f == ttt.Dual || f == ttt.Stream)
}

// Run computes one form over several heads that share their model, d, b and
// T: one dispatch per mini-batch (per token for the naive and stream forms)
// covers every head, and the whole sequence is one submit and one readback.
func (be *Backend) Run(form ttt.Form, heads []ttt.HeadInput) ([]*ttt.Result, error) {
	s, err := checkHeads(form, heads)
	if err != nil {
		return nil, err
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	if be.pipes == nil {
		return nil, errors.New("gpu: the backend is closed")
	}
	return be.run(be.ws, form, s, heads)
}

// checkHeads validates the heads as ttt.Head.Run does and returns their common shape.
func checkHeads(form ttt.Form, heads []ttt.HeadInput) (shape, error) {
	if form != ttt.Naive && form != ttt.Primal && form != ttt.Dual && form != ttt.Stream {
		return shape{}, fmt.Errorf("gpu: unknown form %v", form)
	}
	if len(heads) == 0 {
		return shape{}, errors.New("gpu: no heads to run")
	}
	if len(heads) > maxWorkgroups {
		return shape{}, fmt.Errorf("gpu: %d heads, want at most %d", len(heads), maxWorkgroups)
	}
	var s shape
	for i, hi := range heads {
		if hi.Head == nil || hi.W0 == nil || hi.Seq == nil {
			return shape{}, fmt.Errorf("gpu: head %d lacks its settings, W0 or views", i)
		}
		h := hi.Head
		if err := h.Validate(); err != nil {
			return shape{}, fmt.Errorf("gpu: head %d: %w", i, err)
		}
		T := hi.Seq.T()
		if i == 0 {
			s = shape{model: h.Model, H: len(heads), T: T, d: h.D, b: h.B}
			if h.Model == ttt.MLP {
				s.hid = ttt.Hidden(h.D)
			}
		} else if h.Model != s.model || h.D != s.d || h.B != s.b || T != s.T {
			return shape{}, fmt.Errorf("gpu: head %d is a %v head with d = %d, b = %d, T = %d; head 0 has %v, %d, %d, %d: one call runs heads of one shape", i, h.Model, h.D, h.B, T, s.model, s.d, s.b, s.T)
		}
		if hi.W0.Model != h.Model || hi.W0.D != h.D || hi.W0.Size() != ttt.NewWeights(h.Model, h.D).Size() {
			return shape{}, fmt.Errorf("gpu: head %d: W0 does not match a %v head of size %d", i, h.Model, h.D)
		}
		for j, t := range hi.W0.Tensors() {
			if !finite(t) {
				return shape{}, fmt.Errorf("gpu: head %d: W0.%s holds NaN or Inf", i, hi.W0.TensorNames()[j])
			}
		}
		sq := hi.Seq
		if T < 1 || len(sq.XQ) != T*h.D || len(sq.XK) != T*h.D || len(sq.XV) != T*h.D {
			return shape{}, fmt.Errorf("gpu: head %d: XQ, XK, XV have %d, %d, %d values, want T·d = %d", i, len(sq.XQ), len(sq.XK), len(sq.XV), T*h.D)
		}
		for _, a := range []struct {
			name string
			v    []float32
		}{{"XQ", sq.XQ}, {"XK", sq.XK}, {"XV", sq.XV}, {"lr", sq.LR}, {"γ", h.Gamma}, {"β", h.Beta}, {"τ", h.Tau}} {
			if !finite(a.v) {
				return shape{}, fmt.Errorf("gpu: head %d: %s holds NaN or Inf", i, a.name)
			}
		}
	}
	if s.d > MaxD {
		return shape{}, fmt.Errorf("gpu: head size d = %d, the kernels take d ≤ %d", s.d, MaxD)
	}
	if s.model == ttt.MLP && s.d > MaxDMLP {
		return shape{}, fmt.Errorf("gpu: head size d = %d, the TTT-MLP kernels take d ≤ %d", s.d, MaxDMLP)
	}
	if s.b > MaxB {
		return shape{}, fmt.Errorf("gpu: mini-batch size b = %d, the kernels take b ≤ %d", s.b, MaxB)
	}
	if form == ttt.Naive && s.b != 1 {
		return shape{}, fmt.Errorf("gpu: the naive form is online GD (b = 1), these heads have b = %d: use primal, dual or stream", s.b)
	}
	if uint64(s.H)*uint64(s.T)*uint64(s.d+4) >= math.MaxUint32/4 {
		return shape{}, fmt.Errorf("gpu: %d heads × %d tokens is too large for 32-bit indices", s.H, s.T)
	}
	return s, nil
}

func finite(v []float32) bool {
	for _, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return false
		}
	}
	return true
}

// run does the work of Run in workspace w.
func (be *Backend) run(w *workspace, form ttt.Form, s shape, heads []ttt.HeadInput) ([]*ttt.Result, error) {
	var kernel, lossKernel string
	nsets := 1
	switch {
	case form == ttt.Stream && s.model == ttt.MLP:
		kernel, nsets = shaders.StreamMLP, 3
	case form == ttt.Stream:
		kernel, nsets = shaders.StreamLinear, 3
	case s.model == ttt.MLP && form == ttt.Dual:
		kernel, lossKernel = shaders.DualMLP, shaders.LossW0MLP
	case s.model == ttt.MLP && form == ttt.Primal:
		kernel, lossKernel = shaders.PrimalMLP, shaders.LossW0MLP
	case s.model == ttt.MLP:
		kernel, lossKernel = shaders.NaiveMLP, shaders.LossW0MLP
	case form == ttt.Dual:
		kernel, lossKernel = shaders.DualLinear, shaders.LossW0Linear
	case form == ttt.Primal:
		kernel, lossKernel = shaders.PrimalLinear, shaders.LossW0Linear
	default:
		kernel, lossKernel = shaders.NaiveLinear, shaders.LossW0Linear
	}
	l := newLayout(s, nsets, scratchFloats(kernel, s.b, s.d))
	hs := make([]*ttt.Head, s.H)
	seqs := make([]*ttt.Seq, s.H)
	w0s := make([]*ttt.Weights, s.H)
	for i, h := range heads {
		hs[i], seqs[i], w0s[i] = h.Head, h.Seq, h.W0
	}
	eps := hs[0].Eps
	for _, h := range hs[1:] {
		if h.Eps != eps || h.Plain != hs[0].Plain {
			return nil, errors.New("gpu: the heads of one call must share the LayerNorm eps and Plain")
		}
	}
	if err := be.upload(w, l, hs, seqs, w0s); err != nil {
		return nil, err
	}

	// The plan: ℓ(W0) over all tokens, then one dispatch per mini-batch (or token).
	var steps []dispatch
	base := l.params(eps)
	if hs[0].Plain {
		base.Plain = 1
	}
	switch lossKernel {
	case shaders.LossW0Linear: // one workgroup per 16 tokens of a head
		steps = append(steps, dispatch{lossKernel, base, s.H * ((s.T + 15) / 16)})
	case shaders.LossW0MLP: // one invocation per token of a head
		steps = append(steps, dispatch{lossKernel, base, (s.H*s.T + shaders.RowGroupSize - 1) / shaders.RowGroupSize})
	}
	if kernel == shaders.StreamLinear || kernel == shaders.StreamMLP || kernel == shaders.NaiveLinear || kernel == shaders.NaiveMLP {
		for t := 0; t < s.T; t++ {
			p := base
			p.T0, p.N, p.Pos = u32(t), 1, u32(t%s.b)
			if (t+1)%s.b == 0 {
				p.Reset = 1
			}
			steps = append(steps, dispatch{kernel, p, s.H})
		}
	} else {
		for t0 := 0; t0 < s.T; t0 += s.b {
			p := base
			p.T0, p.N = u32(t0), u32(min(s.b, s.T-t0))
			steps = append(steps, dispatch{kernel, p, s.H})
		}
	}
	out, st, err := be.runChecked(w, l, steps)
	if err != nil {
		return nil, err
	}
	fo, fs := f32s(out), f32s(st)
	final := guard // set 0: the state after the last mini-batch
	if nsets == 3 {
		final = guard + 2*l.setStride // the stream's W̄
	}
	res := make([]*ttt.Result, s.H)
	T, d := s.T, s.d
	for i := range res {
		r := &ttt.Result{
			Z:          append([]float32(nil), fo[l.outZ+i*T*d:l.outZ+(i+1)*T*d]...),
			LossW0:     append([]float32(nil), fo[l.outW0+i*T:l.outW0+(i+1)*T]...),
			LossStart:  append([]float32(nil), fo[l.outStart+i*T:l.outStart+(i+1)*T]...),
			LossBefore: append([]float32(nil), fo[l.outBefore+i*T:l.outBefore+(i+1)*T]...),
			LossAfter:  append([]float32(nil), fo[l.outAfter+i*T:l.outAfter+(i+1)*T]...),
			Final:      unpackWeights(fs[final:final+l.setSize], l, i),
		}
		res[i] = r
	}
	return res, nil
}

// runChecked runs the plan in one submit and checks every guard of out and
// state afterwards. With guardEachDispatch (tests) it submits and checks after
// every dispatch instead, so that a bad write is pinned to its dispatch.
func (be *Backend) runChecked(w *workspace, l *layout, steps []dispatch) (out, st []uint32, err error) {
	plans := [][]dispatch{steps}
	if be.guardEachDispatch {
		plans = plans[:0]
		for i := range steps {
			plans = append(plans, steps[i:i+1])
		}
	}
	for i, plan := range plans {
		got, err := w.run(plan, []readReq{{bufOut, l.outFloats}, {bufSt, l.stFloats}})
		if err != nil {
			return nil, nil, err
		}
		out, st = got[0], got[1]
		for _, c := range []struct {
			name   string
			buf    []uint32
			ranges [][2]int
		}{{"out", out, l.outGuards()}, {"state", st, l.stGuards()}} {
			if err := checkGuards(c.name, c.buf, c.ranges); err != nil {
				if be.guardEachDispatch {
					return nil, nil, fmt.Errorf("%w (dispatch %d, %s)", err, i, plan[0].kernel)
				}
				return nil, nil, err
			}
		}
	}
	return out, st, nil
}

// upload sizes the buffers for layout l and writes the inputs, the initial
// weight sets and every guard.
func (be *Backend) upload(w *workspace, l *layout, hs []*ttt.Head, seqs []*ttt.Seq, w0s []*ttt.Weights) error {
	if err := be.d.lostErr(); err != nil {
		return err
	}
	sizes := [nbufs]int{bufSeq: l.seqFloats, bufHP: l.hpFloats, bufW0: l.w0Floats, bufSt: l.stFloats, bufScr: l.H * l.scrStride, bufOut: l.outFloats}
	for i := bufSeq; i <= bufOut; i++ {
		if err := w.ensure(i, uint64(sizes[i])*4); err != nil {
			return err
		}
	}
	seq := make([]float32, l.seqFloats)
	packSeq(seq, l, seqs)
	hp := make([]float32, l.hpFloats)
	if hs != nil {
		packHeads(hp, l, hs)
	}
	set := make([]float32, l.setSize)
	if w0s != nil {
		packWeights(set, l, w0s)
	}
	// st: set 0 = W0; for the stream set 1 = A = 0 and set 2 = W̄ = W0, and
	// with an optimiser sets 3 and 4 = the moments m⁰ = v⁰ = 0.
	st := make([]float32, l.stFloats)
	for k := 0; k < l.nsets; k++ {
		if k == 0 || k == 2 {
			copy(st[guard+k*l.setStride:], set)
		}
	}
	for _, r := range l.stGuards() {
		for j := r[0]; j < r[1]; j++ {
			st[j] = math.Float32frombits(guardWord)
		}
	}
	w0 := make([]float32, l.w0Floats)
	copy(w0[guard:], set)
	for _, write := range []struct {
		buf int
		f   []float32
	}{{bufSeq, seq}, {bufHP, hp}, {bufW0, w0}, {bufSt, st}} {
		if err := w.write(write.buf, 0, write.f); err != nil {
			return err
		}
	}
	return w.writeGuards(bufOut, l.outGuards())
}
