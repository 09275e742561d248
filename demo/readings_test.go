package demo

import (
	"slices"
	"testing"

	"tttexplainer/scenario"
)

// TestReadings: the repeat preset's phrases are read 1st, 2nd, 3rd … time;
// in any other text a span that comes back is found; the recall preset's
// pairs and questions are marked.
func TestReadings(t *testing.T) {
	s := scenario.Default()
	in, err := BuildInput(&s)
	if err != nil {
		t.Fatal(err)
	}
	rd := Readings(in)
	for i, o := range in.Occurrence {
		if rd[i] != o+1 {
			t.Fatalf("repeat preset token %d: reading %d, occurrence %d", i, rd[i], o)
		}
	}
	if slices.Max(rd) < 3 {
		t.Errorf("repeat preset: no phrase read 3 times (max reading %d)", slices.Max(rd))
	}

	s.Input, s.Text = "text", "The cat sat on the mat. A dog ran. The cat sat on the mat!"
	in, err = BuildInput(&s)
	if err != nil {
		t.Fatal(err)
	}
	// the cat sat on the mat . a dog ran . the cat sat on the mat !
	want := []int{1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 0}
	if got := Readings(in); !slices.Equal(got, want) {
		t.Errorf("readings of %q:\n got %v\nwant %v", s.Text, got, want)
	}
	loss := make([]float32, len(want))
	for i := range loss {
		loss[i] = float32(i)
	}
	rl := ReadingLosses(want, loss)
	if len(rl) != 2 || rl[0].Tokens != 6 || rl[0].Mean != 2.5 || rl[1].Tokens != 6 || rl[1].Mean != 13.5 {
		t.Errorf("reading losses %+v, want 1st: 6 tokens mean 2.5, 2nd: 6 tokens mean 13.5", rl)
	}
	if Roles(in) != nil {
		t.Error("roles for a text that is not the recall preset")
	}

	s.Input = "recall"
	in, err = BuildInput(&s)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	roles := Roles(in)
	for _, r := range roles {
		count[r]++
	}
	if count["key"] != len(in.Values) || count["value"] != len(in.Values) || count["question"] != len(in.Queries) || count["answer"] != len(in.Queries) {
		t.Errorf("recall roles %v: want %d keys and values, %d questions and answers", count, len(in.Values), len(in.Queries))
	}
	for _, q := range in.Queries {
		if roles[q.Pos] != "question" || in.Tokens[q.Pos+1] != q.Want || roles[q.Pos+1] != "answer" {
			t.Errorf("query at %d: roles %q %q", q.Pos, roles[q.Pos], roles[q.Pos+1])
		}
	}
}
