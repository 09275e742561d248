package gpu

import (
	"fmt"
	"testing"

	"tttexplainer/ttt"
)

// TestStreamVsCPU steps H heads token by token through the Stream API and
// checks z, the four losses and (now and then) the read-back weights against
// one ttt.StreamState per head; each step must be one submit and one readback,
// and prefills run in between must leave the stream alone.
func TestStreamVsCPU(t *testing.T) {
	be := backend(t)
	for _, m := range []ttt.Model{ttt.Linear, ttt.MLP} {
		for _, tc := range []struct {
			d, b  int
			plain bool
		}{{7, 3, false}, {16, 16, false}, {7, 3, true}} {
			t.Run(fmt.Sprintf("%v/d%d/b%d/plain=%v", m, tc.d, tc.b, tc.plain), func(t *testing.T) {
				const H = 3
				T := tokens(tc.b)
				heads := problems(m, H, T, tc.d, tc.b, 77)
				if tc.plain {
					heads = plain(heads)
				}
				hs := make([]*ttt.Head, H)
				w0 := make([]*ttt.Weights, H)
				cpu := make([]*ttt.StreamState, H)
				for i, h := range heads {
					hs[i], w0[i] = h.Head, h.W0
					cpu[i] = ttt.NewStreamState(h.Head, h.W0)
				}
				st, err := be.NewStream(hs, w0)
				if err != nil {
					t.Fatal(err)
				}
				defer st.Close()
				d := tc.d
				q, k, v := make([]float32, H*d), make([]float32, H*d), make([]float32, H*d)
				lr, z := make([]float32, H), make([]float32, H*d)
				losses := make([]ttt.Losses, H)
				wantZ := make([]float32, d)
				for tok := 0; tok < T; tok++ {
					for i, h := range heads {
						r := tok * d
						copy(q[i*d:], h.Seq.XQ[r:r+d])
						copy(k[i*d:], h.Seq.XK[r:r+d])
						copy(v[i*d:], h.Seq.XV[r:r+d])
						lr[i] = h.Seq.LR[tok]
					}
					before := be.Stats()
					if err := st.Step(z, losses, q, k, v, lr); err != nil {
						t.Fatal(err)
					}
					if after := be.Stats(); after.Submits-before.Submits != 1 || after.Readbacks-before.Readbacks != 1 {
						t.Fatalf("token %d: %d submits and %d readbacks, want 1 and 1", tok, after.Submits-before.Submits, after.Readbacks-before.Readbacks)
					}
					for i := range heads {
						want := cpu[i].Step(wantZ, q[i*d:(i+1)*d], k[i*d:(i+1)*d], v[i*d:(i+1)*d], lr[i])
						if df := compare32(fmt.Sprintf("token %d head %d z", tok, i), z[i*d:(i+1)*d], wantZ); !df.OK() {
							t.Fatal(df)
						}
						g, w := losses[i], want
						if df := compare32(fmt.Sprintf("token %d head %d losses", tok, i), []float32{g.W0, g.Start, g.Before, g.After}, []float32{w.W0, w.Start, w.Before, w.After}); !df.OK() {
							t.Fatal(df)
						}
					}
					if tok%4 == 2 {
						// A prefill in between must not disturb the stream's state.
						if _, err := be.Run(ttt.Dual, problems(m, 2, 20, 5, 4, 3)); err != nil {
							t.Fatal(err)
						}
					}
					if st.Pos() != cpu[0].Pos() {
						t.Fatalf("token %d: Pos() = %d, want %d", tok, st.Pos(), cpu[0].Pos())
					}
					if tok%5 == 4 || tok == T-1 {
						checkWeights(t, tok, st, cpu)
					}
				}
			})
		}
	}
}

// checkWeights compares every head's W read back from the GPU stream with
// the CPU stream's after token tok.
func checkWeights(t *testing.T, tok int, st *Stream, cpu []*ttt.StreamState) {
	t.Helper()
	ws, err := st.Weights()
	if err != nil {
		t.Fatal(err)
	}
	for i := range cpu {
		gt, wt := ws[i].Tensors(), cpu[i].Weights().Tensors()
		for j, name := range ws[i].TensorNames() {
			if df := compare32(fmt.Sprintf("token %d head %d %s", tok, i, name), gt[j], wt[j]); !df.OK() {
				t.Fatal(df)
			}
		}
	}
}
