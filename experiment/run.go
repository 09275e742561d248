package experiment

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"tttexplainer/demo"
	"tttexplainer/scenario"
)

// exp is one run in progress.
type exp struct {
	ctx         context.Context
	dev         demo.Device
	spec        scenario.ExperimentSpec
	progress    Progress
	r           *Result
	done, total int
}

// step reports one unit of work done and checks for cancellation.
func (x *exp) step(what string) error {
	x.done++
	x.progress(x.done, x.total, what)
	demo.Yield()
	return x.ctx.Err()
}

// timed runs fn runs times, after one untimed warm-up (which compiles
// pipelines and sizes buffers) if warm, and returns the median wall time.
func (x *exp) timed(runs int, warm bool, fn func() error) (time.Duration, error) {
	if warm {
		if err := fn(); err != nil {
			return 0, err
		}
	}
	ds := make([]time.Duration, runs)
	for i := range ds {
		if err := x.ctx.Err(); err != nil {
			return 0, err
		}
		t0 := time.Now()
		if err := fn(); err != nil {
			return 0, err
		}
		ds[i] = time.Since(t0)
	}
	slices.Sort(ds)
	return ds[runs/2], nil
}

// attender is a device that runs the causal attention baselines (Z, Q, K,
// V: [H,T,d], head-major): demo.GPUDevice as WGSL kernels, demo.CPU in Go.
type attender interface {
	LinearAttention(Z, Q, K, V []float32, H, T, d int) error
	SoftmaxAttention(Z, Q, K, V []float32, H, T, d int) error
}

// attention returns the device's attention kernels.
func (x *exp) attention() (attender, error) {
	a, ok := x.dev.(attender)
	if !ok {
		return nil, fmt.Errorf("the %s backend has no attention kernels", x.dev.Name())
	}
	return a, nil
}

// where names the device in a sentence.
func (x *exp) where() string {
	if x.dev.Name() == "cpu" {
		return "the CPU backend"
	}
	return "WebGPU (" + x.dev.Adapter() + ")"
}

func (x *exp) rng(stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(x.spec.Seed, stream))
}

// normals returns n seeded N(0, std²) floats.
func normals(rng *rand.Rand, n int, std float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(std * rng.NormFloat64())
	}
	return v
}

func maxAbsDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	m := 0.0
	for i := range a {
		d := math.Abs(float64(a[i]) - float64(b[i]))
		if math.IsNaN(d) {
			return math.Inf(1)
		}
		m = max(m, d)
	}
	return m
}
