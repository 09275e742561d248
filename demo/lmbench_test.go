package demo

import (
	"strings"
	"testing"
)

// perLayer is a device that hides its whole-model stream, so that LMRun
// steps each layer's heads on it and the rest of the model on the CPU
// (the LM mode's GPU path before gpu.LMStream).
type perLayer struct{ Device }

// BenchmarkLMRead reads 256 characters through the page's LMRun (the
// trained model) on the GPU the old way (each layer's heads per character,
// W per mini-batch: Layers × (1 + 1/b) round trips a character) and with
// the whole-model stream (one round trip a character), and on the CPU for
// scale. It reports characters/s and round trips per character.
//
//	TTT_REQUIRE_GPU=1 go test -run '^$' -bench LMRead -benchtime 5x -count 3 ./demo
func BenchmarkLMRead(b *testing.B) {
	dev := openGPU(b)
	be := dev.(GPUDevice).Backend
	m, err := PretrainedLM()
	if err != nil {
		b.Fatal(err)
	}
	text := strings.Repeat(lmPrompt, 4)[:256]
	for _, tc := range []struct {
		name string
		dev  Device
	}{{"gpu-per-layer", perLayer{dev}}, {"gpu-whole-model", dev}, {"cpu", CPU{}}} {
		b.Run(tc.name, func(b *testing.B) {
			read := func() {
				r, err := NewLMRun(m, text, tc.dev, "")
				if err != nil {
					b.Fatal(err)
				}
				defer r.Close()
				for {
					ok, err := r.Step()
					if err != nil {
						b.Fatal(err)
					}
					if !ok {
						break
					}
				}
				if d, why := r.Device(); d.Name() != tc.dev.Name() {
					b.Fatalf("the run moved to %s: %s", d.Name(), why)
				}
			}
			read() // warm-up: pipelines and buffers
			s0 := be.Stats()
			b.ResetTimer()
			for range b.N {
				read()
			}
			b.StopTimer()
			s1 := be.Stats()
			chars := float64(len(text) * b.N)
			b.ReportMetric(chars/b.Elapsed().Seconds(), "chars/s")
			b.ReportMetric(float64(s1.Submits-s0.Submits)/chars, "submits/char")
			b.ReportMetric(float64(s1.Readbacks-s0.Readbacks)/chars, "readbacks/char")
		})
	}
}
