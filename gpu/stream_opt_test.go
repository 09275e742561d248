package gpu

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"tttexplainer/ttt"
)

// gpuOpts are the inner optimisers the GPU stream runs: everything but the
// zero Opt (plain GD), which TestStreamVsCPU covers.
var gpuOpts = []struct {
	name string
	o    ttt.Opt
}{
	{"gd+wd", ttt.Opt{Decay: 0.05}},
	{"momentum", ttt.Opt{Kind: ttt.Momentum, Beta: 0.9}},
	{"momentum+wd", ttt.Opt{Kind: ttt.Momentum, Beta: 0.5, Decay: 0.02}},
	{"adam", ttt.Opt{Kind: ttt.Adam, Beta: 0.9, Beta2: 0.999, Eps: 1e-8, Eta: 0.01}},
	{"adam+wd", ttt.Opt{Kind: ttt.Adam, Beta: 0.8, Beta2: 0.99, Eps: 1e-6, Eta: 0.003, Decay: 0.01}},
}

// TestStreamOptVsCPU steps H heads through gpu.Stream with each inner
// optimiser and checks z and the four losses after every token, and the
// read-back weights at every mini-batch end and at the last token, against
// the CPU reference ttt.Head.RunOpt, within ttt.AbsTol + ttt.RelTol. Each step
// must stay one submit and one readback.
func TestStreamOptVsCPU(t *testing.T) {
	be := backend(t)
	for _, m := range []ttt.Model{ttt.Linear, ttt.MLP} {
		for _, d := range []int{4, 7, 16} {
			for _, b := range []int{1, 3, 16} {
				for _, tc := range gpuOpts {
					t.Run(fmt.Sprintf("%v/d%d/b%d/%s", m, d, b, tc.name), func(t *testing.T) {
						streamOptVsCPU(t, be, m, d, b, tc.o)
					})
				}
			}
		}
	}
}

func streamOptVsCPU(t *testing.T, be *Backend, m ttt.Model, d, b int, o ttt.Opt) {
	const H = 2
	T := tokens(b)
	heads := problems(m, H, T, d, b, uint64(500+7*d+b))
	hs := make([]*ttt.Head, H)
	w0 := make([]*ttt.Weights, H)
	want := make([]*ttt.Result, H)
	for i, h := range heads {
		hs[i], w0[i] = h.Head, h.W0
		r, err := h.Head.RunOpt(o, h.W0, h.Seq)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = r
	}
	// W_t of the CPU stream, for the read-back weights.
	cpu := make([]*ttt.StreamState, H)
	for i, h := range heads {
		var err error
		if cpu[i], err = ttt.NewStreamStateOpt(h.Head, h.W0, o); err != nil {
			t.Fatal(err)
		}
	}
	st, err := be.NewOptStream(hs, w0, o)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	q, k, v := make([]float32, H*d), make([]float32, H*d), make([]float32, H*d)
	lr, z, zc := make([]float32, H), make([]float32, H*d), make([]float32, d)
	losses := make([]ttt.Losses, H)
	for tok := 0; tok < T; tok++ {
		r := tok * d
		for i, h := range heads {
			copy(q[i*d:], h.Seq.XQ[r:r+d])
			copy(k[i*d:], h.Seq.XK[r:r+d])
			copy(v[i*d:], h.Seq.XV[r:r+d])
			lr[i] = h.Seq.LR[tok]
			cpu[i].Step(zc, q[i*d:(i+1)*d], k[i*d:(i+1)*d], v[i*d:(i+1)*d], lr[i])
		}
		before := be.Stats()
		if err := st.Step(z, losses, q, k, v, lr); err != nil {
			t.Fatal(err)
		}
		if after := be.Stats(); after.Submits-before.Submits != 1 || after.Readbacks-before.Readbacks != 1 {
			t.Fatalf("token %d: %d submits and %d readbacks, want 1 and 1", tok, after.Submits-before.Submits, after.Readbacks-before.Readbacks)
		}
		for i, w := range want {
			if df := compare32(fmt.Sprintf("token %d head %d z", tok, i), z[i*d:(i+1)*d], w.Z[r:r+d]); !df.OK() {
				t.Fatal(df)
			}
			g := losses[i]
			if df := compare32(fmt.Sprintf("token %d head %d losses", tok, i), []float32{g.W0, g.Start, g.Before, g.After},
				[]float32{w.LossW0[tok], w.LossStart[tok], w.LossBefore[tok], w.LossAfter[tok]}); !df.OK() {
				t.Fatal(df)
			}
		}
		if (tok+1)%b == 0 || tok == T-1 {
			checkWeights(t, tok, st, cpu)
		}
	}
}

// TestOptStreamRefusesBadValues: every out-of-range optimiser value is an
// error that names it, before anything reaches the device.
func TestOptStreamRefusesBadValues(t *testing.T) {
	be := backend(t)
	h := problems(ttt.Linear, 1, 4, 4, 2, 1)[0]
	nan := float32(math.NaN())
	for _, tc := range []struct {
		o    ttt.Opt
		want string
	}{
		{ttt.Opt{Kind: ttt.Momentum, Beta: 1}, "β"},
		{ttt.Opt{Kind: ttt.Momentum, Beta: nan}, "β"},
		{ttt.Opt{Decay: 1}, "λ"},
		{ttt.Opt{Kind: ttt.Adam, Beta: 0.9, Beta2: 0.999, Eps: 0, Eta: 0.01}, "ε"},
		{ttt.Opt{Kind: ttt.Adam, Beta: 0.9, Beta2: -1, Eps: 1e-8, Eta: 0.01}, "β₂"},
	} {
		_, err := be.NewOptStream([]*ttt.Head{h.Head}, []*ttt.Weights{h.W0}, tc.o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewOptStream(%+v) = %v, want an error naming %s", tc.o, err, tc.want)
		}
	}
}
