package lm

import (
	"fmt"
	"math/rand/v2"

	"tttexplainer/ttt"
)

// Tensor is one named parameter: a view into its Params' flat buffer.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
	Decay bool // AdamW weight decay applies (matrices, not norms, biases, τ)
	init  float32
}

// Params are all of a model's parameters in one flat buffer, with a named
// view per tensor and typed views per block. Gradients and Adam moments are
// Params of the same layout.
type Params struct {
	Flat    []float32
	Tensors []*Tensor
	Embed   []float32 // [V,D] tied input and output embeddings
	NormF   []float32 // [D] final RMSNorm
	Blocks  []*BlockParams
}

// BlockParams are one block's parameters (views into Params.Flat).
type BlockParams struct {
	Norm1, Norm2                   []float32 // [D] RMSNorm gains
	ConvNorm, ConvB                []float32 // [D] pre_conv's RMSNorm gain and bias (PreConv only)
	ConvW                          []float32 // [ttt.ConvWidth,D] pre_conv's depthwise taps; ConvW[3] reads the current token
	ThetaQ, ThetaK, ThetaV, ThetaO []float32 // [D,D]
	PostGamma, PostBeta            []float32 // [D] the mixer's post-norm over the full width

	// TTT layer only.
	ThetaLR []float32 // [H,D] η gate per head
	BLR     []float32 // [H]
	W0      []float32 // [H,d,d] TTT-Linear: the inner W every sequence starts from
	B0      []float32 // [H,d] and its bias
	W1, B1  []float32 // [H,d,4d], [H,4d] TTT-MLP: the inner first layer's start
	W2, B2  []float32 // [H,4d,d], [H,d] and its second layer's
	Gamma   []float32 // [H,d] LN inside f
	Beta    []float32 // [H,d]
	Tau     []float32 // [b] offsets of the 1/i token scale

	WGate, WUp []float32 // [D,F] SwiGLU
	WDown      []float32 // [F,D]
}

// tensor kinds, by initial value.
const (
	initNormal float32 = 0.02 // N(0, 0.02), ttt-spec §6
	initOne    float32 = 1
	initZero   float32 = 0
)

// NewParams lays out zeroed parameters for c.
func NewParams(c Config) *Params {
	p := &Params{}
	D, H, d, F, V := c.D, c.H, c.HeadSize(), c.FFN, c.Vocab
	add := func(name string, init float32, decay bool, shape ...int) []float32 {
		n := 1
		for _, s := range shape {
			n *= s
		}
		t := &Tensor{Name: name, Shape: shape, Decay: decay, init: init, Data: make([]float32, n)}
		p.Tensors = append(p.Tensors, t)
		return t.Data
	}
	p.Embed = add("embed", initNormal, true, V, D)
	for l := 0; l < c.Layers; l++ {
		pre := fmt.Sprintf("blocks.%d.", l)
		b := &BlockParams{}
		if c.PreConv {
			// The taps start at N(0, 0.02) like every matrix (ttt-spec §6):
			// the conv sits on a residual branch, so it need not start as an
			// identity, and Adam moves each tap by about the learning rate per
			// step whatever its scale.
			b.ConvNorm = add(pre+"conv_norm", initOne, false, D)
			b.ConvW = add(pre+"conv_w", initNormal, true, ttt.ConvWidth, D)
			b.ConvB = add(pre+"conv_b", initZero, false, D)
		}
		b.Norm1 = add(pre+"norm1", initOne, false, D)
		b.ThetaQ = add(pre+"mixer.theta_q", initNormal, true, D, D)
		b.ThetaK = add(pre+"mixer.theta_k", initNormal, true, D, D)
		b.ThetaV = add(pre+"mixer.theta_v", initNormal, true, D, D)
		b.ThetaO = add(pre+"mixer.theta_o", initNormal, true, D, D)
		b.PostGamma = add(pre+"mixer.post_gamma", initOne, false, D)
		b.PostBeta = add(pre+"mixer.post_beta", initZero, false, D)
		if c.Mixer.TTT() {
			b.ThetaLR = add(pre+"mixer.theta_lr", initNormal, true, H, D)
			b.BLR = add(pre+"mixer.b_lr", initZero, false, H)
			if c.Mixer == TTTLinear {
				b.W0 = add(pre+"mixer.W0", initNormal, true, H, d, d)
				b.B0 = add(pre+"mixer.b0", initZero, false, H, d)
			} else {
				hid := ttt.Hidden(d)
				b.W1 = add(pre+"mixer.W1", initNormal, true, H, d, hid)
				b.B1 = add(pre+"mixer.b1", initZero, false, H, hid)
				b.W2 = add(pre+"mixer.W2", initNormal, true, H, hid, d)
				b.B2 = add(pre+"mixer.b2", initZero, false, H, d)
			}
			b.Gamma = add(pre+"mixer.ttt_gamma", initOne, false, H, d)
			b.Beta = add(pre+"mixer.ttt_beta", initZero, false, H, d)
			b.Tau = add(pre+"mixer.tau", initZero, false, c.B)
		}
		b.Norm2 = add(pre+"norm2", initOne, false, D)
		b.WGate = add(pre+"ffn.w_gate", initNormal, true, D, F)
		b.WUp = add(pre+"ffn.w_up", initNormal, true, D, F)
		b.WDown = add(pre+"ffn.w_down", initNormal, true, F, D)
		p.Blocks = append(p.Blocks, b)
	}
	p.NormF = add("norm_f", initOne, false, D)
	// Move every tensor into one flat buffer, keeping the views.
	n := 0
	for _, t := range p.Tensors {
		n += len(t.Data)
	}
	p.Flat = make([]float32, n)
	off := 0
	remap := map[*float32][]float32{}
	for _, t := range p.Tensors {
		view := p.Flat[off : off+len(t.Data) : off+len(t.Data)]
		remap[&t.Data[0]] = view
		t.Data = view
		off += len(view)
	}
	re := func(s *[]float32) {
		if *s != nil {
			*s = remap[&(*s)[0]]
		}
	}
	re(&p.Embed)
	re(&p.NormF)
	for _, b := range p.Blocks {
		for _, s := range []*[]float32{&b.ConvNorm, &b.ConvW, &b.ConvB, &b.Norm1, &b.Norm2, &b.ThetaQ, &b.ThetaK, &b.ThetaV, &b.ThetaO, &b.PostGamma, &b.PostBeta,
			&b.ThetaLR, &b.BLR, &b.W0, &b.B0, &b.W1, &b.B1, &b.W2, &b.B2, &b.Gamma, &b.Beta, &b.Tau, &b.WGate, &b.WUp, &b.WDown} {
			re(s)
		}
	}
	return p
}

// InitParams returns freshly initialised parameters for c, the same for the same seed.
func InitParams(c Config, seed uint64) *Params {
	p := NewParams(c)
	rng := rand.New(rand.NewPCG(seed, 0x7474745f6c6d))
	for _, t := range p.Tensors {
		for i := range t.Data {
			if t.init == initNormal {
				t.Data[i] = float32(rng.NormFloat64()) * initNormal
			} else {
				t.Data[i] = t.init
			}
		}
	}
	return p
}

// Count is the number of parameters.
func (p *Params) Count() int { return len(p.Flat) }
