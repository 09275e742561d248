package gpu

import (
	"fmt"
	"testing"

	"tttexplainer/ttt"
)

// BenchmarkPrefill times whole-sequence runs of each form on the GPU, with the
// speed race's shape: TTT-Linear, T = 2048, d = 64, 4 heads, b = 16 (b = 1 for
// the naive form). It reports tokens/s and the submits and readbacks per run.
//
//	go test -run '^$' -bench Prefill -benchtime 5x ./gpu
func BenchmarkPrefill(b *testing.B) {
	be := backend(b)
	const T, d, H = 2048, 64, 4
	for _, m := range []ttt.Model{ttt.Linear, ttt.MLP} {
		for _, f := range ttt.Forms {
			bs := 16
			if f == ttt.Naive {
				bs = 1
			}
			heads := problems(m, H, T, d, bs, 1)
			b.Run(fmt.Sprintf("%v/%v", m, f), func(b *testing.B) {
				if _, err := be.Run(f, heads); err != nil { // warm-up: pipelines and buffers
					b.Fatal(err)
				}
				s0 := be.Stats()
				c0 := cpuTime()
				b.ResetTimer()
				for range b.N {
					if _, err := be.Run(f, heads); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				s1 := be.Stats()
				b.ReportMetric((cpuTime()-c0)*1e3/float64(b.N), "cpu-ms/op")
				b.ReportMetric(float64(T)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
				b.ReportMetric(float64(s1.Submits-s0.Submits)/float64(b.N), "submits/op")
				b.ReportMetric(float64(s1.Readbacks-s0.Readbacks)/float64(b.N), "readbacks/op")
			})
		}
	}
}

// BenchmarkStreamStep times one token of the Stream API (4 heads, d = 64,
// b = 16): one dispatch, one submit, one readback of z and the losses.
//
//	go test -run '^$' -bench StreamStep ./gpu
func BenchmarkStreamStep(b *testing.B) {
	be := backend(b)
	const d, H, bs = 64, 4, 16
	for _, m := range []ttt.Model{ttt.Linear, ttt.MLP} {
		for _, o := range []ttt.Opt{{}, {Kind: ttt.Momentum, Beta: 0.9}, {Kind: ttt.Adam, Beta: 0.9, Beta2: 0.999, Eps: 1e-8, Eta: 0.001, Decay: 0.01}} {
			b.Run(m.String()+"/"+o.Kind.String(), func(b *testing.B) {
				heads := problems(m, H, 1, d, bs, 1)
				hs := make([]*ttt.Head, H)
				w0 := make([]*ttt.Weights, H)
				for i, h := range heads {
					hs[i], w0[i] = h.Head, h.W0
				}
				st, err := be.NewOptStream(hs, w0, o)
				if err != nil {
					b.Fatal(err)
				}
				defer st.Close()
				q := make([]float32, H*d)
				for i := range q {
					q[i] = float32(i%7) * 0.1
				}
				lr := []float32{0.01, 0.01, 0.01, 0.01}
				z := make([]float32, H*d)
				losses := make([]ttt.Losses, H)
				b.ResetTimer()
				for range b.N {
					if err := st.Step(z, losses, q, q, q, lr); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
