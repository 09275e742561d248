package ttt_test

import (
	"fmt"
	"testing"

	"tttexplainer/ttt"
)

// BenchmarkForms times a whole sequence through each form at the sizes of
// docs/BENCHMARKS.md: T = 2048, d = 64, b = 16 (naive: b = 1), one head.
//
//	go test -run '^$' -bench Forms -benchtime 20x ./ttt/
func BenchmarkForms(b *testing.B) {
	const T, d = 2048, 64
	for _, m := range []ttt.Model{ttt.Linear, ttt.MLP} {
		for _, form := range ttt.Forms {
			bs := 16
			if form == ttt.Naive {
				bs = 1
			}
			p := ttt.RandomProblem(m, T, d, bs, 1)
			b.Run(fmt.Sprintf("%v/%v", m, form), func(b *testing.B) {
				for b.Loop() {
					if _, err := p.Head.Run(form, p.W0, &p.Seq); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(T*b.N)/b.Elapsed().Seconds(), "tokens/s")
			})
		}
	}
}

// BenchmarkStreamStep is the cost of one token through the stream form,
// with each inner optimiser.
//
//	go test -run '^$' -bench StreamStep ./ttt
func BenchmarkStreamStep(b *testing.B) {
	const d = 64
	for _, m := range []ttt.Model{ttt.Linear, ttt.MLP} {
		p := ttt.RandomProblem(m, 256, d, 16, 1)
		for _, o := range benchOpts {
			b.Run(m.String()+"/"+o.Name, func(b *testing.B) {
				streamSteps(b, p, o.Opt)
			})
		}
	}
}

// benchOpts are the inner optimisers the stream benchmarks time.
var benchOpts = []struct {
	Name string
	Opt  ttt.Opt
}{
	{"gd", ttt.Opt{}},
	{"momentum", ttt.Opt{Kind: ttt.Momentum, Beta: 0.9}},
	{"adam+wd", ttt.Opt{Kind: ttt.Adam, Beta: 0.9, Beta2: 0.999, Eps: 1e-8, Eta: 0.001, Decay: 0.01}},
}

func streamSteps(b *testing.B, p *ttt.Problem, o ttt.Opt) {
	d := p.Head.D
	st, err := ttt.NewStreamStateOpt(&p.Head, p.W0, o)
	if err != nil {
		b.Fatal(err)
	}
	z := make([]float32, d)
	i := 0
	for b.Loop() {
		r := (i % 256) * d
		st.Step(z, p.Seq.XQ[r:r+d], p.Seq.XK[r:r+d], p.Seq.XV[r:r+d], p.Seq.LR[i%256])
		i++
	}
}
