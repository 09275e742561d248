package gpu

import (
	"math"
	"math/rand/v2"
	"testing"

	"tttexplainer/ttt"
)

// TestAttentionSplitSubmits runs the attention kernels with one key chunk per
// submit, the path long problems take, and checks them against the CPU.
func TestAttentionSplitSubmits(t *testing.T) {
	be := backend(t)
	defer func(n int) { attnPairsPerSubmit = n }(attnPairsPerSubmit)
	attnPairsPerSubmit = 1
	const H, T, d = 2, 700, 12 // 3 chunks of keys, the last one partial
	rng := rand.New(rand.NewPCG(7, 9))
	n := H * T * d
	sd := 2 / math.Sqrt(d)
	Q, K, V := randn(rng, n, sd), randn(rng, n, sd), randn(rng, n, 1)
	before := be.Stats().Submits
	got, want := make([]float32, n), make([]float32, n)
	if err := be.SoftmaxAttention(got, Q, K, V, H, T, d); err != nil {
		t.Fatal(err)
	}
	if s := be.Stats().Submits - before; s != 3 {
		t.Errorf("%d submits for 3 key chunks, want one each", s)
	}
	for h := range H {
		s, e := h*T*d, (h+1)*T*d
		ttt.SoftmaxAttention(want[s:e], Q[s:e], K[s:e], V[s:e], T, d)
	}
	if df := compare32("softmax, one chunk per submit", got, want); !df.OK() {
		t.Error(df)
	}
}
