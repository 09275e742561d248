package demo

import (
	"encoding/json"
	"fmt"
	"math"

	"tttexplainer/ttt"
)

// Replay runs one case of the reference format from its inputs only, on a
// device, with a form ("" for the case's scheme), and returns the same JSON
// as `ttt replay`: the keys of the case's "expected" block. Malformed cases
// come back as errors that name the field.
func Replay(dev Device, caseJSON []byte, form string) ([]byte, error) {
	c, err := ttt.DecodeCase(caseJSON)
	if err != nil {
		return nil, fmt.Errorf("replay: the case is not valid: %w", err)
	}
	f := c.Scheme
	if form != "" {
		if f, err = ttt.ParseForm(form); err != nil {
			return nil, fmt.Errorf("replay: %w", err)
		}
	}
	out, err := c.Run(dev, f)
	if err != nil {
		return nil, fmt.Errorf("replay on the %s backend: %w", dev.Name(), err)
	}
	a := out.Arrays()
	for name, v := range a {
		for i, x := range v {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, fmt.Errorf("replay: output %s[%d] is %v: the inner loop diverged (is base_lr too large?)", name, i, x)
			}
		}
	}
	return json.Marshal(out)
}
