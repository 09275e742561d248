package gpu

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/cogentcore/webgpu/wgpu"

	"tttexplainer/lm"
	"tttexplainer/shaders"
	"tttexplainer/ttt"
)

// Limits of the whole-model stream: each LM kernel is one workgroup whose
// invocations loop over D, F or V (lm_common.wgsl), and lavapipe stops an
// invocation after 65535 loop iterations; at these sizes the longest kernel
// (the read-out: D + 2V + D·⌈V/64⌉) runs about 25,000. The page's model has
// D = 64, F = 128, V = 76.
const (
	MaxLMWidth = 256  // D
	MaxLMFFN   = 1024 // F, the SwiGLU inner width
	MaxLMVocab = 4096 // V
)

// ErrLMUnsupported is wrapped by NewLMStream's refusal of a model it cannot
// run whole: a mixer with no TTT heads, or a shape past the limits above.
var ErrLMUnsupported = errors.New("gpu: the whole-model stream cannot run this model")

// LMStream runs a TTT language model (lm.Model) one character at a time
// with the whole forward on the device, as lm.Stream does on the CPU: every
// Step is ONE command encoder, one submit and one readback, which brings
// back the next-character distribution, every layer's head inputs and
// inner losses, and at the end of each mini-batch every layer's W. Per
// block it dispatches lm_mix_in (embedding, pre_conv, RMSNorm, the
// projections, RoPE, η), the heads' stream kernel (stream_linear.wgsl or
// stream_mlp.wgsl, through a Stream's buffers) and lm_mix_out (post-norm,
// θ_O, SwiGLU); then lm_readout (the final RMSNorm, logits, softmax).
type LMStream struct {
	be    *Backend
	c     lm.Config
	heads []*Stream // per block: the TTT heads' state (W⁰, A, W̄), inputs and outputs
	act   lmAct
	lmp   []LMParams               // per LM dispatch: block l's mix_in at 2l, mix_out at 2l+1, the read-out last
	pipes [3]*wgpu.ComputePipeline // mix_in, mix_out, readout
	hpipe *wgpu.ComputePipeline    // the heads' stream kernel
	uni   *wgpu.Buffer             // the LM dispatches' uniform slots
	prm   *wgpu.Buffer             // the parameters, packed
	actB  *wgpu.Buffer             // the activations
	stage *wgpu.Buffer             // the readback
	bgs   []*wgpu.BindGroup        // per block: the LM kernels' bindings
	hbgs  []*wgpu.BindGroup        // per block: the stream kernel's bindings

	t      int
	logits []float32 // [V] the last character's, which the next one is scored against
	mx     float32   // max(logits)
	logS   float32   // ln Σ exp(logits − mx)
}

// LMStep is what LMStream.Step returns for one character.
type LMStep struct {
	lm.Step                     // Probs [V], Loss (NaN for the first character), Inner [layer][head]
	XQ, XK, XV [][]float32      // [layer][H·d] the heads' inputs of this character (after RoPE), heads side by side
	Eta        [][]float32      // [layer][H] the heads' inner learning rates η
	W          [][]*ttt.Weights // [layer][head] W after this character when it ends a mini-batch, else nil
}

// LMParams mirrors struct LMParams of shaders/lm_common.wgsl field for
// field: 48 four-byte scalars, 192 bytes (TestParamsMirrorsWGSL).
type LMParams struct {
	D, H, HeadD, F                      uint32
	V, Token, Pos, Embed                uint32
	PreConv, ShareQK                    uint32
	BaseLR, Eps                         float32
	E, NormF, ConvNorm, ConvW           uint32
	ConvB, Norm1, ThetaQ, ThetaK        uint32
	ThetaV, ThetaO, ConvQW, ConvQB      uint32
	ConvKW, ConvKB, PostGamma, PostBeta uint32
	ThetaLR, BLR, Norm2, WGate          uint32
	WUp, WDown, RopeCos, RopeSin        uint32
	X, A, Y, S                          uint32
	Hg, Hist, QkHist, Logits            uint32
	Probs, Stat, OutZ, Pad              uint32
}

const lmParamsSize = 192

func (p *LMParams) put(b []byte) {
	if _, err := binary.Encode(b, binary.LittleEndian, p); err != nil {
		panic("gpu: " + err.Error()) // a fixed-size struct into a slot: cannot fail
	}
}

// lmAct places the activations in the act buffer, in floats, each array
// followed by a guard.
type lmAct struct {
	x, a, y, s, hg      int
	hist, qkHist        []int // per block, [3, D]; -1 where the block has none
	logits, probs, stat int
	floats              int
	guards              [][2]int
}

func newLMAct(c lm.Config) lmAct {
	off := guard
	l := lmAct{guards: [][2]int{{0, guard}}}
	add := func(n int) int {
		o := off
		off += n
		l.guards = append(l.guards, [2]int{off, off + guard})
		off += guard
		return o
	}
	D, hist := c.D, (ttt.ConvWidth-1)*c.D
	l.x, l.a, l.y, l.s, l.hg = add(D), add(D), add(D), add(D), add(c.FFN)
	for range c.Layers {
		h, q := -1, -1
		if c.PreConv {
			h = add(hist)
		}
		if c.ShareQK {
			q = add(hist)
		}
		l.hist, l.qkHist = append(l.hist, h), append(l.qkHist, q)
	}
	l.logits, l.probs, l.stat = add(c.Vocab), add(c.Vocab), add(2)
	l.floats = off
	return l
}

// NewLMStream uploads the model's parameters once and starts a stream at
// position 0. It refuses (wrapping ErrLMUnsupported) a model with no TTT
// heads or past the limits, and a model whose parameters hold NaN or Inf.
func (be *Backend) NewLMStream(m *lm.Model) (*LMStream, error) {
	if m == nil || m.Params == nil {
		return nil, errors.New("gpu: NewLMStream: no model")
	}
	c := m.Config
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("gpu: the model's config: %w", err)
	}
	switch {
	case !c.Mixer.TTT():
		return nil, fmt.Errorf("%w: a %s model has no TTT heads", ErrLMUnsupported, c.Mixer)
	case c.D > MaxLMWidth || c.FFN > MaxLMFFN || c.Vocab > MaxLMVocab:
		return nil, fmt.Errorf("%w: D = %d, FFN = %d, V = %d; its one-workgroup kernels take D ≤ %d, FFN ≤ %d, V ≤ %d", ErrLMUnsupported, c.D, c.FFN, c.Vocab, MaxLMWidth, MaxLMFFN, MaxLMVocab)
	}
	for _, t := range m.Params.Tensors {
		if !finite(t.Data) {
			return nil, fmt.Errorf("gpu: the model's parameter %s holds NaN or Inf", t.Name)
		}
	}
	prm, lmp, err := packLM(m)
	if err != nil {
		return nil, err
	}
	s := &LMStream{be: be, c: c, act: newLMAct(c), logits: make([]float32, c.Vocab)}
	for l := range c.Layers {
		heads, W0 := m.StreamHeads(l)
		hs, err := be.NewStream(heads, W0)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("gpu: block %d's heads: %w", l, err)
		}
		s.heads = append(s.heads, hs)
	}
	a := s.act
	for i := range lmp {
		l := min(i/2, c.Layers-1) // the read-out reads no block's arrays
		p := &lmp[i]
		p.X, p.A, p.Y, p.S, p.Hg = u32(a.x), u32(a.a), u32(a.y), u32(a.s), u32(a.hg)
		p.Hist, p.QkHist = u32(max(a.hist[l], 0)), u32(max(a.qkHist[l], 0))
		p.Logits, p.Probs, p.Stat = u32(a.logits), u32(a.probs), u32(a.stat)
		p.OutZ = u32(s.heads[l].l.outZ)
		p.Eps = s.heads[l].eps
	}
	s.lmp = lmp
	be.mu.Lock()
	err = s.setUp(prm)
	be.mu.Unlock()
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// packLM lays the model's parameters out in one buffer, with the RoPE
// table cos | sin [b, d/2] after them, and returns it with the uniforms of
// every LM dispatch (all but the activations' offsets, the token and pos).
func packLM(m *lm.Model) ([]float32, []LMParams, error) {
	c, p := m.Config, m.Params
	D, H, d, F, V := c.D, c.H, c.HeadSize(), c.FFN, c.Vocab
	var prm []float32
	var bad error
	put := func(name string, x []float32, n int) uint32 {
		if len(x) != n && bad == nil {
			bad = fmt.Errorf("gpu: the model's %s has %d values, want %d", name, len(x), n)
		}
		o := len(prm)
		prm = append(prm, x...)
		return u32(o)
	}
	base := LMParams{D: u32(D), H: u32(H), HeadD: u32(d), F: u32(F), V: u32(V), BaseLR: c.BaseLR}
	if c.PreConv {
		base.PreConv = 1
	}
	if c.ShareQK {
		base.ShareQK = 1
	}
	base.E = put("embed", p.Embed, V*D)
	base.NormF = put("norm_f", p.NormF, D)
	// RoPE at positions 0..b−1 (lm's ropeToken: the angle in float64).
	half := d / 2
	cos, sin := make([]float32, c.B*half), make([]float32, c.B*half)
	for pos := range c.B {
		for j := range half {
			angle := float64(pos) * math.Pow(c.RopeTheta, -2*float64(j)/float64(d))
			sn, cs := math.Sincos(angle)
			cos[pos*half+j], sin[pos*half+j] = float32(cs), float32(sn)
		}
	}
	base.RopeCos, base.RopeSin = put("rope cos", cos, c.B*half), put("rope sin", sin, c.B*half)
	if len(p.Blocks) != c.Layers {
		return nil, nil, fmt.Errorf("gpu: the model has %d blocks, its config %d", len(p.Blocks), c.Layers)
	}
	var out []LMParams
	taps := ttt.ConvWidth * D
	for l, b := range p.Blocks {
		q := base
		if l == 0 {
			q.Embed = 1
		}
		name := func(s string) string { return fmt.Sprintf("blocks.%d.%s", l, s) }
		if c.PreConv {
			q.ConvNorm, q.ConvW, q.ConvB = put(name("conv_norm"), b.ConvNorm, D), put(name("conv_w"), b.ConvW, taps), put(name("conv_b"), b.ConvB, D)
		}
		q.Norm1 = put(name("norm1"), b.Norm1, D)
		q.ThetaQ = put(name("theta_q"), b.ThetaQ, D*D)
		if c.ShareQK {
			q.ConvQW, q.ConvQB = put(name("conv_q_w"), b.ConvQW, taps), put(name("conv_q_b"), b.ConvQB, D)
			q.ConvKW, q.ConvKB = put(name("conv_k_w"), b.ConvKW, taps), put(name("conv_k_b"), b.ConvKB, D)
		} else {
			q.ThetaK = put(name("theta_k"), b.ThetaK, D*D)
		}
		q.ThetaV, q.ThetaO = put(name("theta_v"), b.ThetaV, D*D), put(name("theta_o"), b.ThetaO, D*D)
		q.PostGamma, q.PostBeta = put(name("post_gamma"), b.PostGamma, D), put(name("post_beta"), b.PostBeta, D)
		q.ThetaLR, q.BLR = put(name("theta_lr"), b.ThetaLR, H*D), put(name("b_lr"), b.BLR, H)
		q.Norm2 = put(name("norm2"), b.Norm2, D)
		q.WGate, q.WUp, q.WDown = put(name("w_gate"), b.WGate, D*F), put(name("w_up"), b.WUp, D*F), put(name("w_down"), b.WDown, F*D)
		mixOut := q
		mixOut.Embed = 0
		out = append(out, q, mixOut)
	}
	out = append(out, base) // the read-out
	return prm, out, bad
}

// setUp compiles the kernels, makes the LM's buffers and bind groups and
// uploads the parameters and the zero activations. The caller holds be.mu.
func (s *LMStream) setUp(prm []float32) error {
	be := s.be
	if be.pipes == nil {
		return errors.New("gpu: the backend is closed")
	}
	if err := be.d.lostErr(); err != nil {
		return err
	}
	for i, k := range []string{shaders.LMMixIn, shaders.LMMixOut, shaders.LMReadout} {
		p, err := be.pipeline(k)
		if err != nil {
			return err
		}
		s.pipes[i] = p
	}
	var err error
	if s.hpipe, err = be.pipeline(s.heads[0].kernel); err != nil {
		return err
	}
	stage := s.act.floats
	for _, hs := range s.heads {
		stage += hs.l.outFloats + hs.l.seqFloats + hs.l.stFloats
	}
	sizes := map[string]uint64{} // GetSize is native only
	buf := func(label string, floats int, usage wgpu.BufferUsage) (*wgpu.Buffer, error) {
		n := max(256, (uint64(floats)*4+255)&^255)
		sizes[label] = n
		if usage&wgpu.BufferUsageStorage != 0 && n > maxBindingBytes {
			return nil, fmt.Errorf("gpu: the LM's %s needs %d MiB, more than WebGPU's default binding limit of %d MiB", label, n>>20, maxBindingBytes>>20)
		}
		b, err := be.d.dev.CreateBuffer(&wgpu.BufferDescriptor{Label: "ttt lm " + label, Size: n, Usage: usage})
		if err != nil {
			return nil, fmt.Errorf("gpu: creating the LM's %s buffer: %v", label, err)
		}
		return b, nil
	}
	if s.uni, err = buf("uniforms", len(s.lmp)*slotSize/4, wgpu.BufferUsageUniform|wgpu.BufferUsageCopyDst); err != nil {
		return err
	}
	if s.prm, err = buf("parameters", len(prm), wgpu.BufferUsageStorage|wgpu.BufferUsageCopyDst); err != nil {
		return err
	}
	if s.actB, err = buf("activations", s.act.floats, wgpu.BufferUsageStorage|wgpu.BufferUsageCopyDst|wgpu.BufferUsageCopySrc); err != nil {
		return err
	}
	if s.stage, err = buf("staging", stage, wgpu.BufferUsageMapRead|wgpu.BufferUsageCopyDst); err != nil {
		return err
	}
	act := make([]float32, s.act.floats) // x and the conv histories start at 0
	for _, r := range s.act.guards {
		for i := r[0]; i < r[1]; i++ {
			act[i] = math.Float32frombits(guardWord)
		}
	}
	if err := be.d.writeBuffer(s.prm, 0, f32bytes(prm)); err != nil {
		return fmt.Errorf("gpu: writing the LM's parameters: %v", err)
	}
	if err := be.d.writeBuffer(s.actB, 0, f32bytes(act)); err != nil {
		return fmt.Errorf("gpu: writing the LM's activations: %v", err)
	}
	for _, hs := range s.heads {
		hbg, err := hs.ws.bindGroup()
		if err != nil {
			return err
		}
		s.hbgs = append(s.hbgs, hbg)
		w := hs.ws
		bg, err := be.d.dev.CreateBindGroup(&wgpu.BindGroupDescriptor{Label: "ttt lm", Layout: be.lmBgl, Entries: []wgpu.BindGroupEntry{
			{Binding: 0, Buffer: s.uni, Size: lmParamsSize},
			{Binding: 1, Buffer: s.prm, Size: sizes["parameters"]},
			{Binding: 2, Buffer: s.actB, Size: sizes["activations"]},
			{Binding: 3, Buffer: w.bufs[bufSeq], Size: w.caps[bufSeq]},
			{Binding: 4, Buffer: w.bufs[bufOut], Size: w.caps[bufOut]},
		}})
		if err != nil {
			return fmt.Errorf("gpu: creating the LM's bind group: %v", err)
		}
		s.bgs = append(s.bgs, bg)
	}
	return nil
}

// Pos is the number of characters read.
func (s *LMStream) Pos() int { return s.t }

// Step reads one character (an index into the vocabulary) through the
// whole model in one GPU round trip and returns the distribution of the next.
func (s *LMStream) Step(token int) (LMStep, error) {
	c := s.c
	if token < 0 || token >= c.Vocab {
		return LMStep{}, fmt.Errorf("gpu: token %d is outside the vocabulary of %d", token, c.Vocab)
	}
	pos := s.t % c.B
	boundary := pos == c.B-1 // this character ends a mini-batch: W comes back too
	uni := make([]byte, len(s.lmp)*slotSize)
	for i := range s.lmp {
		p := s.lmp[i]
		p.Token, p.Pos = u32(token), u32(pos)
		p.put(uni[i*slotSize:])
	}
	writes := []bufWrite{{s.uni, "LM uniforms", uni}}
	for _, hs := range s.heads {
		// One token at T = 1, as Stream.Steps sets it, with plain GD.
		p := hs.l.params(hs.eps)
		p.N, p.Pos, p.Plain = 1, u32(pos), hs.plain
		if boundary {
			p.Reset = 1
		}
		p.C1, p.C2 = 1, 1
		b := make([]byte, paramsSize)
		p.put(b)
		writes = append(writes, bufWrite{hs.ws.bufs[bufUni], "head uniforms", b})
	}
	be := s.be
	be.mu.Lock()
	defer be.mu.Unlock()
	if be.pipes == nil || s.actB == nil {
		return LMStep{}, errors.New("gpu: the LM stream or its backend is closed")
	}
	if err := be.d.lostErr(); err != nil {
		return LMStep{}, err
	}
	var steps []passStep
	for l, hs := range s.heads {
		steps = append(steps,
			passStep{s.pipes[0], s.bgs[l], u32(2 * l * slotSize), 1},
			passStep{s.hpipe, s.hbgs[l], 0, hs.l.H},
			passStep{s.pipes[1], s.bgs[l], u32((2*l + 1) * slotSize), 1})
	}
	steps = append(steps, passStep{s.pipes[2], s.bgs[len(s.bgs)-1], u32(2 * len(s.heads) * slotSize), 1})
	copies := []copyReq{{s.actB, "LM activations", s.act.floats}}
	for _, hs := range s.heads {
		copies = append(copies, copyReq{hs.ws.bufs[bufOut], "out", hs.l.outFloats}, copyReq{hs.ws.bufs[bufSeq], "seq", hs.l.seqFloats})
	}
	if boundary {
		for _, hs := range s.heads {
			copies = append(copies, copyReq{hs.ws.bufs[bufSt], "state", hs.l.stFloats})
		}
	}
	got, err := be.roundTrip(writes, steps, copies, s.stage)
	if err != nil {
		return LMStep{}, err
	}
	return s.unpack(token, boundary, got)
}

// unpack checks the readback's guards and values and advances the stream.
func (s *LMStream) unpack(token int, boundary bool, got [][]uint32) (LMStep, error) {
	c, a := s.c, s.act
	if err := checkGuards("LM activations", got[0], a.guards); err != nil {
		return LMStep{}, err
	}
	act := f32s(got[0])
	V, L := c.Vocab, c.Layers
	probs, logits := act[a.probs:a.probs+V], act[a.logits:a.logits+V]
	mx, logS := act[a.stat], act[a.stat+1]
	if !finite(probs) || !finite(logits) || !finite([]float32{mx, logS}) {
		return LMStep{}, fmt.Errorf("gpu: the model's output after character %d holds NaN or Inf", s.t+1)
	}
	st := LMStep{
		Step: lm.Step{Probs: append([]float32(nil), probs...), Loss: float32(math.NaN()), Inner: make([][]ttt.Losses, L)},
		XQ:   make([][]float32, L), XK: make([][]float32, L), XV: make([][]float32, L), Eta: make([][]float32, L),
	}
	if s.t > 0 {
		// −ln p(token) under the previous character's distribution, as lm.Stream computes it.
		st.Loss = float32(float64(s.logS) - float64(s.logits[token]-s.mx))
	}
	D, H := c.D, c.H
	for l, hs := range s.heads {
		out, seq := got[1+2*l], f32s(got[2+2*l])
		if err := checkGuards("out", out, hs.l.outGuards()); err != nil {
			return LMStep{}, err
		}
		o, lo := f32s(out), hs.l
		st.Inner[l] = make([]ttt.Losses, H)
		for h := range H {
			st.Inner[l][h] = ttt.Losses{W0: o[lo.outW0+h], Start: o[lo.outStart+h], Before: o[lo.outBefore+h], After: o[lo.outAfter+h]}
		}
		// common.wgsl's seq at T = 1: XQ | XK | XV [H,d], eta [H].
		st.XQ[l] = append([]float32(nil), seq[:D]...)
		st.XK[l] = append([]float32(nil), seq[D:2*D]...)
		st.XV[l] = append([]float32(nil), seq[2*D:3*D]...)
		st.Eta[l] = append([]float32(nil), seq[3*D:3*D+H]...)
	}
	if boundary {
		st.W = make([][]*ttt.Weights, L)
		for l, hs := range s.heads {
			W, err := hs.unpackState(got[1+2*L+l])
			if err != nil {
				return LMStep{}, err
			}
			st.W[l] = W
		}
	}
	copy(s.logits, logits)
	s.mx, s.logS = mx, logS
	s.t++
	return st, nil
}

// Close releases the stream's buffers.
func (s *LMStream) Close() {
	s.be.mu.Lock()
	s.close()
	s.be.mu.Unlock()
	for _, hs := range s.heads {
		hs.Close()
	}
	s.heads = nil
}

// close releases the LM's own buffers and bind groups; the caller holds be.mu.
func (s *LMStream) close() {
	for _, bg := range s.bgs {
		bg.Release()
	}
	s.bgs, s.hbgs = nil, nil // the heads' bind groups are their workspaces'
	if s.be.pipes != nil {
		for _, b := range []*wgpu.Buffer{s.uni, s.prm, s.actB, s.stage} {
			if b != nil {
				b.Destroy()
				b.Release()
			}
		}
	}
	s.uni, s.prm, s.actB, s.stage = nil, nil, nil, nil
}

// lmLayouts returns the LM kernels' pipeline layout, making it and its bind
// group layout on first use: a uniform slot, the parameters (read), the
// activations (read_write), the block's head inputs (read_write: lm_mix_in
// writes what the stream kernel reads) and the heads' outputs (read).
func (be *Backend) lmLayouts() (*wgpu.PipelineLayout, error) {
	if be.lmPl != nil {
		return be.lmPl, nil
	}
	st := func(b uint32, t wgpu.BufferBindingType) wgpu.BindGroupLayoutEntry {
		return wgpu.BindGroupLayoutEntry{Binding: b, Visibility: wgpu.ShaderStageCompute, Buffer: wgpu.BufferBindingLayout{Type: t}}
	}
	entries := []wgpu.BindGroupLayoutEntry{
		{Binding: 0, Visibility: wgpu.ShaderStageCompute, Buffer: wgpu.BufferBindingLayout{Type: wgpu.BufferBindingTypeUniform, HasDynamicOffset: true, MinBindingSize: lmParamsSize}},
		st(1, wgpu.BufferBindingTypeReadOnlyStorage),
		st(2, wgpu.BufferBindingTypeStorage),
		st(3, wgpu.BufferBindingTypeStorage),
		st(4, wgpu.BufferBindingTypeReadOnlyStorage),
	}
	bgl, err := be.d.dev.CreateBindGroupLayout(&wgpu.BindGroupLayoutDescriptor{Label: "ttt lm", Entries: entries})
	if err != nil {
		return nil, fmt.Errorf("gpu: creating the LM's bind group layout: %v", err)
	}
	pl, err := be.d.dev.CreatePipelineLayout(&wgpu.PipelineLayoutDescriptor{Label: "ttt lm", BindGroupLayouts: []*wgpu.BindGroupLayout{bgl}})
	if err != nil {
		bgl.Release()
		return nil, fmt.Errorf("gpu: creating the LM's pipeline layout: %v", err)
	}
	be.lmBgl, be.lmPl = bgl, pl
	return pl, nil
}
