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
	ThetaQ, ThetaK, ThetaV, ThetaO []float32 // [D,D]; with ShareQK ThetaQ is the shared θ_QK and ThetaK is nil
	ConvQW, ConvKW                 []float32 // [ttt.ConvWidth,D] ShareQK: conv_q, conv_k taps; row 3 reads the current token
	ConvQB, ConvKB                 []float32 // [D] their biases
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

// spec is one tensor of a layout before any memory is allocated: its name,
// shape, initial value, decay, and the BlockParams (or Params) field that
// will view it.
type spec struct {
	name  string
	shape []int
	init  float32
	decay bool
	view  *[]float32
}

func (s spec) size() int {
	n := 1
	for _, d := range s.shape {
		n *= d
	}
	return n
}

// layout lists c's tensors in file order, each bound to its field in p,
// without allocating them: a weights file is checked against it before
// anything its config claims is allocated.
func layout(c Config, p *Params) []spec {
	D, H, d, F, V := c.D, c.H, c.HeadSize(), c.FFN, c.Vocab
	var out []spec
	add := func(view *[]float32, name string, init float32, decay bool, shape ...int) {
		out = append(out, spec{name: name, shape: shape, init: init, decay: decay, view: view})
	}
	add(&p.Embed, "embed", initNormal, true, V, D)
	for l := 0; l < c.Layers; l++ {
		pre := fmt.Sprintf("blocks.%d.", l)
		b := &BlockParams{}
		p.Blocks = append(p.Blocks, b)
		if c.PreConv {
			// The taps start at N(0, 0.02) like every matrix (ttt-spec §6):
			// the conv sits on a residual branch, so it need not start as an
			// identity, and Adam moves each tap by about the learning rate per
			// step whatever its scale.
			add(&b.ConvNorm, pre+"conv_norm", initOne, false, D)
			add(&b.ConvW, pre+"conv_w", initNormal, true, ttt.ConvWidth, D)
			add(&b.ConvB, pre+"conv_b", initZero, false, D)
		}
		add(&b.Norm1, pre+"norm1", initOne, false, D)
		if c.ShareQK {
			// θ_QK is stored as theta_q, as ttt.Layer.ThetaQ is. The convs
			// start as shifts (InitParams) and take no weight decay, which
			// would pull those taps back towards 0.
			add(&b.ThetaQ, pre+"mixer.theta_q", initNormal, true, D, D)
			add(&b.ConvQW, pre+"mixer.conv_q_w", initZero, false, ttt.ConvWidth, D)
			add(&b.ConvQB, pre+"mixer.conv_q_b", initZero, false, D)
			add(&b.ConvKW, pre+"mixer.conv_k_w", initZero, false, ttt.ConvWidth, D)
			add(&b.ConvKB, pre+"mixer.conv_k_b", initZero, false, D)
		} else {
			add(&b.ThetaQ, pre+"mixer.theta_q", initNormal, true, D, D)
			add(&b.ThetaK, pre+"mixer.theta_k", initNormal, true, D, D)
		}
		add(&b.ThetaV, pre+"mixer.theta_v", initNormal, true, D, D)
		add(&b.ThetaO, pre+"mixer.theta_o", initNormal, true, D, D)
		add(&b.PostGamma, pre+"mixer.post_gamma", initOne, false, D)
		add(&b.PostBeta, pre+"mixer.post_beta", initZero, false, D)
		if c.Mixer.TTT() {
			add(&b.ThetaLR, pre+"mixer.theta_lr", initNormal, true, H, D)
			add(&b.BLR, pre+"mixer.b_lr", initZero, false, H)
			if c.Mixer == TTTLinear {
				add(&b.W0, pre+"mixer.W0", initNormal, c.InitW0 == 0, H, d, d)
				add(&b.B0, pre+"mixer.b0", initZero, false, H, d)
			} else {
				hid := ttt.Hidden(d)
				add(&b.W1, pre+"mixer.W1", initNormal, true, H, d, hid)
				add(&b.B1, pre+"mixer.b1", initZero, false, H, hid)
				add(&b.W2, pre+"mixer.W2", initNormal, true, H, hid, d)
				add(&b.B2, pre+"mixer.b2", initZero, false, H, d)
			}
			add(&b.Gamma, pre+"mixer.ttt_gamma", initOne, false, H, d)
			add(&b.Beta, pre+"mixer.ttt_beta", initZero, false, H, d)
			add(&b.Tau, pre+"mixer.tau", initZero, false, c.B)
		}
		add(&b.Norm2, pre+"norm2", initOne, false, D)
		add(&b.WGate, pre+"ffn.w_gate", initNormal, true, D, F)
		add(&b.WUp, pre+"ffn.w_up", initNormal, true, D, F)
		add(&b.WDown, pre+"ffn.w_down", initNormal, true, F, D)
	}
	add(&p.NormF, "norm_f", initOne, false, D)
	return out
}

// NewParams lays out zeroed parameters for c in one flat buffer.
func NewParams(c Config) *Params {
	p := &Params{}
	specs := layout(c, p)
	n := 0
	for _, s := range specs {
		n += s.size()
	}
	p.Flat = make([]float32, n)
	off := 0
	for _, s := range specs {
		k := s.size()
		view := p.Flat[off : off+k : off+k]
		*s.view = view
		p.Tensors = append(p.Tensors, &Tensor{Name: s.name, Shape: s.shape, Decay: s.decay, init: s.init, Data: view})
		off += k
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
	if c.InitW0 > 0 {
		for _, b := range p.Blocks {
			for i := range b.W0 {
				b.W0[i] *= c.InitW0 / initNormal
			}
		}
	}
	if c.ShareQK {
		// conv_q starts as the current character, conv_k as the previous
		// one: a query "this character" then meets the key of the character
		// that followed it last time, the induction path of issue 11.
		D := c.D
		for _, b := range p.Blocks {
			for m := 0; m < D; m++ {
				b.ConvQW[(ttt.ConvWidth-1)*D+m] = 1
				b.ConvKW[(ttt.ConvWidth-2)*D+m] = 1
			}
		}
	}
	return p
}

// Count is the number of parameters.
func (p *Params) Count() int { return len(p.Flat) }
