package experiment

import (
	"fmt"
	"math"

	"tttexplainer/ttt"
)

// The equivalence experiment: the paper's two theorems as numbers (§5 of
// the spec), and its ablation path from causal linear attention to the full
// TTT-Linear, one toggle at a time, every output computed on the device.
//
// Inputs: U [T,d] ~ N(0, 1) and views Q, K, V = U θ with θ ~ N(0, 1/d²), so
// that ‖k‖ ≈ 1 and the delta rule with η = 1 stays stable.

// ablationStep is one setting on the path; each adds one toggle to the last.
type ablationStep struct {
	label                      string
	w0, ln, minibatch, eta, mb bool
}

var ablationPath = []ablationStep{
	{label: "bare TTT, batch GD (= linear attention)"},
	{label: "+ learnable W0 (and the bias b of f)", w0: true},
	{label: "+ LayerNorm and residual in f", w0: true, ln: true},
	{label: "+ mini-batch GD (b = 16, s_i = 1/i)", w0: true, ln: true, minibatch: true},
	{label: "+ learned η (a sigmoid gate per token)", w0: true, ln: true, minibatch: true, eta: true},
	{label: "+ Mamba backbone: causal convs on q, k and an output gate", w0: true, ln: true, minibatch: true, eta: true, mb: true},
}

func (x *exp) equivalence() error {
	T, d := x.spec.T, x.spec.D
	x.total = 3 + len(ablationPath)
	rng := x.rng(0x6571_7569_76)
	U := normals(rng, T*d, 1)                                                                                          // [T,d]
	thQ, thK, thV := normals(rng, d*d, 1/float64(d)), normals(rng, d*d, 1/float64(d)), normals(rng, d*d, 1/float64(d)) // [d,d]
	Q, K, V := make([]float32, T*d), make([]float32, T*d), make([]float32, T*d)
	ttt.Project(Q, U, thQ, T, d, d) // U θ_Q   [T,d] @ [d,d] -> [T,d]
	ttt.Project(K, U, thK, T, d, d)
	ttt.Project(V, U, thV, T, d, d)
	att, err := x.attention()
	if err != nil {
		return err
	}

	eq := Table{Name: "equivalences", Columns: []string{"max |Δ|", "max |z|"}}
	// Theorem 1: bare TTT with batch GD (one mini-batch of all T tokens) is linear attention.
	bareBatch, err := x.dev.RunBare(ttt.Dual, &ttt.BareSpec{D: d, B: T, Q: Q, K: K, V: V}, T)
	if err != nil {
		return err
	}
	la := make([]float32, T*d)
	if err := att.LinearAttention(la, Q, K, V, 1, T, d); err != nil {
		return err
	}
	eq.add("bare TTT, batch GD (b = T) vs causal linear attention", maxAbsDiff(bareBatch, la), maxAbs(la))
	x.r.Summary["linear_attention_max_diff"] = maxAbsDiff(bareBatch, la)
	if err := x.step("bare TTT vs linear attention"); err != nil {
		return err
	}

	// b = 1: the same bare learner is the delta rule with η = 1 (its CPU reference).
	bareOnline, err := x.dev.RunBare(ttt.Naive, &ttt.BareSpec{D: d, B: 1, Q: Q, K: K, V: V}, T)
	if err != nil {
		return err
	}
	delta := make([]float32, T*d)
	ttt.DeltaRule(delta, Q, K, V, T, d, 1)
	eq.add("bare TTT, online GD (b = 1) vs the delta rule (η = 1)", maxAbsDiff(bareOnline, delta), maxAbs(delta))
	x.r.Summary["delta_rule_max_diff"] = maxAbsDiff(bareOnline, delta)
	if err := x.step("bare TTT b = 1 vs delta rule"); err != nil {
		return err
	}

	// Theorem 2: the Nadaraya–Watson learner (CPU) is causal softmax attention (device).
	nw := ttt.NewNadarayaWatson(d)
	zNW := make([]float32, T*d)
	for t := range T {
		nw.Train(K[t*d:(t+1)*d], V[t*d:(t+1)*d])
		nw.Predict(zNW[t*d:(t+1)*d], Q[t*d:(t+1)*d])
	}
	sm := make([]float32, T*d)
	if err := att.SoftmaxAttention(sm, Q, K, V, 1, T, d); err != nil {
		return err
	}
	eq.add("Nadaraya–Watson (kernel exp(k·q)) vs causal softmax attention", maxAbsDiff(zNW, sm), maxAbs(sm))
	x.r.Summary["softmax_attention_max_diff"] = maxAbsDiff(zNW, sm)
	if err := x.step("Nadaraya–Watson vs softmax attention"); err != nil {
		return err
	}

	out := Table{Name: "outputs (first feature of z_t)", Columns: []string{"t", "bare TTT, b = T", "linear attention", "bare TTT, b = 1", "delta rule", "Nadaraya–Watson", "softmax attention"},
		Chart: &Chart{X: 0, Y: []int{1, 2, 3, 4, 5, 6}, YLab: "z_t[0]"}}
	for t := range T {
		i := t * d
		out.add(fmt.Sprint(t+1), float64(t+1), float64(bareBatch[i]), float64(la[i]), float64(bareOnline[i]), float64(delta[i]), float64(zNW[i]), float64(sm[i]))
	}

	// The ablation path: each step's Z beside linear attention's and the step before's.
	abl := Table{Name: "ablation path", Columns: []string{"step", "max |Z − linear attention|", "max |Z − previous step|", "max |device − CPU|"},
		Chart: &Chart{X: 0, Y: []int{1, 2}, LogY: true, YLab: "max |Δ|"}}
	prev := bareBatch
	abl.add(ablationPath[0].label, 0, maxAbsDiff(bareBatch, la), 0, maxAbsDiff(bareBatch, mustBare(Q, K, V, T, d)))
	if err := x.step(ablationPath[0].label); err != nil {
		return err
	}
	for i, st := range ablationPath[1:] {
		Z, cpuDiff, err := x.ablate(st, U, Q, K, V, T, d)
		if err != nil {
			return fmt.Errorf("%s: %w", st.label, err)
		}
		abl.add(st.label, float64(i+1), maxAbsDiff(Z, la), maxAbsDiff(Z, prev), cpuDiff)
		x.r.Summary[fmt.Sprintf("ablation_%d_change", i+1)] = maxAbsDiff(Z, prev)
		prev = Z
		if err := x.step(st.label); err != nil {
			return err
		}
	}
	x.r.Tables = append(x.r.Tables, eq, abl, out)
	x.r.Headline = fmt.Sprintf("On %s: bare TTT vs linear attention max |Δ| = %.2g, bare b = 1 vs the delta rule %.2g, Nadaraya–Watson vs softmax attention %.2g.",
		x.where(), x.r.Summary["linear_attention_max_diff"], x.r.Summary["delta_rule_max_diff"], x.r.Summary["softmax_attention_max_diff"])
	x.r.Notes = append(x.r.Notes,
		"Bare TTT: f(k) = k W, no bias, LayerNorm or residual, W0 = 0, η = 1, gradients summed; the delta rule and Nadaraya–Watson are the CPU references.",
		"The ablation's learnable parts (W0, η gate, convs, gate) are seeded random stand-ins: the layer is untrained, each step shows how much the toggle changes the output.")
	return nil
}

// mustBare is the CPU's bare batch GD, the twin of the device's.
func mustBare(Q, K, V []float32, T, d int) []float32 {
	Z := make([]float32, T*d)
	ttt.BareTTT(ttt.Dual, Z, Q, K, V, T, d, T)
	return Z
}

// ablate runs one step of the path as a TTT-Linear head (dual form) on the
// device, and on the CPU when the device is not the CPU.
func (x *exp) ablate(st ablationStep, U, Q, K, V []float32, T, d int) (Z []float32, cpuDiff float64, err error) {
	rng := x.rng(0x6162_6c61_7465) // the same stand-ins at every step
	W0std, thLR := 1/math.Sqrt(float64(d)), normals(rng, d, 0.02)
	convQ, convK, thG := normals(rng, ttt.ConvWidth*d, 0.3), normals(rng, ttt.ConvWidth*d, 0.3), normals(rng, d*d, 1/math.Sqrt(float64(d)))
	W0rand := normals(rng, d*d, W0std)

	b := T
	tau := make([]float32, T)
	if st.minibatch {
		b = min(16, T) // τ = 0: s_i = 1/i, the official token scale
	} else {
		for i := range tau {
			tau[i] = 1 - 1/float32(i+1) // s_i = 1: gradients summed, as in the bare learner
		}
	}
	h := &ttt.Head{Model: ttt.Linear, D: d, B: b, Gamma: ones(d), Beta: make([]float32, d), Tau: tau, Eps: ttt.DefaultEps, Plain: !st.ln}
	W0 := ttt.NewWeights(ttt.Linear, d)
	if st.w0 {
		W0.W = W0rand
	}
	seq := &ttt.Seq{XQ: Q, XK: K, XV: V, LR: ones(T)}
	if st.eta {
		ttt.LearningRate(seq.LR, U, thLR, 0, 1, 1, T, d, d) // base_lr · σ(u θ_lr) / d
	}
	if st.mb {
		for i := range d { // the last tap sees the current token
			convQ[(ttt.ConvWidth-1)*d+i] += 1
			convK[(ttt.ConvWidth-1)*d+i] += 1
		}
		seq.XQ, seq.XK = make([]float32, T*d), make([]float32, T*d)
		ttt.CausalConv(seq.XQ, Q, convQ, make([]float32, d), T, d)
		ttt.CausalConv(seq.XK, K, convK, make([]float32, d), T, d)
	}
	in := []ttt.HeadInput{{Head: h, W0: W0, Seq: seq}}
	res, err := x.dev.Run(ttt.Dual, in)
	if err != nil {
		return nil, 0, err
	}
	Z = res[0].Z
	if x.dev.Name() != "cpu" {
		want, err := ttt.CPU{}.Run(ttt.Dual, in)
		if err != nil {
			return nil, 0, err
		}
		cpuDiff = maxAbsDiff(Z, want[0].Z)
	}
	if st.mb {
		G := make([]float32, T*d)
		ttt.Project(G, U, thG, T, d, d) // u θ_G   [T,d] @ [d,d] -> [T,d]
		gated := make([]float32, T*d)
		for i := range G {
			gated[i] = ttt.Gelu(G[i]) * Z[i]
		}
		Z = gated
	}
	return Z, cpuDiff, nil
}

func ones(n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = 1
	}
	return v
}

func maxAbs(v []float32) float64 {
	m := 0.0
	for _, x := range v {
		m = max(m, math.Abs(float64(x)))
	}
	return m
}

func init() {
	register("equivalence", "Equivalences and the ablation path",
		"Strip TTT-Linear bare (f(k) = kW, no bias, LayerNorm or residual, W0 = 0, η = 1) and run batch GD over the whole sequence: its outputs are causal linear attention's, to float32 rounding (first table). With b = 1 the same learner is the delta rule, and the Nadaraya–Watson learner is softmax attention. The ablation path then adds the paper's toggles one at a time: look at how far each moves the output from linear attention.",
		(*exp).equivalence)
}
