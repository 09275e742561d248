package gpu

import (
	"fmt"
	"testing"

	"tttexplainer/ttt"
)

// TestStreamSteps takes a sequence through Stream.Steps in chunks of
// uneven sizes (across mini-batch ends, one token, several mini-batches)
// and checks every token's z and losses, and the weights read back with the
// chunk, against one ttt.StreamState per head; each chunk must be one submit
// and one readback, weights included.
func TestStreamSteps(t *testing.T) {
	be := backend(t)
	for _, m := range []ttt.Model{ttt.Linear, ttt.MLP} {
		for _, o := range []ttt.Opt{{}, {Kind: ttt.Adam, Beta: 0.9, Beta2: 0.999, Eps: 1e-8, Eta: 0.01, Decay: 0.02}} {
			t.Run(fmt.Sprintf("%v/%v", m, o.Kind), func(t *testing.T) {
				const H, d, b = 2, 7, 4
				T := 3*b*2 + 3
				heads := problems(m, H, T, d, b, 91)
				hs, w0, cpu := make([]*ttt.Head, H), make([]*ttt.Weights, H), make([]*ttt.StreamState, H)
				for i, h := range heads {
					hs[i], w0[i] = h.Head, h.W0
					s, err := ttt.NewStreamStateOpt(h.Head, h.W0, o)
					if err != nil {
						t.Fatal(err)
					}
					cpu[i] = s
				}
				st, err := be.NewOptStream(hs, w0, o)
				if err != nil {
					t.Fatal(err)
				}
				defer st.Close()
				wantZ := make([]float32, d)
				chunks := []int{1, 5, 2 * b, 3, 1, b + 1, T}
				for t0, c := 0, 0; t0 < T; c++ {
					n := min(chunks[c%len(chunks)], T-t0)
					Z, L := make([][]float32, n), make([][]ttt.Losses, n)
					for i := range Z {
						Z[i], L[i] = make([]float32, H*d), make([]ttt.Losses, H)
					}
					seqs := make([]*ttt.Seq, H)
					for h, hi := range heads {
						s := hi.Seq
						seqs[h] = &ttt.Seq{XQ: s.XQ[t0*d : (t0+n)*d], XK: s.XK[t0*d : (t0+n)*d], XV: s.XV[t0*d : (t0+n)*d], LR: s.LR[t0 : t0+n]}
					}
					before := be.Stats()
					W, err := st.Steps(Z, L, seqs, true)
					if err != nil {
						t.Fatal(err)
					}
					if after := be.Stats(); after.Submits-before.Submits != 1 || after.Readbacks-before.Readbacks != 1 {
						t.Fatalf("chunk of %d tokens at %d: %d submits and %d readbacks, want 1 and 1", n, t0, after.Submits-before.Submits, after.Readbacks-before.Readbacks)
					}
					for i := range n {
						tok := t0 + i
						for h, hi := range heads {
							r := tok * d
							s := hi.Seq
							want := cpu[h].Step(wantZ, s.XQ[r:r+d], s.XK[r:r+d], s.XV[r:r+d], s.LR[tok])
							if df := compare32(fmt.Sprintf("token %d head %d z", tok, h), Z[i][h*d:(h+1)*d], wantZ); !df.OK() {
								t.Fatal(df)
							}
							g := L[i][h]
							if df := compare32(fmt.Sprintf("token %d head %d losses", tok, h), []float32{g.W0, g.Start, g.Before, g.After}, []float32{want.W0, want.Start, want.Before, want.After}); !df.OK() {
								t.Fatal(df)
							}
						}
					}
					for h := range heads {
						gt, wt := W[h].Tensors(), cpu[h].Weights().Tensors()
						for j, name := range W[h].TensorNames() {
							if df := compare32(fmt.Sprintf("after token %d head %d %s", t0+n-1, h, name), gt[j], wt[j]); !df.OK() {
								t.Fatal(df)
							}
						}
					}
					if st.Pos() != cpu[0].Pos() {
						t.Fatalf("after token %d: Pos() = %d, want %d", t0+n-1, st.Pos(), cpu[0].Pos())
					}
					t0 += n
				}
			})
		}
	}
}
