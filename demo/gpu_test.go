package demo

import (
	"os"
	"strings"
	"testing"

	"tttexplainer/scenario"
	"tttexplainer/ttt"
	"tttexplainer/ttt/golden"
)

func openGPU(t testing.TB) Device {
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
	for _, m := range []ttt.Model{ttt.Linear, ttt.MLP} {
		for _, f := range ttt.Forms {
			msg, err := dev.(GPUDevice).SelfTestForm(m, f)
			if err != nil {
				t.Errorf("SelfTestForm(%v, %v): %v", m, f, err)
			}
			t.Log(msg)
		}
		msg, err := dev.(GPUDevice).SelfTestOptimisers(m)
		if err != nil {
			t.Errorf("SelfTestOptimisers(%v): %v", m, err)
		}
		t.Log(msg)
	}
	for _, model := range []string{"linear", "mlp"} {
		for _, form := range []string{"stream", "dual"} {
			s := scenario.Default()
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
	cases, err := golden.Cases()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		name := c.Name
		out, err := Replay(dev, c.JSON, "")
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

// TestGPUSessionLosesDevice: a session that finds the GPU moves its run
// there, and back to the CPU with its history when the device goes away.
func TestGPUSessionLosesDevice(t *testing.T) {
	openGPU(t) // skips or fails as the environment asks
	s := scenario.Default()
	s.Backend = "gpu" // auto picks the CPU over a software adapter such as lavapipe
	ss, err := NewSession(s, OpenWebGPU)
	if err != nil {
		t.Fatal(err)
	}
	go ss.Loop()
	if err := ss.Step(20); err != nil {
		t.Fatal(err)
	}
	if err := ss.ProbeGPU(); err != nil {
		t.Fatal(err)
	}
	if f := ss.Frame(); f.Backend != "webgpu" || f.Pos != 20 || !strings.Contains(f.Reason, "self-test") {
		t.Fatalf("after the probe: %s showing %d tokens, reason %q", f.Backend, f.Pos, f.Reason)
	}
	if err := ss.Step(20); err != nil {
		t.Fatal(err)
	}
	before := ss.Frame().LossBefore
	if err := ss.LoseGPU(); err != nil {
		t.Fatal(err)
	}
	if err := ss.Step(40); err != nil { // past the tokens computed ahead: the device is needed again
		t.Fatal(err)
	}
	f := ss.Frame()
	if f.Backend != "cpu" || f.Pos != 80 || !strings.Contains(f.Reason, "moved to the CPU") {
		t.Errorf("after the loss: %s showing %d tokens, reason %q", f.Backend, f.Pos, f.Reason)
	}
	for i, v := range before {
		if f.LossBefore[i] != v {
			t.Fatalf("token %d's loss changed from %v to %v after the loss", i, v, f.LossBefore[i])
		}
	}
}
