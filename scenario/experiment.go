package scenario

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// The page's experiments: each makes one claim of the paper happen on the
// reader's device, with numbers measured there and nothing hard-coded.
//
//	equivalence  the ablation path from causal linear attention to TTT-Linear, and the three equivalences
//	lanes        TTT-Linear, TTT-MLP, linear attention and the delta rule on one associative-recall stream
//	race         naive vs primal vs dual: the same outputs, time per token
//	sweep        mini-batch size b against final inner loss and time per token
//	cost         time per token of TTT (dual) against causal softmax attention as T grows
//
// An experiment is an ExperimentSpec (validated field by field), run on a
// Device with a context (cancellation) and a progress callback, giving an
// ExperimentResult that marshals to JSON and writes CSV.

// Experiments lists the experiment names in page order.
var Experiments = []string{"equivalence", "lanes", "race", "sweep", "cost"}

// ExperimentSpec is what reproduces an experiment. Fields an experiment does
// not use are zero; DefaultExperiment fills the ones it does.
type ExperimentSpec struct {
	Name  string `json:"name"`            // one of Experiments
	D     int    `json:"d,omitempty"`     // head size d
	T     int    `json:"t,omitempty"`     // tokens (equivalence, race, sweep)
	B     int    `json:"b,omitempty"`     // mini-batch size (race, cost)
	Runs  int    `json:"runs,omitempty"`  // timed repetitions; the median counts (race, sweep, cost)
	Seed  uint64 `json:"seed"`            // seeds every random input
	Bs    []int  `json:"bs,omitempty"`    // sweep: the mini-batch sizes
	Pairs []int  `json:"pairs,omitempty"` // lanes: the numbers of stored key→value pairs
	MinT  int    `json:"min_t,omitempty"` // cost: the first T; it doubles up to MaxT
	MaxT  int    `json:"max_t,omitempty"` // cost: the cap on T
}

// Limits that keep an experiment inside what a browser tab can hold.
const (
	MaxExpD    = 64   // the GPU kernels' widest head
	MaxExpRuns = 50   // timed repetitions
	MaxCostT   = 8192 // the page's cost curve goes to 8k tokens; so may the race and the sweep
	MaxEquivT  = 64   // the bare batch-GD kernel takes the whole sequence as one mini-batch of ≤ 64
	MaxPairs   = 256  // associative recall: stored pairs
)

// DefaultExperiment is the spec the page runs for a name.
func DefaultExperiment(name string) ExperimentSpec {
	s := ExperimentSpec{Name: name, Seed: 1}
	switch name {
	case "equivalence":
		s.D, s.T = 16, 64
	case "lanes":
		s.D, s.Pairs = 16, []int{4, 8, 12, 16, 24, 32, 48, 64}
	case "race":
		s.D, s.T, s.B, s.Runs = 64, 1024, 16, 3
	case "sweep":
		s.D, s.T, s.Runs, s.Bs = 64, 1024, 3, []int{1, 2, 4, 8, 16, 32, 64}
	case "cost":
		s.D, s.B, s.Runs, s.MinT, s.MaxT = 64, 16, 3, 256, MaxCostT
	}
	return s
}

// Validate checks every field the experiment uses and names the bad one.
func (s *ExperimentSpec) Validate() error {
	if !slices.Contains(Experiments, s.Name) {
		return bad("experiment.name", "%q, want one of %s", s.Name, strings.Join(Experiments, ", "))
	}
	between := func(field string, v, lo, hi int) error {
		if v < lo || v > hi {
			return bad("experiment."+field, "%d, want %d..%d", v, lo, hi)
		}
		return nil
	}
	unused := func(field string, set bool) error {
		if set {
			return bad("experiment."+field, "the %s experiment does not use it", s.Name)
		}
		return nil
	}
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	add(between("d", s.D, 2, MaxExpD))
	switch s.Name {
	case "equivalence":
		add(between("t", s.T, 2, MaxEquivT))
		add(unused("b", s.B != 0))
		add(unused("runs", s.Runs != 0))
	case "lanes":
		add(unused("t", s.T != 0))
		add(unused("b", s.B != 0))
		add(unused("runs", s.Runs != 0))
		if len(s.Pairs) == 0 || len(s.Pairs) > 32 {
			add(bad("experiment.pairs", "%d settings, want 1..32", len(s.Pairs)))
		}
		for _, n := range s.Pairs {
			add(between("pairs", n, 1, MaxPairs))
		}
	case "race":
		add(between("t", s.T, 16, MaxCostT))
		add(between("b", s.B, 2, 64))
		add(between("runs", s.Runs, 1, MaxExpRuns))
	case "sweep":
		add(between("t", s.T, 16, MaxCostT))
		add(unused("b", s.B != 0))
		add(between("runs", s.Runs, 1, MaxExpRuns))
		if len(s.Bs) == 0 || len(s.Bs) > 16 {
			add(bad("experiment.bs", "%d settings, want 1..16", len(s.Bs)))
		}
		for _, b := range s.Bs {
			add(between("bs", b, 1, 64))
		}
	case "cost":
		add(unused("t", s.T != 0))
		add(between("b", s.B, 1, 64))
		add(between("runs", s.Runs, 1, MaxExpRuns))
		add(between("min_t", s.MinT, 16, MaxCostT))
		add(between("max_t", s.MaxT, s.MinT, MaxCostT))
	}
	if s.Name != "lanes" {
		add(unused("pairs", len(s.Pairs) != 0))
	}
	if s.Name != "sweep" {
		add(unused("bs", len(s.Bs) != 0))
	}
	if s.Name != "cost" {
		add(unused("min_t", s.MinT != 0))
		add(unused("max_t", s.MaxT != 0))
	}
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// Query encodes the spec as URL parameters: exp=name, and x.field for
// every field that differs from the name's default.
func (s *ExperimentSpec) Query(q url.Values) {
	q.Set("exp", s.Name)
	d := DefaultExperiment(s.Name)
	ints := func(v []int) string {
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = strconv.Itoa(x)
		}
		return strings.Join(parts, ",")
	}
	for _, f := range []struct {
		key      string
		got, def string
	}{
		{"d", strconv.Itoa(s.D), strconv.Itoa(d.D)}, {"t", strconv.Itoa(s.T), strconv.Itoa(d.T)},
		{"b", strconv.Itoa(s.B), strconv.Itoa(d.B)}, {"runs", strconv.Itoa(s.Runs), strconv.Itoa(d.Runs)},
		{"seed", strconv.FormatUint(s.Seed, 10), strconv.FormatUint(d.Seed, 10)},
		{"bs", ints(s.Bs), ints(d.Bs)}, {"pairs", ints(s.Pairs), ints(d.Pairs)},
		{"min_t", strconv.Itoa(s.MinT), strconv.Itoa(d.MinT)}, {"max_t", strconv.Itoa(s.MaxT), strconv.Itoa(d.MaxT)},
	} {
		if f.got != f.def {
			q.Set("x."+f.key, f.got)
		}
	}
}

// ExperimentFromQuery reads exp=name and its x.field parameters; nil when
// the query names no experiment.
func ExperimentFromQuery(q url.Values) (*ExperimentSpec, error) {
	name := q.Get("exp")
	if name == "" {
		return nil, nil
	}
	s := DefaultExperiment(name)
	num := func(key string, dst *int) error {
		if v, ok := q["x."+key]; ok {
			n, err := strconv.Atoi(v[0])
			if err != nil {
				return bad("experiment."+key, "%q is not a whole number", v[0])
			}
			*dst = n
		}
		return nil
	}
	list := func(key string, dst *[]int) error {
		if v, ok := q["x."+key]; ok {
			*dst = nil
			for _, p := range strings.Split(v[0], ",") {
				n, err := strconv.Atoi(strings.TrimSpace(p))
				if err != nil {
					return bad("experiment."+key, "%q is not a list of whole numbers", v[0])
				}
				*dst = append(*dst, n)
			}
		}
		return nil
	}
	for _, err := range []error{num("d", &s.D), num("t", &s.T), num("b", &s.B), num("runs", &s.Runs),
		num("min_t", &s.MinT), num("max_t", &s.MaxT), list("bs", &s.Bs), list("pairs", &s.Pairs)} {
		if err != nil {
			return nil, err
		}
	}
	if v := q.Get("x.seed"); v != "" {
		seed, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return nil, bad("experiment.seed", "%q is not a whole number ≥ 0", v)
		}
		s.Seed = seed
	}
	return &s, s.Validate()
}
