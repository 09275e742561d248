package lm

import (
	_ "embed"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// passagesText holds English passages written for this test, not taken
// from Moby-Dick (or any other text the model was trained on), one a line.
//
//go:embed testdata/passages.txt
var passagesText string

// Passages returns the held-out English passages, encoded, one per line of
// testdata/passages.txt.
func Passages() ([][]int, error) {
	var out [][]int
	for i, line := range strings.Split(strings.TrimSpace(passagesText), "\n") {
		tokens, err := Encode(line)
		if err != nil {
			return nil, fmt.Errorf("passage %d: %v", i+1, err)
		}
		out = append(out, tokens)
	}
	return out, nil
}

// RandomSegments returns n strings of L random lowercase letters, the same
// for the same seed.
func RandomSegments(n, L int, seed uint64) [][]int {
	rng := rand.New(rand.NewPCG(seed, 0x72616e64))
	out := make([][]int, n)
	for i := range out {
		out[i] = make([]int, L)
		randomLetters(out[i], rng)
	}
	return out
}

// CopyEval is the loss of a segment read twice, P + "\n" + P, from the
// start of a context: the mean nats/char of predicting characters 1..L−1
// of each reading (the first character of each has nothing to go on).
type CopyEval struct {
	First, Second float64
	Segments      int
}

// Gain is how much cheaper the second reading is, in nats/char.
func (e *CopyEval) Gain() float64 { return e.First - e.Second }

// EvaluateCopy reads every segment twice and averages the two readings'
// losses over all their characters.
func EvaluateCopy(m *Model, segments [][]int) (*CopyEval, error) {
	nl := strings.IndexRune(Vocab, '\n')
	for i, p := range segments {
		if len(p) < 2 || 2*len(p)+1 > m.Config.Context+1 {
			return nil, fmt.Errorf("copy evaluation: segment %d has %d characters, want 2..%d", i, len(p), m.Config.Context/2)
		}
	}
	first, second, counts := make([]float64, len(segments)), make([]float64, len(segments)), make([]int, len(segments))
	parallel(len(segments), func(i int) {
		p := segments[i]
		L := len(p)
		seq := append(append(append(make([]int, 0, 2*L+1), p...), nl), p...) // P \n P
		w := newWork(m.Config)
		m.forward(w, seq[:2*L], seq[1:])
		for t := 0; t < L-1; t++ {
			first[i] += float64(w.loss[t])      // predicts P[t+1], first reading
			second[i] += float64(w.loss[L+1+t]) // predicts P[t+1], second reading
		}
		counts[i] = L - 1
	})
	e := &CopyEval{Segments: len(segments)}
	n := 0
	for i := range first {
		e.First += first[i]
		e.Second += second[i]
		n += counts[i]
	}
	e.First /= float64(n)
	e.Second /= float64(n)
	return e, nil
}

// WeightDrift streams tokens through a TTT model and returns, after each
// count in at, the mean over layers and heads of ‖W − W0‖_F: how far the
// inner weights have moved from where every sequence starts.
func WeightDrift(m *Model, tokens []int, at []int) ([]float64, error) {
	st, err := m.NewStream(nil)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	W0, err := st.Weights()
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(at))
	for i, n := range at {
		if n > len(tokens) {
			return nil, fmt.Errorf("weight drift after %d characters of a %d-character text", n, len(tokens))
		}
		for st.Pos() < n {
			if _, err := st.Step(tokens[st.Pos()]); err != nil {
				return nil, err
			}
		}
		W, err := st.Weights()
		if err != nil {
			return nil, err
		}
		heads := 0
		for l := range W {
			for h := range W[l] {
				var ss float64
				for j, v := range W[l][h].W {
					d := float64(v - W0[l][h].W[j])
					ss += d * d
				}
				out[i] += math.Sqrt(ss)
				heads++
			}
		}
		out[i] /= float64(heads)
	}
	return out, nil
}
