package gpu

import "tttexplainer/ttt"

// GoldenForms lists the forms the GPU backend runs a reference case with:
// the forms that compute the case's scheme (all of them at b = 1, all but
// naive otherwise) that have a kernel for the case's model; the bare
// learner of the equivalence case runs in the dual form.
func GoldenForms(c *ttt.Case) []ttt.Form {
	var m ttt.Model
	b := 0
	switch c.Kind {
	case ttt.HeadCase:
		m, b = c.Head.Model, c.Head.B
	case ttt.LayerCase:
		m, b = c.Layer.Model, c.Layer.B
	case ttt.EquivalenceCase:
		m, b = ttt.Linear, c.Bare.B
	}
	var out []ttt.Form
	for _, f := range ttt.Forms {
		if (f != ttt.Naive || b == 1) && Supports(m, f) {
			out = append(out, f)
		}
	}
	return out
}
