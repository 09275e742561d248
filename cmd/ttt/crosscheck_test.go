package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"tttexplainer/ttt"
)

// TestUnseenCases replays TTT-Linear cases this repository has never stored:
// bench/numpy_dual.py makes them (other seeds, d not a power of two, D ≠ d,
// T not a multiple of b, b from 1 to 16) with its own float64 dual form, and
// replay must match every array with every form, on the CPU and (on
// lavapipe, or any Vulkan adapter) the GPU backend. It needs python3 with numpy,
// which `make test` installs; under CI a missing numpy is a failure.
func TestUnseenCases(t *testing.T) {
	py := "/usr/bin/python3"
	if exec.Command(py, "-c", "import numpy").Run() != nil {
		if os.Getenv("CI") != "" || os.Getenv("TTT_REQUIRE_GPU") != "" {
			t.Fatal("python3 with numpy is missing; make test installs python3-numpy")
		}
		t.Skip("python3 with numpy is missing")
	}
	backends := []string{"cpu"}
	if be, release, err := openBackend("gpu"); err == nil {
		release()
		backends = append(backends, be.Name())
	} else if os.Getenv("TTT_REQUIRE_GPU") != "" {
		t.Fatalf("TTT_REQUIRE_GPU is set: %v", err)
	}
	dir := t.TempDir()
	for i, sz := range []struct{ T, D, d, b int }{
		{45, 10, 7, 5}, {33, 12, 12, 16}, {50, 6, 9, 1}, {29, 5, 5, 3}, {70, 16, 13, 8}, {17, 4, 4, 2},
	} {
		name := fmt.Sprintf("T%d_D%d_d%d_b%d", sz.T, sz.D, sz.d, sz.b)
		t.Run(name, func(t *testing.T) {
			out, err := exec.Command(py, "../../bench/numpy_dual.py", "--make-case",
				"-T", fmt.Sprint(sz.T), "-D", fmt.Sprint(sz.D), "-d", fmt.Sprint(sz.d), "-b", fmt.Sprint(sz.b), "--seed", fmt.Sprint(100+i)).Output()
			if err != nil {
				t.Fatalf("numpy_dual.py --make-case: %v", err)
			}
			p := filepath.Join(dir, name+".json")
			if err := os.WriteFile(p, out, 0o644); err != nil {
				t.Fatal(err)
			}
			c, err := ttt.ReadCase(p)
			if err != nil {
				t.Fatal(err)
			}
			for _, be := range backends {
				for _, form := range c.Forms() {
					var buf bytes.Buffer
					if err := replay([]string{"-backend", be, "-form", form.String(), p}, &buf); err != nil {
						t.Fatalf("%s %v: %v", be, form, err)
					}
					got, err := ttt.DecodeOutput(buf.Bytes())
					if err != nil {
						t.Fatal(err)
					}
					for _, d := range ttt.Compare(got, c.Want, ttt.AbsTol, ttt.RelTol) {
						if !d.OK() {
							t.Errorf("%s %v: %v", be, form, d)
						}
					}
				}
			}
		})
	}
}
