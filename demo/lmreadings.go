package demo

import "math"

// LMReadings describes a text read twice, P + c + P for one separator
// character c (the page's "read it twice" preset uses a newline): where
// the two readings are and what each cost the model.
type LMReadings struct {
	Len    int      `json:"length"`               // L, the characters of P
	Second int      `json:"second"`               // where the second reading starts (L + 1)
	First  *float64 `json:"first_loss,omitempty"` // nil until read
	Again  *float64 `json:"second_loss,omitempty"`
}

// readingsOf finds the two readings in text and their mean loss, in nats
// per character, of predicting characters 1..L−1 of each (the first
// character of each has nothing to go on), as far as loss [done−1] goes;
// nil when the text is not a passage read twice. These are the numbers
// lm.EvaluateCopy reports for the model card.
func readingsOf(text []string, loss []float32) *LMReadings {
	n := len(text)
	L := (n - 1) / 2
	if n%2 == 0 || L < 2 {
		return nil
	}
	for i := 0; i < L; i++ {
		if text[i] != text[L+1+i] {
			return nil
		}
	}
	r := &LMReadings{Len: L, Second: L + 1}
	mean := func(from int) *float64 { // loss[i] predicts character i+1
		var s float64
		k := 0
		for i := from; i < from+L-1 && i < len(loss); i++ {
			s += float64(loss[i])
			k++
		}
		if k == 0 {
			return nil
		}
		m := s / float64(k)
		if math.IsNaN(m) {
			return nil
		}
		return &m
	}
	r.First, r.Again = mean(0), mean(L+1)
	return r
}
