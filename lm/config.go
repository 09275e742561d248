package lm

import "fmt"

// Mixer names the sequence layer of every block.
type Mixer string

const (
	TTTLinear       Mixer = "ttt-linear"       // the TTT layer with TTT-Linear heads
	TTTMLP          Mixer = "ttt-mlp"          // the TTT layer with TTT-MLP heads (hidden 4d)
	Attention       Mixer = "attention"        // causal softmax attention (the Transformer baseline)
	LinearAttention Mixer = "linear-attention" // causal linear attention, φ = elu+1 (a fixed-size-state baseline)
	// RoPELinearAttention is the linear attention of the paper's Theorem 1,
	// Z = tril(Q Kᵀ) V (no feature map, no normaliser; the post-norm sets
	// the scale), with RoPE on absolute positions: a fixed-size-state
	// baseline that, unlike φ = elu+1, can tell positions apart.
	RoPELinearAttention Mixer = "rope-linear-attention"
)

// ParseMixer reads a mixer name.
func ParseMixer(s string) (Mixer, error) {
	for _, m := range []Mixer{TTTLinear, TTTMLP, Attention, LinearAttention, RoPELinearAttention} {
		if string(m) == s {
			return m, nil
		}
	}
	return "", fmt.Errorf("unknown mixer %q (want ttt-linear, ttt-mlp, attention, linear-attention or rope-linear-attention)", s)
}

// Config is a model's shape. Every block is
//
//	x = x + CausalConv_k4(RMSNorm_conv(x))   (PreConv only)
//	x = x + Mixer(RMSNorm(x))
//	x = x + SwiGLU(RMSNorm(x))
//
// as in ttt-spec §2.1 (no output gate; the Mamba backbone's residual
// pre_conv when PreConv is set, its share_qk Q/K path when ShareQK is), with
// tied input and output embeddings and a final RMSNorm.
type Config struct {
	Mixer     Mixer
	Vocab     int     // V characters
	D         int     // width
	H         int     // heads; head size d = D/H
	Layers    int     // blocks
	FFN       int     // SwiGLU inner width
	B         int     // TTT mini-batch size b (RoPE period of the TTT layer)
	Context   int     // training sequence length T
	BaseLR    float32 // TTT inner base learning rate (1.0 for TTT-Linear)
	RopeTheta float64
	// PreConv adds the block-level residual pre_conv of ttt-spec §2.1: a
	// depthwise causal convolution of width 4 (with bias, zero history) over
	// its own RMSNorm, before the mixer's pre-norm. It hands each position
	// the previous three characters, so θ_K can read "what came before"
	// while θ_V reads "this character". Files saved without it load as false
	// (omitempty keeps their metadata byte for byte).
	PreConv bool `json:",omitempty"`
	// ShareQK is the paper's ttt_linear Q/K path (ttt-spec §2.2, the
	// official share_qk): one projection s = u θ_QK, then XQ = conv_q(s) and
	// XK = conv_k(s), two causal depthwise convolutions of width 4 with a
	// bias, started as shifts (conv_q reads the current character, conv_k
	// the previous one). Files saved without it load as false: the
	// Transformer backbone's separate θ_Q, θ_K.
	ShareQK bool `json:",omitempty"`
	// InitW0 is the standard deviation of the TTT-Linear W0's
	// initialisation; 0 means 0.02 like every matrix (ttt-spec §6). A W0 so
	// small that LN(k W0 + b) divides by a tiny spread makes the first
	// mini-batch's inner gradient huge: W jumps and then barely moves. Set,
	// W0 also takes no weight decay, which would shrink it back.
	InitW0 float32 `json:",omitempty"`
	// TauExp parametrises the token scale as s_i = exp(τ_i)/i (τ init 0:
	// the paper's 1/i) instead of the official max(0, 1/i + τ_i): no τ can
	// make the last token's scale, which carries W into the next
	// mini-batch, zero, and τ can also raise a scale above 1/i. The stream
	// hands ttt.Head the equivalent clamp-form τ (clampTau).
	TauExp bool `json:",omitempty"`
}

// DefaultConfig is the model the committed weights were trained with, and
// the same sizes for the other mixers: every block has the pre_conv; the
// TTT layers have the share_qk Q/K path and τ = exp; TTT-Linear's W0
// starts at N(0, 0.25). TTT-Linear has one head of d = 64, the others four
// of 16: a head's d×d W is its memory, and 16 × 16 ones could not hold a
// 64-letter string read once well enough to copy it (docs/BENCHMARKS.md).
// TTT-MLP's inner base learning rate is 0.1, TTT-Linear's 1 (ttt-spec §2.4).
func DefaultConfig(m Mixer) Config {
	c := Config{Mixer: m, Vocab: len(vocabRunes), D: 64, H: 4, Layers: 2, FFN: 128, B: 16, Context: 256, BaseLR: 1, RopeTheta: 10000, PreConv: true}
	if m.TTT() {
		c.ShareQK, c.TauExp = true, true
	}
	switch m {
	case TTTLinear:
		c.H, c.InitW0 = 1, 0.25
	case TTTMLP:
		c.BaseLR = 0.1
	}
	return c
}

// TTT reports whether the mixer is a TTT layer (TTT-Linear or TTT-MLP).
func (m Mixer) TTT() bool { return m == TTTLinear || m == TTTMLP }

// HeadSize is d = D/H.
func (c Config) HeadSize() int { return c.D / c.H }

// Limits that keep a bad flag from allocating the machine away.
const (
	maxWidth   = 1024
	maxLayers  = 32
	maxContext = 1 << 14
)

// Validate checks the shape.
func (c Config) Validate() error {
	if _, err := ParseMixer(string(c.Mixer)); err != nil {
		return err
	}
	switch {
	case c.Vocab < 2 || c.Vocab > 1<<16:
		return fmt.Errorf("vocabulary size %d: want 2..65536", c.Vocab)
	case c.D < 2 || c.D > maxWidth:
		return fmt.Errorf("width D = %d: want 2..%d", c.D, maxWidth)
	case c.H < 1 || c.D%c.H != 0 || (c.D/c.H)%2 != 0:
		return fmt.Errorf("heads H = %d: want D = %d divisible by H with an even head size", c.H, c.D)
	case c.Layers < 1 || c.Layers > maxLayers:
		return fmt.Errorf("layers = %d: want 1..%d", c.Layers, maxLayers)
	case c.FFN < 1 || c.FFN > 8*maxWidth:
		return fmt.Errorf("ffn width = %d: want 1..%d", c.FFN, 8*maxWidth)
	case c.B < 1 || c.B > 256:
		return fmt.Errorf("mini-batch size b = %d: want 1..256", c.B)
	case c.Context < 2 || c.Context > maxContext:
		return fmt.Errorf("context = %d: want 2..%d", c.Context, maxContext)
	case !(c.BaseLR > 0) || c.BaseLR > 100:
		return fmt.Errorf("inner base learning rate %g: want (0, 100]", c.BaseLR)
	case !(c.RopeTheta > 1):
		return fmt.Errorf("rope theta %g: want > 1", c.RopeTheta)
	case !(c.InitW0 >= 0) || c.InitW0 > 10:
		return fmt.Errorf("W0 initialisation std %g: want 0..10", c.InitW0)
	}
	return nil
}

// ropePeriod is the position period of the mixer's RoPE, 0 for none: the
// TTT layer restarts positions every mini-batch (ttt-spec §2.3), attention
// uses absolute positions, and linear attention's positive feature map
// takes no rotation.
func (c Config) ropePeriod() int {
	switch c.Mixer {
	case TTTLinear, TTTMLP:
		return c.B
	case Attention, RoPELinearAttention:
		return c.Context
	}
	return 0
}
