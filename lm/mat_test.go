package lm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestSIMDMatchesPortable: the SIMD dot and axpy give the same bits as the
// portable ones at every length around the vector width, so a SIMD build
// trains the same weights as a portable one. Portable builds have no SIMD
// path to test.
func TestSIMDMatchesPortable(t *testing.T) {
	if !SIMD {
		t.Skip("portable build (or no AVX2): build with GOEXPERIMENT=simd on amd64 to test the SIMD path")
	}
	rng := rand.New(rand.NewPCG(4, 4))
	for n := 0; n <= 70; n++ {
		a, b := randVec(rng, n, 1), randVec(rng, n, 1)
		if got, want := dot(a, b), dotGeneric(a, b); math.Float32bits(got) != math.Float32bits(want) {
			t.Errorf("dot(n = %d) = %v; want %v (dotGeneric)", n, got, want)
		}
		y1 := randVec(rng, n, 1)
		y2 := append([]float32(nil), y1...)
		alpha := float32(rng.NormFloat64())
		axpy(y1, alpha, a)
		axpyGeneric(y2, alpha, a)
		for i := range y1 {
			if math.Float32bits(y1[i]) != math.Float32bits(y2[i]) {
				t.Fatalf("axpy(n = %d)[%d] = %v; want %v (axpyGeneric)", n, i, y1[i], y2[i])
			}
		}
	}
}

// BenchmarkTrainStep is one optimiser step of the default TTT-Linear model
// with share_qk and pre_conv on a batch of 8 × 256 characters; it reports
// training tokens per second (GOMAXPROCS sets the goroutines).
func BenchmarkTrainStep(b *testing.B) {
	c := DefaultConfig(TTTLinear)
	c.ShareQK, c.PreConv = true, true
	m, _ := New(c, 1)
	data := make([]int, 4096)
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range data {
		data[i] = rng.IntN(c.Vocab)
	}
	tc := DefaultTrain()
	tr, err := NewTrainer(m, tc, data)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		tr.TrainStep()
	}
	b.ReportMetric(float64(b.N*tc.Batch*c.Context)/b.Elapsed().Seconds(), "tokens/s")
}

// BenchmarkMixerForward is one TTT-Linear layer's forward in the dual form
// (share_qk projections and convs, RoPE, η gate, the inner loop, post-norm,
// θ_O) on one sequence: what the official PyTorch TTTLinear module's
// forward computes, for docs/BENCHMARKS.md's comparison. It reports tokens/s.
func BenchmarkMixerForward(b *testing.B) {
	for _, s := range []struct{ D, H, T int }{{64, 4, 2048}, {256, 4, 2048}} {
		b.Run(fmt.Sprintf("D=%d/H=%d/T=%d", s.D, s.H, s.T), func(b *testing.B) {
			c := DefaultConfig(TTTLinear)
			c.D, c.H, c.Context, c.ShareQK, c.Layers = s.D, s.H, s.T, true, 1
			m, _ := New(c, 1)
			w := newWork(c)
			blk := w.blocks[0]
			rng := rand.New(rand.NewPCG(2, 2))
			copy(blk.a1, randVec(rng, s.T*s.D, 1))
			Y := make([]float32, s.T*s.D)
			for b.Loop() {
				m.mixerForward(w, blk, m.Params.Blocks[0], s.T)
				mm(Y, blk.Zn, m.Params.Blocks[0].ThetaO, s.T, s.D, s.D) // [T,D] @ [D,D] -> [T,D]
			}
			b.ReportMetric(float64(b.N*s.T)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}
