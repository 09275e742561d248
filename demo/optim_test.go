package demo

import (
	"math"
	"testing"

	"tttexplainer/scenario"
	"tttexplainer/ttt"
)

// referenceLosses runs ttt's whole-sequence reference of a scenario's inner
// optimiser, head by head, and averages the losses over the heads.
func referenceLosses(t *testing.T, r *Runner) (before, after []float64, Z [][]float32) {
	t.Helper()
	H, d := r.Views.H, r.Views.D
	before, after = make([]float64, r.T), make([]float64, r.T)
	Z = make([][]float32, r.T)
	for i := range Z {
		Z[i] = make([]float32, H*d)
	}
	for h, hi := range r.Views.Heads {
		res, err := hi.Head.RunOpt(r.Opt, hi.W0, hi.Seq)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < r.T; i++ {
			before[i] += float64(res.LossBefore[i]) / float64(H)
			after[i] += float64(res.LossAfter[i]) / float64(H)
			copy(Z[i][h*d:], res.Z[i*d:(i+1)*d])
		}
	}
	return before, after, Z
}

func close4(a, b float64) bool { return math.Abs(a-b) <= ttt.AbsTol+ttt.RelTol*math.Abs(b) }

// TestRunnerOptimisers: the page's runner streams each optimiser as the
// reference does, and moving it to another device mid-run (which replays a
// stateful optimiser from token 0) and recomputing past weights change nothing.
func TestRunnerOptimisers(t *testing.T) {
	for _, opt := range []struct {
		name   string
		wd, lr float64
	}{{"momentum", 0, 0.1}, {"adam", 0.01, 0.1}, {"gd", 0.05, 0.1}} {
		s := scenario.Default()
		s.Opt, s.WD, s.B = opt.name, opt.wd, 4
		r, err := NewRunner(s, CPU{})
		if err != nil {
			t.Fatal(err)
		}
		before, after, _ := referenceLosses(t, r)
		for i := 0; i < 30; i++ {
			if _, err := r.Step(); err != nil {
				t.Fatal(err)
			}
			if i == 13 {
				if err := r.SetDevice(CPU{}, "test"); err != nil {
					t.Fatal(err)
				}
			}
		}
		for i := 0; i < 30; i++ {
			_, _, b, a := MeanLoss(r.L[i])
			if !close4(b, before[i]) || !close4(a, after[i]) {
				t.Fatalf("%s token %d: losses %g, %g; want %g, %g", opt.name, i, b, a, before[i], after[i])
			}
		}
		// Weights recomputed from the snapshots equal the engine's own.
		r.snaps = map[int][]*ttt.Weights{0: r.W0}
		r.curW = nil
		W, err := r.WeightsAt(r.Done()) // the engine computes ahead, in chunks
		if err != nil {
			t.Fatal(err)
		}
		want, _ := r.eng.Weights()
		if Checksum(W) != Checksum(want) {
			t.Errorf("%s: recomputed weights after %d tokens differ from the stream's", opt.name, r.Done())
		}
	}
}

// TestCompareOptimizers: four curves of T points each; the GD curve is the
// plain stream's, and each curve is its optimiser's reference.
func TestCompareOptimizers(t *testing.T) {
	s := scenario.Default()
	s.B = 4
	const n = 40
	c, err := CompareOptimizers(s, CPU{}, n, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Curves) != 4 || c.T != n || c.Backend != "cpu" {
		t.Fatalf("%d curves over %d tokens on %s, want 4 over %d on cpu", len(c.Curves), c.T, c.Backend, n)
	}
	for i, x := range CompareSettings(s) {
		cv := c.Curves[i]
		if len(cv.Before) != n || len(cv.After) != n || len(cv.Z) != n {
			t.Fatalf("%s: %d, %d, %d points, want %d", cv.Name, len(cv.Before), len(cv.After), len(cv.Z), n)
		}
		r, err := NewRunner(x, CPU{})
		if err != nil {
			t.Fatal(err)
		}
		before, after, Z := referenceLosses(t, r)
		for tok := 0; tok < n; tok++ {
			if !close4(cv.Before[tok], before[tok]) || !close4(cv.After[tok], after[tok]) {
				t.Fatalf("%s token %d: %g, %g; want %g, %g", cv.Name, tok, cv.Before[tok], cv.After[tok], before[tok], after[tok])
			}
			for j := range Z[tok] {
				if !close4(float64(cv.Z[tok][j]), float64(Z[tok][j])) {
					t.Fatalf("%s token %d: z[%d] = %g, want %g", cv.Name, tok, j, cv.Z[tok][j], Z[tok][j])
				}
			}
		}
		var sum float64
		for _, x := range cv.Before {
			sum += x
		}
		t.Logf("%-9s %-45s mean ℓ(W_{t−1}; x_t) over %d tokens = %.4f", cv.Name, cv.Label, n, sum/n)
	}
	if c.Curves[0].Name != "gd" || c.Curves[3].Name != "gd+wd" {
		t.Errorf("curve names %s … %s", c.Curves[0].Name, c.Curves[3].Name)
	}
}

// TestCompareOptimizersGPU: the comparison on WebGPU (the stream kernels with
// each optimiser) gives the CPU's curves and outputs, for both inner models.
func TestCompareOptimizersGPU(t *testing.T) {
	dev := openGPU(t)
	for _, model := range []string{"linear", "mlp"} {
		s := scenario.Default()
		s.Model, s.B = model, 3
		const n = 25
		got, err := CompareOptimizers(s, dev, n, true)
		if err != nil {
			t.Fatal(err)
		}
		want, err := CompareOptimizers(s, CPU{}, n, true)
		if err != nil {
			t.Fatal(err)
		}
		if got.Backend != "webgpu" || len(got.Curves) != len(want.Curves) {
			t.Fatalf("%s: %d curves on %s", model, len(got.Curves), got.Backend)
		}
		for i, cv := range got.Curves {
			w := want.Curves[i]
			for tok := 0; tok < n; tok++ {
				if !close4(cv.Before[tok], w.Before[tok]) || !close4(cv.After[tok], w.After[tok]) {
					t.Fatalf("%s %s token %d: %g, %g; want %g, %g", model, cv.Name, tok, cv.Before[tok], cv.After[tok], w.Before[tok], w.After[tok])
				}
				for j := range w.Z[tok] {
					if !close4(float64(cv.Z[tok][j]), float64(w.Z[tok][j])) {
						t.Fatalf("%s %s token %d: z[%d] = %g, want %g", model, cv.Name, tok, j, cv.Z[tok][j], w.Z[tok][j])
					}
				}
			}
		}
	}
}

// TestSessionCompareOptimizers: the page's entry point compares on the
// backend asked for, and refuses a GPU it does not have.
func TestSessionCompareOptimizers(t *testing.T) {
	ss := newTestSession(t, nil, false)
	c, err := ss.CompareOptimizers("cpu", 12, false)
	if err != nil || len(c.Curves) != 4 || c.T != 12 || c.Curves[2].Z != nil {
		t.Fatalf("CompareOptimizers(cpu, 12) = %+v, %v", c, err)
	}
	if _, err := ss.CompareOptimizers("gpu", 12, false); err == nil {
		t.Error("CompareOptimizers(gpu) without a GPU gave no error")
	}
	if _, err := ss.CompareOptimizers("tpu", 12, false); err == nil {
		t.Error("CompareOptimizers(tpu) gave no error")
	}
}

// TestSessionCompareOptimizersGPU: on a GPU the comparison self-tests the
// stream kernels with optimisers first, then runs there.
func TestSessionCompareOptimizersGPU(t *testing.T) {
	openGPU(t) // skips, or fails under TTT_REQUIRE_GPU=1, without one
	ss := newTestSession(t, OpenWebGPU, true)
	c, err := ss.CompareOptimizers("gpu", 10, false)
	if err != nil || c.Backend != "webgpu" || len(c.Curves) != 4 {
		t.Fatalf("CompareOptimizers(gpu, 10) = %+v, %v", c, err)
	}
	if res, ok := ss.tests["linear/stream+opt"]; !ok || res.err != nil {
		t.Errorf("the optimiser self-test: %+v (ran %v)", res, ok)
	}
}
