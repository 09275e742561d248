package gpu

import (
	"testing"

	"tttexplainer/ttt"
	"tttexplainer/ttt/golden"
)

// TestGolden replays every reference case through the GPU backend with every
// form it has a kernel for, against the independent float64 outputs.
func TestGolden(t *testing.T) {
	be := backend(t)
	cases, err := golden.Cases()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		forms := GoldenForms(c.Case)
		if len(forms) == 0 {
			t.Fatalf("%s: no GPU form runs this case", c.Name)
		}
		for _, form := range forms {
			t.Run(c.Name+"/"+form.String(), func(t *testing.T) {
				out, err := c.Run(be, form)
				if err != nil {
					t.Fatal(err)
				}
				diffs := ttt.Compare(out.Arrays(), c.Want, ttt.AbsTol, ttt.RelTol)
				if len(diffs) == 0 {
					t.Fatal("nothing compared")
				}
				for _, d := range diffs {
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
