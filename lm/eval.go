package lm

import (
	"fmt"
	"math"
)

// Eval is a model's loss on held-out text.
type Eval struct {
	Loss    float64   // mean nats per character
	BPC     float64   // bits per character, Loss / ln 2
	Windows int       // context-length windows scored
	ByPos   []float64 // [Context] mean loss at each position in the context
}

// Evaluate scores the first n (0: all) non-overlapping windows of tokens,
// each Context characters predicting the next ones. Windows run in parallel
// and are summed in order, so the result does not depend on GOMAXPROCS.
func Evaluate(m *Model, tokens []int, n int) (*Eval, error) {
	T := m.Config.Context
	total := (len(tokens) - 1) / T
	if total < 1 {
		return nil, fmt.Errorf("validation text has %d characters, want at least context + 1 = %d", len(tokens), T+1)
	}
	if n <= 0 || n > total {
		n = total
	}
	per := make([][]float32, n)
	works := make(chan *work, n)
	parallel(n, func(i int) {
		var w *work
		select {
		case w = <-works:
		default:
			w = newWork(m.Config)
		}
		seq := tokens[i*T : i*T+T+1]
		m.forward(w, seq[:T], seq[1:])
		per[i] = append([]float32(nil), w.loss[:T]...)
		works <- w
	})
	e := &Eval{Windows: n, ByPos: make([]float64, T)}
	for _, l := range per {
		for t, v := range l {
			e.ByPos[t] += float64(v)
			e.Loss += float64(v)
		}
	}
	for t := range e.ByPos {
		e.ByPos[t] /= float64(n)
	}
	e.Loss /= float64(n * T)
	e.BPC = e.Loss / math.Ln2
	return e, nil
}

// RepeatLen is the length of the validation segments EvaluateRepeat reads
// twice (at most half the context).
const RepeatLen = 64

// RepeatEval is the loss on a segment read twice in one window.
type RepeatEval struct {
	First, Second float64 // mean nats/char predicting the segment's characters 1..L−1 on each reading
	Windows, L    int
}

// EvaluateRepeat measures learning in context on held-out text: for each of
// the first n (0: all) windows of Evaluate, the window's first L characters
// are followed by the same L characters and then by the text after them,
// and the mean loss of predicting the segment's characters 1..L−1 is taken
// on the first and on the second reading. A model that learns in context
// scores the second reading lower. L ≤ 0 means RepeatLen, or half the
// context where that is shorter.
func EvaluateRepeat(m *Model, tokens []int, n, L int) (*RepeatEval, error) {
	T := m.Config.Context
	if L <= 0 {
		L = min(RepeatLen, (T+1)/2)
	}
	total := (len(tokens) - 1) / T
	if total < 1 || L < 2 || 2*L > T+1 {
		return nil, fmt.Errorf("repeat evaluation: %d characters, segment %d, context %d", len(tokens), L, T)
	}
	if n <= 0 || n > total {
		n = total
	}
	first, second := make([]float64, n), make([]float64, n)
	parallel(n, func(i int) {
		w := newWork(m.Config)
		seq := repeatWindow(make([]int, T+1), tokens[i*T:], 0, L)
		m.forward(w, seq[:T], seq[1:])
		for t := 0; t < L-1; t++ {
			first[i] += float64(w.loss[t])
			second[i] += float64(w.loss[L+t])
		}
	})
	r := &RepeatEval{Windows: n, L: L}
	for i := range first {
		r.First += first[i]
		r.Second += second[i]
	}
	r.First /= float64(n * (L - 1))
	r.Second /= float64(n * (L - 1))
	return r, nil
}
