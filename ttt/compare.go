package ttt

import (
	"fmt"
	"math"
	"slices"
)

// Tolerances against the float64 reference: float32 rounding of these forms
// measures about 1e-6, so 1e-4 absolute + 1e-4 relative catches any real slip
// while leaving room for a different summation order (a GPU's, say).
const (
	AbsTol = 1e-4
	RelTol = 1e-4
)

// Diff is how one array compares with its reference.
type Diff struct {
	Name   string
	MaxAbs float64 // largest |got − want|
	Bad    int     // first index outside the tolerance, or −1
	Got    float64 // at Bad
	Want   float64 // at Bad
}

// OK reports whether every element was inside the tolerance.
func (d Diff) OK() bool { return d.Bad < 0 }

func (d Diff) String() string {
	if d.OK() {
		return fmt.Sprintf("%s OK, maxdiff = %.2e", d.Name, d.MaxAbs)
	}
	return fmt.Sprintf("%s[%d] = %.9g, want %.9g (maxdiff = %.2e)", d.Name, d.Bad, d.Got, d.Want, d.MaxAbs)
}

// CompareArray checks |got − want| ≤ atol + rtol·|want| element by element.
// A length mismatch or NaN counts as a failure at the first such index.
func CompareArray(name string, got, want []float64, atol, rtol float64) Diff {
	d := Diff{Name: name, Bad: -1}
	if len(got) != len(want) {
		d.Bad, d.MaxAbs = min(len(got), len(want)), math.Inf(1)
		return d
	}
	for i := range want {
		e := math.Abs(got[i] - want[i])
		if math.IsNaN(e) {
			e = math.Inf(1)
		}
		if e > d.MaxAbs {
			d.MaxAbs = e
		}
		if d.Bad < 0 && !(e <= atol+rtol*math.Abs(want[i])) {
			d.Bad, d.Got, d.Want = i, got[i], want[i]
		}
	}
	return d
}

// Compare checks every array of want against got, in name order. A name
// missing from got is a failure.
func Compare(got, want Arrays, atol, rtol float64) []Diff {
	names := make([]string, 0, len(want))
	for k := range want {
		names = append(names, k)
	}
	slices.Sort(names)
	out := make([]Diff, 0, len(names))
	for _, k := range names {
		out = append(out, CompareArray(k, got[k], want[k], atol, rtol))
	}
	return out
}
