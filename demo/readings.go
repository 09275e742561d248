package demo

import (
	"strings"
)

// ReadingLoss is the mean loss before the step over the tokens of the N-th
// reading of repeated phrases: falling from the 1st to the 2nd reading is
// the layer remembering what it read.
type ReadingLoss struct {
	N      int     `json:"n"`
	Tokens int     `json:"tokens"`
	Mean   float64 `json:"mean"`
}

// Readings marks, per token, which reading of a repeated phrase it belongs
// to (1 for the first appearance of a phrase that comes back, 2, 3, … for
// the returns) and 0 for tokens of no repeated phrase. The repeat preset
// knows its phrases; any other text is searched for spans of span tokens
// that occur more than once.
func Readings(in *Input) []int {
	const span = 3
	out := make([]int, len(in.Tokens))
	if in.Occurrence != nil {
		for i, o := range in.Occurrence {
			out[i] = o + 1
		}
		return out
	}
	key := func(p int) string { return strings.Join(in.Tokens[p:p+span], "\x00") }
	total := map[string]int{}
	for p := 0; p+span <= len(in.Tokens); p++ {
		total[key(p)]++
	}
	seen := map[string]int{}
	for p := 0; p+span <= len(in.Tokens); p++ {
		k := key(p)
		if total[k] < 2 {
			continue
		}
		seen[k]++
		for j := p; j < p+span; j++ {
			out[j] = max(out[j], seen[k])
		}
	}
	return out
}

// Roles marks the recall preset's tokens: "key" and "value" in the list of
// pairs, "question" (a key asked again) and "answer" (the value that should
// follow); nil for other inputs.
func Roles(in *Input) []string {
	if in.Queries == nil {
		return nil
	}
	out := make([]string, len(in.Tokens))
	for i := 0; i < 2*len(in.Values) && i < len(out); i++ {
		out[i] = [2]string{"key", "value"}[i%2]
	}
	for _, q := range in.Queries {
		out[q.Pos] = "question"
		if q.Pos+1 < len(out) {
			out[q.Pos+1] = "answer"
		}
	}
	return out
}

// ReadingLosses averages loss (the tokens shown) per reading.
func ReadingLosses(readings []int, loss []float32) []ReadingLoss {
	var out []ReadingLoss
	for i, l := range loss {
		n := readings[i]
		if n == 0 {
			continue
		}
		for len(out) < n {
			out = append(out, ReadingLoss{N: len(out) + 1})
		}
		out[n-1].Tokens++
		out[n-1].Mean += float64(l)
	}
	for i := range out {
		if out[i].Tokens > 0 {
			out[i].Mean /= float64(out[i].Tokens)
		}
	}
	return out
}
