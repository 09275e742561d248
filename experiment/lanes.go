package experiment

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"tttexplainer/ttt"
)

// The lanes: four sequence layers read the same associative-recall stream
// and answer the same questions with the same readout. The stream stores n
// key→value pairs (one token each) and then asks for every key, oldest
// first; a question neither writes the state (lr = 0, or k = v = 0 for the
// attention-like lanes) nor is seen before it is asked. The readout picks,
// among the n stored values, the one with the highest cosine to the lane's
// output z.
//
// Keys come in blocks of d orthonormal vectors (a fresh random basis per
// block), so up to d pairs fit a d×d state without interference; values are
// random unit vectors. Each lane sees them at the scale its update needs:
// unit keys for linear attention and for the delta rule's η = 1, and keys
// and values of norm √(d/2) for the TTT heads, whose LayerNorm makes f's
// output unit-variance per feature, as v − k then is.

// Each TTT lane's inner step size: the best of 0.03, 0.1, 0.3, 1 and 3 on
// this stream at d = 16 with W0 ~ N(0, 1/fan_in) (measured over W0 scales
// 0.05…3 too). One step per pair through a LayerNorm does not store a pair
// exactly, as the delta rule's η = 1 does on orthogonal keys.
const (
	lanesLRLinear = 0.3
	lanesLRMLP    = 0.03
)

var laneNames = []string{"TTT-Linear", "TTT-MLP", "linear attention", "delta rule"}

func (x *exp) lanes() error {
	d := x.spec.D
	x.total = len(laneNames) * len(x.spec.Pairs)
	acc := Table{Name: "recall against stored pairs", Columns: append([]string{"pairs"}, laneNames...),
		Chart: &Chart{X: 0, Y: []int{1, 2, 3, 4}, YLab: "recall accuracy"}}
	var last [][]float32 // each lane's outputs at the largest n
	var lastVals []float32
	lastN := 0
	for _, n := range x.spec.Pairs {
		rng := x.rng(0x7061_6972 + uint64(n))
		keys, vals := orthoKeys(rng, n, d), unitRows(rng, n, d) // [n,d] each
		zs, err := x.laneOutputs(keys, vals, n, d)
		if err != nil {
			return fmt.Errorf("%d pairs: %w", n, err)
		}
		row := []float64{float64(n)}
		for i, z := range zs {
			a := recall(z, vals, n, d)
			row = append(row, a)
			x.r.Summary[fmt.Sprintf("recall_%s_n%d", summaryKey(laneNames[i]), n)] = a
		}
		acc.add(fmt.Sprintf("%d pairs", n), row...)
		if n >= lastN {
			last, lastVals, lastN = zs, vals, n
			x.r.Summary["largest_n"] = float64(n)
		}
	}
	x.r.Tables = append(x.r.Tables, acc)
	x.headline(&acc, lastN, d)
	x.perQuestion(last, lastVals, lastN, d)
	x.r.Notes = append(x.r.Notes,
		fmt.Sprintf("d = %d: a d×d state holds about d pairs with orthogonal keys. TTT heads: online GD (b = 1), LayerNorm and residual on, η = %g (Linear) and %g (MLP), W0 random. Delta rule: bare TTT with b = 1 (η = 1). Linear attention: Σ (q·k) v.", d, lanesLRLinear, lanesLRMLP))
	return nil
}

// headline says each lane's recall at the largest n, and up to which n it
// recalled every pair (at that n and every smaller one tried), as this run
// measured them.
func (x *exp) headline(acc *Table, largest, d int) {
	at, all := make([]string, len(laneNames)), make([]string, len(laneNames))
	for i, name := range laneNames {
		at[i] = fmt.Sprintf("%s %.3g", name, x.r.Summary[fmt.Sprintf("recall_%s_n%d", summaryKey(name), largest)])
		full := "no n tried"
		for _, row := range acc.Rows {
			if n := int(row[0]); x.perfectBelow(acc, i, n) {
				full = fmt.Sprintf("n = %d", n)
			}
		}
		all[i] = fmt.Sprintf("%s %s", name, full)
	}
	x.r.Headline = fmt.Sprintf("Recall of %d pairs in a %d×%d state, on %s: %s. Every pair recalled up to: %s.",
		largest, d, d, x.where(), strings.Join(at, ", "), strings.Join(all, ", "))
}

// perfectBelow reports whether lane i recalled every pair at every setting ≤ n.
func (x *exp) perfectBelow(acc *Table, i, n int) bool {
	for _, row := range acc.Rows {
		if int(row[0]) <= n && row[i+1] != 1 {
			return false
		}
	}
	return true
}

// perQuestion adds the loss 1 − cos(z, v) of every question at the largest
// n, oldest pair first: where each lane forgets.
func (x *exp) perQuestion(zs [][]float32, vals []float32, n, d int) {
	tab := Table{Name: fmt.Sprintf("per-question loss at %d pairs (each question's token, oldest pair first)", n), Columns: append([]string{"age rank"}, laneNames...),
		Chart: &Chart{X: 0, Y: []int{1, 2, 3, 4}, YLab: "1 − cos(z, v)"}}
	for i := range n {
		row := []float64{float64(i + 1)}
		for _, z := range zs {
			row = append(row, 1-cosine(z[i*d:(i+1)*d], vals[i*d:(i+1)*d]))
		}
		tab.add(fmt.Sprintf("pair %d", i+1), row...)
	}
	x.r.Tables = append(x.r.Tables, tab)
}

// laneOutputs runs the stream of n stores and n questions through every
// lane on the device and returns each lane's outputs at the questions [n,d].
func (x *exp) laneOutputs(keys, vals []float32, n, d int) ([][]float32, error) {
	T := 2 * n
	scaled := func(v []float32, s float32) []float32 {
		out := make([]float32, len(v))
		for i := range v {
			out[i] = v[i] * s
		}
		return out
	}
	// stream builds Q, K, V [T,d]: stores, then questions with k = v = 0.
	stream := func(s float32) (Q, K, V []float32) {
		Q, K, V = make([]float32, T*d), make([]float32, T*d), make([]float32, T*d)
		copy(Q, scaled(keys, s))
		copy(K, scaled(keys, s))
		copy(V, scaled(vals, s))
		copy(Q[n*d:], scaled(keys, s))
		return Q, K, V
	}
	var zs [][]float32
	big := float32(math.Sqrt(float64(d) / 2))
	for _, m := range []ttt.Model{ttt.Linear, ttt.MLP} {
		Q, K, V := stream(big)
		lr := float32(lanesLRLinear)
		if m == ttt.MLP {
			lr = float32(lanesLRMLP)
		}
		LR := make([]float32, T)
		for t := range n {
			LR[t] = lr
		}
		h := &ttt.Head{Model: m, D: d, B: 1, Gamma: ones(d), Beta: make([]float32, d), Tau: make([]float32, 1), Eps: ttt.DefaultEps}
		W0 := ttt.NewWeights(m, d)
		rng := x.rng(0x7730)
		if m == ttt.Linear {
			W0.W = normals(rng, d*d, 1/math.Sqrt(float64(d)))
		} else {
			W0.W1 = normals(rng, d*ttt.Hidden(d), 1/math.Sqrt(float64(d)))
			W0.W2 = normals(rng, ttt.Hidden(d)*d, 1/math.Sqrt(float64(ttt.Hidden(d))))
		}
		res, err := x.dev.Run(ttt.Dual, []ttt.HeadInput{{Head: h, W0: W0, Seq: &ttt.Seq{XQ: Q, XK: K, XV: V, LR: LR}}})
		if err != nil {
			return nil, fmt.Errorf("TTT-%v: %w", m, err)
		}
		zs = append(zs, res[0].Z[n*d:])
		if err := x.step(fmt.Sprintf("TTT-%v, %d pairs", m, n)); err != nil {
			return nil, err
		}
	}
	att, err := x.attention()
	if err != nil {
		return nil, err
	}
	Q, K, V := stream(1)
	Z := make([]float32, T*d)
	if err := att.LinearAttention(Z, Q, K, V, 1, T, d); err != nil {
		return nil, err
	}
	zs = append(zs, Z[n*d:])
	if err := x.step(fmt.Sprintf("linear attention, %d pairs", n)); err != nil {
		return nil, err
	}
	Z, err = x.dev.RunBare(ttt.Naive, &ttt.BareSpec{D: d, B: 1, Q: Q, K: K, V: V}, T)
	if err != nil {
		return nil, fmt.Errorf("delta rule: %w", err)
	}
	zs = append(zs, Z[n*d:])
	return zs, x.step(fmt.Sprintf("delta rule, %d pairs", n))
}

// recall is the fraction of questions i whose output z_i is closest (by
// cosine) to the stored value v_i among all n.
func recall(z, vals []float32, n, d int) float64 {
	right := 0
	for i := range n {
		best, arg := math.Inf(-1), -1
		for j := range n {
			if c := cosine(z[i*d:(i+1)*d], vals[j*d:(j+1)*d]); c > best {
				best, arg = c, j
			}
		}
		if arg == i {
			right++
		}
	}
	return float64(right) / float64(n)
}

func cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	if aa == 0 || bb == 0 {
		return 0
	}
	return ab / math.Sqrt(aa*bb)
}

// orthoKeys returns n unit keys [n,d]: blocks of d orthonormal rows, each
// block a fresh random basis (Gram–Schmidt of Gaussian rows).
func orthoKeys(rng *rand.Rand, n, d int) []float32 {
	K := make([]float64, n*d)
	for i := range n {
		k := K[i*d : (i+1)*d]
		for {
			for j := range k {
				k[j] = rng.NormFloat64()
			}
			for p := i - i%d; p < i; p++ { // orthogonal to the earlier rows of its block
				q := K[p*d : (p+1)*d]
				var dot float64
				for j := range k {
					dot += k[j] * q[j]
				}
				for j := range k {
					k[j] -= dot * q[j]
				}
			}
			if norm := normalize(k); norm > 1e-6 {
				break
			}
		}
	}
	out := make([]float32, n*d)
	for i, v := range K {
		out[i] = float32(v)
	}
	return out
}

// unitRows returns n random unit vectors [n,d].
func unitRows(rng *rand.Rand, n, d int) []float32 {
	out := make([]float32, n*d)
	row := make([]float64, d)
	for i := range n {
		for j := range row {
			row[j] = rng.NormFloat64()
		}
		normalize(row)
		for j, v := range row {
			out[i*d+j] = float32(v)
		}
	}
	return out
}

func normalize(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x * x
	}
	s = math.Sqrt(s)
	if s > 0 {
		for i := range v {
			v[i] /= s
		}
	}
	return s
}

func summaryKey(name string) string {
	out := []rune{}
	for _, r := range name {
		switch {
		case r >= 'A' && r <= 'Z':
			out = append(out, r+'a'-'A')
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			out = append(out, r)
		default:
			out = append(out, '_')
		}
	}
	return string(out)
}

func init() {
	register("lanes", "Recall lanes",
		"Four layers read the same stream of n key→value pairs and are then asked for every key, with one readout: the stored value closest to the output. Keys are orthogonal in blocks of d, so a d×d state can hold about d pairs, and past d every update overwrites part of an earlier one. The first chart is each lane's recall against n, the second each question's loss at the largest n, oldest pair first: read off where each lane stops recalling everything and which pairs it forgets. The headline gives this run's numbers.",
		(*exp).lanes)
}
