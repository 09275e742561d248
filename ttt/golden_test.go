package ttt_test

import (
	"testing"

	"tttexplainer/ttt"
	"tttexplainer/ttt/golden"
)

// TestGolden replays every reference case with every form that applies and
// compares every array with the float64 reference.
func TestGolden(t *testing.T) {
	cases, err := golden.Cases()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		for _, form := range c.Forms() {
			t.Run(c.Name+"/"+form.String(), func(t *testing.T) {
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
