package ttt

import (
	"fmt"
	"io"
	"io/fs"
	"os"
)

// The case format: one JSON file holds a head, a whole layer, or the bare
// learner of Theorem 1, with its inputs and (optionally) the outputs that an
// independent float64 implementation computed from them. docs/case-format.md
// describes every key; ttt/golden/testdata holds the reference cases.

// CaseKind says what a case exercises.
type CaseKind int

const (
	HeadCase        CaseKind = iota // one TTT head fed from its input X
	LayerCase                       // a whole multi-head layer fed from U
	EquivalenceCase                 // the bare learner of Theorem 1 fed Q, K, V
)

func (k CaseKind) String() string {
	return [...]string{"head", "layer", "equivalence"}[k]
}

// MaxCaseBytes bounds a case file, so that a huge file is refused before it is read.
const MaxCaseBytes = 256 << 20

// caseLimit spells MaxCaseBytes in the errors.
var caseLimit = fmt.Sprintf("%d-byte (%d MiB)", MaxCaseBytes, MaxCaseBytes>>20)

// Case is a decoded, validated case.
type Case struct {
	Name   string
	Kind   CaseKind
	Scheme Form // the form the case's expected outputs name; replay's default
	T      int

	Head  *HeadSpec // HeadCase
	Layer *Layer    // LayerCase
	U     []float32 // LayerCase input [T,D]
	Bare  *BareSpec // EquivalenceCase
	Want  Arrays    // expected outputs, flattened, when the file has them
}

// HeadSpec is a head case: the head, its initial weights, and how its views
// are made from the input X.
type HeadSpec struct {
	Head
	W0                             *Weights
	X                              []float32 // [T,Din]
	Din                            int       // input width D
	ThetaQ, ThetaK, ThetaV         []float32 // [Din,d]
	ShareQK                        bool
	ConvQW, ConvQB, ConvKW, ConvKB []float32 // [4,d], [d]
	RopePeriod                     int       // 0: no RoPE
	RopeTheta                      float64
	ThetaLR                        []float32 // [Din]
	BLR, BaseLR, LRMult            float32
}

// BareSpec is the equivalence case: Q, K, V for the bare learner with mini-batch size B.
type BareSpec struct {
	D, B    int
	Q, K, V []float32 // [T,d]
}

// Arrays are named flat arrays: "Z", "loss_w0", "final.W", "Y", …
type Arrays map[string][]float64

// ReadCase reads and validates a case file. A file over MaxCaseBytes is
// refused from its size, before it is read.
func ReadCase(path string) (*Case, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadCaseFrom(f, path)
}

// ReadCaseFrom reads and validates a case from r; name prefixes its errors.
// A regular file (standard input redirected from one, say) over
// MaxCaseBytes is refused from its size; any other reader is read up to
// MaxCaseBytes + 1 bytes and refused there, so a huge input is never loaded.
func ReadCaseFrom(r io.Reader, name string) (*Case, error) {
	if f, ok := r.(interface{ Stat() (fs.FileInfo, error) }); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > MaxCaseBytes {
			return nil, fmt.Errorf("%s: %d bytes, over the %s limit for a case", name, fi.Size(), caseLimit)
		}
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxCaseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	c, err := DecodeCase(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

// DecodeCase parses and validates one case. Its errors name the offending
// field and what was expected; it never panics on any input.
func DecodeCase(data []byte) (*Case, error) {
	if len(data) > MaxCaseBytes {
		return nil, fmt.Errorf("more than the %s limit for a case", caseLimit)
	}
	v, err := decodeJSON(data)
	if err != nil {
		return nil, err
	}
	r := &reader{}
	top := r.object(v, "case")
	if r.err != nil {
		return nil, r.err
	}
	c := &Case{Scheme: Dual}
	if has(top, "case") {
		c.Name = r.str(top, "", "case")
	}
	in := r.object(r.field(top, "", "inputs"), "inputs")
	if r.err != nil {
		return nil, r.err
	}
	switch {
	case has(in, "U"):
		c.Kind = LayerCase
		r.layerCase(c, top, in)
	case has(in, "X"):
		c.Kind = HeadCase
		r.headCase(c, top, in)
	case has(in, "Q") || has(in, "K") || has(in, "V"):
		c.Kind = EquivalenceCase
		r.bareCase(c, top, in)
	default:
		r.fail("inputs", "want X (a head case), U (a layer case) or Q, K, V (the equivalence case)")
	}
	if r.err == nil && has(top, "expected") {
		c.Want = Arrays{}
		r.expected(c.Want, top["expected"], "expected")
	}
	if r.err != nil {
		return nil, r.err
	}
	return c, nil
}

func (r *reader) model(top map[string]any) Model {
	k := r.str(top, "", "kind")
	m, err := ParseModel(k)
	if err != nil && r.err == nil {
		r.fail("kind", "%q, want \"linear\" or \"mlp\"", k)
	}
	return m
}

func (r *reader) eps(top map[string]any) float32 {
	e := r.optNum(top, "", "ln_eps", DefaultEps)
	if r.err == nil && !(e > 0 && e < 1) {
		r.fail("ln_eps", "%g, want a small positive number", e)
	}
	return e
}

func (r *reader) headCase(c *Case, top, in map[string]any) {
	h := &HeadSpec{}
	c.Head = h
	h.Model = r.model(top)
	c.T = r.integer(top, "", "T", 1, MaxT)
	h.Din = r.integer(top, "", "D", 1, MaxD)
	h.D = r.integer(top, "", "d", 1, MaxD)
	h.B = r.integer(top, "", "mini_batch_size", 1, MaxT)
	h.Eps = r.eps(top)
	if has(top, "scheme") {
		switch s := r.str(top, "", "scheme"); s {
		case "dual":
			c.Scheme = Dual
		case "naive_online", "naive":
			c.Scheme = Naive
		case "primal":
			c.Scheme = Primal
		case "stream":
			c.Scheme = Stream
		default:
			r.fail("scheme", "%q, want dual, naive_online, primal or stream", s)
		}
	}
	if r.err != nil {
		return
	}
	if c.Scheme == Naive && h.B != 1 {
		r.fail("scheme", "naive_online needs mini_batch_size 1, got %d", h.B)
	}
	h.B = batchOf(h.B, c.T)
	r.runLimits(h.Model, c.T, h.Din, "D×d", h.D, h.D, h.B)
	if r.err != nil {
		return
	}
	T, D, d, b := c.T, h.Din, h.D, h.B
	if has(top, "share_qk") {
		h.ShareQK = r.boolean(top, "", "share_qk")
	}
	if has(top, "rope_period") {
		h.RopePeriod = r.integer(top, "", "rope_period", 1, MaxT)
		h.RopeTheta = float64(r.optNum(top, "", "rope_theta", 10000))
		if r.err == nil && !(h.RopeTheta > 1) {
			r.fail("rope_theta", "%g, want a base greater than 1", h.RopeTheta)
		}
	}
	h.X = r.mat(in, "inputs", "X", T, D, "T×D")
	th := r.object(r.field(in, "inputs", "theta"), "inputs.theta")
	h.ThetaQ = r.mat(th, "inputs.theta", "Q", D, d, "D×d")
	h.ThetaV = r.mat(th, "inputs.theta", "V", D, d, "D×d")
	if h.ShareQK {
		h.ConvQW, h.ConvQB, h.ConvKW, h.ConvKB = r.convs(th, "inputs.theta", d, "4×d")
	} else {
		h.ThetaK = r.mat(th, "inputs.theta", "K", D, d, "D×d")
	}
	eta := r.object(r.field(in, "inputs", "eta_params"), "inputs.eta_params")
	h.ThetaLR = r.vec(eta, "inputs.eta_params", "theta_lr", D)
	h.BLR = r.num(eta, "inputs.eta_params", "b_lr")
	h.BaseLR = r.num(eta, "inputs.eta_params", "base_lr")
	h.LRMult = r.optNum(eta, "inputs.eta_params", "lr_mult", 1)
	h.Tau = r.tau(eta, "inputs.eta_params", b)
	norm := r.object(r.field(in, "inputs", "ttt_norm"), "inputs.ttt_norm")
	h.Gamma = r.vec(norm, "inputs.ttt_norm", "gamma", d)
	h.Beta = r.vec(norm, "inputs.ttt_norm", "beta", d)
	h.W0 = r.weights(r.field(in, "inputs", "W0"), "inputs.W0", h.Model, d)
}

// batchOf is the mini-batch size a case runs with: a mini-batch holds at
// most T tokens, so b = min(mini_batch_size, T). The outputs are the same (one mini-batch of T
// tokens, s_i from τ_1..τ_T), but no form sizes its b×b or b×d buffers past
// the sequence: T = 64 with mini_batch_size = 1,000,000 would otherwise
// allocate 10¹² coefficients.
func batchOf(b, T int) int { return min(b, T) }

// convs reads the share_qk convolutions: conv_q_w, conv_k_w [4,width] (what
// names the shape) and conv_q_b, conv_k_b [width].
func (r *reader) convs(m map[string]any, path string, width int, what string) (qw, qb, kw, kb []float32) {
	qw = r.mat(m, path, "conv_q_w", ConvWidth, width, what)
	qb = r.vec(m, path, "conv_q_b", width)
	kw = r.mat(m, path, "conv_k_w", ConvWidth, width, what)
	kb = r.vec(m, path, "conv_k_b", width)
	return qw, qb, kw, kb
}

// tau reads τ: at least b values (a case may carry more; only s_1..s_b are used).
func (r *reader) tau(m map[string]any, path string, b int) []float32 {
	t := r.vec(m, path, "tau", -1)
	if r.err == nil && len(t) < b {
		r.fail(join(path, "tau"), "want at least mini_batch_size = %d values, got %d", b, len(t))
	}
	return t
}

func (r *reader) weights(v any, path string, m Model, d int) *Weights {
	o := r.object(v, path)
	if r.err != nil {
		return nil
	}
	w := NewWeights(m, d)
	h := Hidden(d)
	switch m {
	case Linear:
		w.W = r.mat(o, path, "W", d, d, "d×d")
		w.B = r.vec(o, path, "b", d)
	case MLP:
		w.W1 = r.mat(o, path, "W1", d, h, "d×4d")
		w.B1 = r.vec(o, path, "b1", h)
		w.W2 = r.mat(o, path, "W2", h, d, "4d×d")
		w.B2 = r.vec(o, path, "b2", d)
	}
	return w
}

func (r *reader) layerCase(c *Case, top, in map[string]any) {
	l := &Layer{}
	c.Layer = l
	l.Model = r.model(top)
	c.T = r.integer(top, "", "T", 1, MaxT)
	l.D = r.integer(top, "", "D", 1, MaxD)
	l.H = r.integer(top, "", "H", 1, MaxD)
	l.B = r.integer(top, "", "mini_batch_size", 1, MaxT)
	l.Eps = r.eps(top)
	if r.err != nil {
		return
	}
	if l.D%l.H != 0 {
		r.fail("H", "%d heads do not divide the width D = %d", l.H, l.D)
		return
	}
	T, D, H, d := c.T, l.D, l.H, l.D/l.H
	l.B = batchOf(l.B, T)
	r.runLimits(l.Model, T, D, "D×D", D, d, l.B)
	if r.err != nil {
		return
	}
	if has(top, "head_dim") && r.integer(top, "", "head_dim", 1, MaxD) != d && r.err == nil {
		r.fail("head_dim", "want D/H = %d", d)
	}
	c.U = r.mat(in, "inputs", "U", T, D, "T×D")
	const pp = "inputs.params"
	p := r.object(r.field(in, "inputs", "params"), pp)
	if r.err != nil {
		return
	}
	if has(p, "H") && r.integer(p, pp, "H", 1, MaxD) != H && r.err == nil {
		r.fail(pp+".H", "want H = %d as at the top level", H)
	}
	l.ThetaQ = r.mat(p, pp, "theta_q", D, D, "D×D")
	l.ThetaV = r.mat(p, pp, "theta_v", D, D, "D×D")
	l.ShareQK = !has(p, "theta_k")
	if l.ShareQK {
		l.ConvQW, l.ConvQB, l.ConvKW, l.ConvKB = r.convs(p, pp, D, "4×D")
	} else {
		l.ThetaK = r.mat(p, pp, "theta_k", D, D, "D×D")
	}
	if has(p, "rope_theta") {
		l.RopeTheta = float64(r.num(p, pp, "rope_theta"))
		if r.err == nil && !(l.RopeTheta > 1) {
			r.fail(pp+".rope_theta", "%g, want a base greater than 1", l.RopeTheta)
		}
	}
	l.ThetaLR = r.mat(p, pp, "theta_lr", H, D, "H×D")
	l.BLR = r.vec(p, pp, "b_lr", H)
	l.BaseLR = r.num(p, pp, "base_lr")
	l.LRMult = r.optNum(p, pp, "lr_mult", 1)
	l.Tau = r.tau(p, pp, l.B)
	l.Gamma = r.mat(p, pp, "ttt_gamma", H, d, "H×d")
	l.Beta = r.mat(p, pp, "ttt_beta", H, d, "H×d")
	l.PostGamma = r.vec(p, pp, "post_gamma", D)
	l.PostBeta = r.vec(p, pp, "post_beta", D)
	if has(p, "theta_g") {
		l.ThetaG = r.mat(p, pp, "theta_g", D, D, "D×D")
	}
	l.ThetaO = r.mat(p, pp, "theta_o", D, D, "D×D")
	ws, ok := r.field(in, "inputs", "inner_per_head").([]any)
	if r.err != nil {
		return
	}
	if !ok || len(ws) != H {
		r.fail("inputs.inner_per_head", "want a list of H = %d weight sets, got %s", H, kindOf(in["inner_per_head"]))
		return
	}
	for h, w := range ws {
		l.W0 = append(l.W0, r.weights(w, fmt.Sprintf("inputs.inner_per_head[%d]", h), l.Model, d))
	}
}

func (r *reader) bareCase(c *Case, top, in map[string]any) {
	b := &BareSpec{}
	c.Bare = b
	c.T = r.integer(top, "", "T", 1, MaxT)
	b.D = r.integer(top, "", "d", 1, MaxD)
	b.B = c.T // batch GD, the setting of Theorem 1
	if has(top, "mini_batch_size") {
		b.B = r.integer(top, "", "mini_batch_size", 1, MaxT)
	}
	b.B = batchOf(b.B, c.T)
	r.within("T", "T×d", c.T, b.D)
	r.within("d", "d×d", b.D, b.D)
	b.Q = r.mat(in, "inputs", "Q", c.T, b.D, "T×d")
	b.K = r.mat(in, "inputs", "K", c.T, b.D, "T×d")
	b.V = r.mat(in, "inputs", "V", c.T, b.D, "T×d")
}

// expected flattens the expected outputs: "Z", "loss_w0", …, "final.W", "Y".
func (r *reader) expected(dst Arrays, v any, path string) {
	m := r.object(v, path)
	for k, x := range m {
		if sub, ok := x.(map[string]any); ok {
			for k2, y := range sub {
				dst[k+"."+k2] = r.flatten(y, path+"."+k+"."+k2, nil)
			}
			continue
		}
		dst[k] = r.flatten(x, path+"."+k, nil)
	}
}

// Seq computes the head's views XQ, XK, XV and learning rates from X.
func (h *HeadSpec) Seq(T int) *Seq {
	D, d := h.Din, h.D
	s := &Seq{XQ: make([]float32, T*d), XK: make([]float32, T*d), XV: make([]float32, T*d), LR: make([]float32, T)}
	if h.ShareQK {
		sh := make([]float32, T*d)
		Project(sh, h.X, h.ThetaQ, T, D, d) // s = X θ_Q   [T,D] @ [D,d] -> [T,d]
		CausalConv(s.XQ, sh, h.ConvQW, h.ConvQB, T, d)
		CausalConv(s.XK, sh, h.ConvKW, h.ConvKB, T, d)
	} else {
		Project(s.XQ, h.X, h.ThetaQ, T, D, d)
		Project(s.XK, h.X, h.ThetaK, T, D, d)
	}
	Project(s.XV, h.X, h.ThetaV, T, D, d)
	if h.RopePeriod > 0 {
		RoPE(s.XQ, T, 1, d, h.RopePeriod, h.RopeTheta)
		RoPE(s.XK, T, 1, d, h.RopePeriod, h.RopeTheta)
	}
	LearningRate(s.LR, h.X, h.ThetaLR, h.BLR, h.BaseLR, h.LRMult, T, D, d)
	return s
}

// BareRunner is implemented by backends that run the bare learner of Theorem 1.
type BareRunner interface {
	RunBare(form Form, s *BareSpec, T int) ([]float32, error)
}

// RunBare runs the bare learner on the CPU.
func (CPU) RunBare(form Form, s *BareSpec, T int) ([]float32, error) {
	if form == Naive && s.B != 1 {
		return nil, fmt.Errorf("ttt: the naive form is online GD (b = 1), this case has b = %d: use primal, dual or stream", s.B)
	}
	Z := make([]float32, T*s.D)
	BareTTT(form, Z, s.Q, s.K, s.V, T, s.D, s.B)
	return Z, nil
}

// Run computes the case's outputs from its inputs with a backend and form.
func (c *Case) Run(be Backend, form Form) (*Output, error) {
	switch c.Kind {
	case HeadCase:
		h := c.Head
		res, err := be.Run(form, []HeadInput{{Head: &h.Head, W0: h.W0, Seq: h.Seq(c.T)}})
		if err != nil {
			return nil, err
		}
		return headOutput(res[0], c.T, h.D), nil
	case LayerCase:
		Y, _, err := c.Layer.Forward(be, form, c.U, c.T)
		if err != nil {
			return nil, err
		}
		return &Output{Y: rows(Y, c.D())}, nil
	case EquivalenceCase:
		br, ok := be.(BareRunner)
		if !ok {
			return nil, fmt.Errorf("ttt: the %s backend does not run the bare learner of the equivalence case", be.Name())
		}
		Z, err := br.RunBare(form, c.Bare, c.T)
		if err != nil {
			return nil, err
		}
		return &Output{Z: rows(Z, c.Bare.D)}, nil
	}
	return nil, fmt.Errorf("ttt: unknown case kind %d", c.Kind)
}

// D is the width of the case's main output (Z or Y).
func (c *Case) D() int {
	switch c.Kind {
	case HeadCase:
		return c.Head.D
	case LayerCase:
		return c.Layer.D
	}
	return c.Bare.D
}

// Output is what replay prints: the keys of the case's "expected" block.
type Output struct {
	Z          [][]float32   `json:"Z,omitempty"`
	Y          [][]float32   `json:"Y,omitempty"`
	LossW0     []float32     `json:"loss_w0,omitempty"`
	LossStart  []float32     `json:"loss_start,omitempty"`
	LossBefore []float32     `json:"loss_before,omitempty"`
	LossAfter  []float32     `json:"loss_after,omitempty"`
	Final      *FinalWeights `json:"final,omitempty"`
}

// FinalWeights are the inner weights after the last mini-batch, as nested lists.
type FinalWeights struct {
	W  [][]float32 `json:"W,omitempty"`
	B  []float32   `json:"b,omitempty"`
	W1 [][]float32 `json:"W1,omitempty"`
	B1 []float32   `json:"b1,omitempty"`
	W2 [][]float32 `json:"W2,omitempty"`
	B2 []float32   `json:"b2,omitempty"`
}

func headOutput(r *Result, T, d int) *Output {
	f := &FinalWeights{}
	w := r.Final
	if w.Model == Linear {
		f.W, f.B = rows(w.W, d), w.B
	} else {
		h := Hidden(d)
		f.W1, f.B1, f.W2, f.B2 = rows(w.W1, h), w.B1, rows(w.W2, d), w.B2
	}
	return &Output{Z: rows(r.Z, d), LossW0: r.LossW0, LossStart: r.LossStart, LossBefore: r.LossBefore, LossAfter: r.LossAfter, Final: f}
}

// rows views a flat row-major array as rows of width m, without copying.
func rows(x []float32, m int) [][]float32 {
	out := make([][]float32, len(x)/m)
	for i := range out {
		out[i] = x[i*m : (i+1)*m]
	}
	return out
}

// Arrays flattens the output under the same names as Case.Want.
func (o *Output) Arrays() Arrays {
	a := Arrays{}
	put := func(k string, x []float32) {
		if len(x) > 0 {
			a[k] = widen(x)
		}
	}
	flat := func(m [][]float32) []float32 {
		var out []float32
		for _, r := range m {
			out = append(out, r...)
		}
		return out
	}
	put("Z", flat(o.Z))
	put("Y", flat(o.Y))
	put("loss_w0", o.LossW0)
	put("loss_start", o.LossStart)
	put("loss_before", o.LossBefore)
	put("loss_after", o.LossAfter)
	if f := o.Final; f != nil {
		put("final.W", flat(f.W))
		put("final.b", f.B)
		put("final.W1", flat(f.W1))
		put("final.b1", f.B1)
		put("final.W2", flat(f.W2))
		put("final.b2", f.B2)
	}
	return a
}

func widen(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

// B is the case's mini-batch size.
func (c *Case) B() int {
	switch c.Kind {
	case HeadCase:
		return c.Head.B
	case LayerCase:
		return c.Layer.B
	}
	return c.Bare.B
}

// Forms lists the forms that compute the case's scheme: all four at b = 1,
// every form but naive (which is online GD) otherwise.
func (c *Case) Forms() []Form {
	if c.B() == 1 {
		return Forms
	}
	return []Form{Primal, Dual, Stream}
}

// Arrays flattens a head result under the case-format names.
func (r *Result) Arrays() Arrays {
	return headOutput(r, len(r.LossW0), r.Final.D).Arrays()
}

// DecodeOutput parses what replay prints back into flat arrays, for tests and tools.
func DecodeOutput(data []byte) (Arrays, error) {
	v, err := decodeJSON(data)
	if err != nil {
		return nil, err
	}
	r := &reader{}
	a := Arrays{}
	r.expected(a, v, "output")
	return a, r.err
}
