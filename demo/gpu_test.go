package demo

import (
	"os"
	"testing"

	"tttexplainer/ttt"
	"tttexplainer/ttt/golden"
)

func openGPU(t *testing.T) Device {
	t.Helper()
	dev, msg, err := OpenWebGPU()
	if err != nil {
		if os.Getenv("TTT_REQUIRE_GPU") == "1" {
			t.Fatalf("TTT_REQUIRE_GPU=1 but the GPU is unusable: %v", err)
		}
		t.Skipf("no usable GPU: %v", err)
	}
	t.Log(msg)
	t.Cleanup(dev.(GPUDevice).Close)
	return dev
}

// TestGPURunnerMatchesCPU runs the page's runner on the GPU with the CPU
// twin checking every step, for the stream and dual forms of both models,
// and replays the reference cases through the GPU.
func TestGPURunnerMatchesCPU(t *testing.T) {
	dev := openGPU(t)
	for _, model := range []string{"linear", "mlp"} {
		for _, form := range []string{"stream", "dual"} {
			s := Default()
			s.Model, s.Form, s.Backend = model, form, "gpu"
			r, err := NewRunner(s, dev)
			if err != nil {
				t.Fatal(err)
			}
			if err := r.SetCheck(true); err != nil {
				t.Fatal(err)
			}
			for range 100 {
				if _, err := r.Step(); err != nil {
					t.Fatal(err)
				}
			}
			last, worst, checking := r.Diff()
			t.Logf("%s %s on %s: 100 tokens, max |GPU − CPU| last %.2e, worst %.2e", model, form, dev.Adapter(), last, worst)
			if d, _ := r.Device(); !checking || d.Name() != "webgpu" {
				t.Fatalf("%s %s: checking %v on %s", model, form, checking, d.Name())
			}
			if worst > 1e-4 {
				t.Errorf("%s %s: GPU and CPU differ by %.2e", model, form, worst)
			}
			r.Close()
		}
	}
	for _, name := range golden.Names() {
		data, _ := golden.Read(name)
		c, _ := ttt.DecodeCase(data)
		out, err := Replay(dev, data, "")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, _ := ttt.DecodeOutput(out)
		for _, d := range ttt.Compare(got, c.Want, ttt.AbsTol, ttt.RelTol) {
			if !d.OK() {
				t.Errorf("%s on the GPU: %v", name, d)
			}
		}
	}
}
