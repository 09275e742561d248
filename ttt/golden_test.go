package ttt_test

import (
	"testing"

	"tttexplainer/ttt"
	"tttexplainer/ttt/golden"
)

// TestGolden replays every reference case with every form that applies and
// compares every array with the float64 reference.
func TestGolden(t *testing.T) {
	names := golden.Names()
	if len(names) < 11 {
		t.Fatalf("golden.Names() = %d cases, want the 11 reference cases", len(names))
	}
	for _, name := range names {
		data, err := golden.Read(name)
		if err != nil {
			t.Fatal(err)
		}
		c, err := ttt.DecodeCase(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(c.Want) == 0 {
			t.Fatalf("%s: no expected outputs", name)
		}
		for _, form := range c.Forms() {
			t.Run(name+"/"+form.String(), func(t *testing.T) {
				out, err := c.Run(ttt.CPU{}, form)
				if err != nil {
					t.Fatal(err)
				}
				for _, d := range ttt.Compare(out.Arrays(), c.Want, ttt.AbsTol, ttt.RelTol) {
					if !d.OK() {
						t.Error(d)
					} else {
						t.Log(d)
					}
				}
			})
		}
	}
}
