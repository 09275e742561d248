package demo

import (
	"strings"
	"testing"
)

func chars(s string) []string { return strings.Split(s, "") }

// TestLMReadings: a passage read twice is found with its two readings'
// mean losses over characters 1..L−1 each; other texts are not.
func TestLMReadings(t *testing.T) {
	for _, text := range []string{"", "ab", "abc\nabd", "abcd", "abc\nabcd"} {
		if r := readingsOf(chars(text), nil); r != nil {
			t.Errorf("readingsOf(%q) = %+v, want nil", text, r)
		}
	}
	// "abc\nabc": loss[i] predicts character i+1; the first reading is
	// characters 1, 2 (loss 0, 1), the second 5, 6 (loss 4, 5).
	loss := []float32{1, 3, 9, 9, 0.5, 1.5}
	r := readingsOf(chars("abc\nabc"), loss)
	if r == nil || r.Len != 3 || r.Second != 4 || r.First == nil || *r.First != 2 || r.Again == nil || *r.Again != 1 {
		t.Fatalf("readingsOf(abc↵abc) = %+v, want length 3, second at 4, losses 2 and 1", r)
	}
	if r := readingsOf(chars("abc abc"), loss[:3]); r == nil || r.Again != nil || *r.First != 2 {
		t.Errorf("half read: %+v, want the first reading's loss and no second", r)
	}
}
