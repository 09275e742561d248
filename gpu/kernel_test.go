package gpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"tttexplainer/ttt"
)

// problems returns H seeded heads of one shape.
func problems(m ttt.Model, H, T, d, b int, seed uint64) []ttt.HeadInput {
	in := make([]ttt.HeadInput, H)
	for i := range in {
		in[i] = ttt.RandomProblem(m, T, d, b, seed+uint64(i)).Input()
	}
	return in
}

// plain switches the heads to f = f_res (no LayerNorm, no residual, target v).
func plain(in []ttt.HeadInput) []ttt.HeadInput {
	for _, h := range in {
		h.Head.Plain = true
	}
	return in
}

// tokens returns a T that is not a multiple of b (for b > 1), so that the last
// mini-batch is partial.
func tokens(b int) int {
	if b == 1 {
		return 9
	}
	return 2*b + b/2 + 1
}

// TestKernelsVsCPU runs every per-head kernel against its CPU twin on the same
// seeded inputs: each form of each inner model the GPU has, every head in one
// dispatch, over head sizes that are not powers of two and sequences that end
// in a partial mini-batch.
func TestKernelsVsCPU(t *testing.T) {
	be := backend(t)
	for _, m := range []ttt.Model{ttt.Linear, ttt.MLP} {
		for _, d := range []int{4, 7, 12, 16, 64} {
			for _, b := range []int{1, 3, 16} {
				for _, pl := range []bool{false, true} {
					if pl && d != 7 && d != 16 {
						continue // the plain objective on two sizes is enough
					}
					T := tokens(b)
					heads := problems(m, 3, T, d, b, uint64(1000*d+b))
					name := fmt.Sprintf("%v/d%d/b%d/T%d", m, d, b, T)
					if pl {
						heads, name = plain(heads), name+"/plain"
					}
					runForms(t, be, m, b, name, heads)
				}
			}
		}
	}
}

// runForms runs every form the heads can take on the GPU and the CPU and
// compares every array of every head.
func runForms(t *testing.T, be *Backend, m ttt.Model, b int, name string, heads []ttt.HeadInput) {
	for _, f := range ttt.Forms {
		if !Supports(m, f) || (f == ttt.Naive && b != 1) {
			continue
		}
		t.Run(f.String()+"/"+name, func(t *testing.T) {
			want, err := ttt.CPU{}.Run(f, heads)
			if err != nil {
				t.Fatal(err)
			}
			got, err := be.Run(f, heads)
			if err != nil {
				t.Fatal(err)
			}
			for h := range want {
				for _, df := range CompareResults(got[h], want[h]) {
					if !df.OK() {
						t.Errorf("head %d: %v", h, df)
					}
				}
			}
		})
	}
}

// TestBareVsCPU checks the bare learner's kernels against ttt.BareTTT, with
// several mini-batch sizes (b = T is causal linear attention).
func TestBareVsCPU(t *testing.T) {
	be := backend(t)
	for _, tc := range []struct{ T, d, b int }{{23, 7, 5}, {40, 16, 16}, {33, 12, 33}, {9, 4, 1}, {150, 128, 64}} {
		rng := rand.New(rand.NewPCG(uint64(tc.T), 7))
		// q·k ~ N(0, 1/d)-ish keeps the float32 sums well conditioned at every size.
		sd := 1 / math.Sqrt(float64(tc.d))
		Q, K, V := randn(rng, tc.T*tc.d, sd), randn(rng, tc.T*tc.d, sd), randn(rng, tc.T*tc.d, 1)
		for _, f := range []ttt.Form{ttt.Primal, ttt.Dual} {
			want := make([]float32, tc.T*tc.d)
			ttt.BareTTT(f, want, Q, K, V, tc.T, tc.d, tc.b)
			got, err := be.RunBare(f, &ttt.BareSpec{D: tc.d, B: tc.b, Q: Q, K: K, V: V}, tc.T)
			if err != nil {
				t.Fatal(err)
			}
			if df := compare32(fmt.Sprintf("bare %v T=%d d=%d b=%d", f, tc.T, tc.d, tc.b), got, want); !df.OK() {
				t.Error(df)
			}
		}
	}
}

// TestAttentionVsCPU checks both attention kernels against their CPU twins, head by head.
func TestAttentionVsCPU(t *testing.T) {
	be := backend(t)
	// T = 1500 spans six key chunks, and with one invocation per query over all
	// keys it would run past lavapipe's loop budget.
	for _, tc := range []struct{ H, T, d int }{{1, 1, 4}, {3, 50, 7}, {2, 130, 64}, {1, 1500, 128}} {
		rng := rand.New(rand.NewPCG(uint64(tc.T), 9))
		n := tc.H * tc.T * tc.d
		sd := 2 / math.Sqrt(float64(tc.d)) // q·k of order 1: softmax neither flat nor one-hot
		Q, K, V := randn(rng, n, sd), randn(rng, n, sd), randn(rng, n, 1)
		for _, kind := range []string{"linear", "softmax"} {
			got := make([]float32, n)
			want := make([]float32, n)
			var err error
			if kind == "linear" {
				err = be.LinearAttention(got, Q, K, V, tc.H, tc.T, tc.d)
			} else {
				err = be.SoftmaxAttention(got, Q, K, V, tc.H, tc.T, tc.d)
			}
			if err != nil {
				t.Fatal(err)
			}
			for h := 0; h < tc.H; h++ {
				s := h * tc.T * tc.d
				e := s + tc.T*tc.d
				if kind == "linear" {
					ttt.LinearAttention(want[s:e], Q[s:e], K[s:e], V[s:e], tc.T, tc.d)
				} else {
					ttt.SoftmaxAttention(want[s:e], Q[s:e], K[s:e], V[s:e], tc.T, tc.d)
				}
			}
			if df := compare32(fmt.Sprintf("%s H=%d T=%d d=%d", kind, tc.H, tc.T, tc.d), got, want); !df.OK() {
				t.Error(df)
			} else {
				t.Log(df)
			}
		}
	}
}

func randn(rng *rand.Rand, n int, std float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(std * rng.NormFloat64())
	}
	return v
}

func compare32(name string, got, want []float32) ttt.Diff {
	w := func(x []float32) []float64 {
		out := make([]float64, len(x))
		for i, v := range x {
			out[i] = float64(v)
		}
		return out
	}
	return ttt.CompareArray(name, w(got), w(want), ttt.AbsTol, ttt.RelTol)
}

// TestLargestShapes runs the limits, d = 128 and b = 64, with a partial last
// mini-batch, every form, both inner models.
func TestLargestShapes(t *testing.T) {
	be := backend(t)
	runForms(t, be, ttt.Linear, MaxB, fmt.Sprintf("linear/d%d/b%d/T70", MaxD, MaxB), problems(ttt.Linear, 2, 70, MaxD, MaxB, 9))
	runForms(t, be, ttt.MLP, MaxB, fmt.Sprintf("mlp/d%d/b%d/T70", MaxDMLP, MaxB), problems(ttt.MLP, 2, 70, MaxDMLP, MaxB, 9))
	if _, err := be.Run(ttt.Dual, problems(ttt.MLP, 1, 3, MaxDMLP+1, 1, 1)); err == nil || !strings.Contains(err.Error(), "TTT-MLP kernels take d ≤") {
		t.Errorf("a TTT-MLP head of d = %d: %v, want the kernels' limit", MaxDMLP+1, err)
	}
	runForms(t, be, ttt.Linear, 1, "linear/d128/b1/T5", problems(ttt.Linear, 2, 5, MaxD, 1, 9))
}
