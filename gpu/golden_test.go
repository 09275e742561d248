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
		forms := GoldenForms(c)
		if len(forms) == 0 {
			t.Fatalf("%s: no GPU form runs this case", name)
		}
		for _, form := range forms {
			t.Run(name+"/"+form.String(), func(t *testing.T) {
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
