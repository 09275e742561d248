package scenario

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// The page's experiments: each makes one claim of the paper happen on the
// reader's device, with numbers measured there and nothing hard-coded.
// This package holds what a saved experiment needs without the math: its
// spec, each experiment's fields, bounds and defaults (ExperimentKinds),
// validation and the URL encoding. Package experiment holds the runs, one
// file per experiment, each registering its title, description and Run
// under a name of ExperimentKinds.

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
	MaxExpD    = 64   // the widest head every kernel the experiments run is right at; see below
	MaxExpRuns = 50   // timed repetitions
	MaxCostT   = 8192 // the page's cost curve goes to 8k tokens; so may the race and the sweep
	MaxEquivT  = 64   // the bare batch-GD kernel takes the whole sequence as one mini-batch of ≤ 64
	MaxPairs   = 256  // associative recall: stored pairs
)

// MaxExpD is gpu.MaxDMLP (64), not gpu.MaxD (128): lanes runs TTT-MLP
// heads, whose kernels refuse wider heads (they wrote out of bounds on
// lavapipe at d ≥ 88). Package experiment's TestWidestHead runs lanes at
// MaxExpD on the GPU and holds MaxExpD ≤ gpu.MaxDMLP.

// ExperimentKind is an experiment as a scenario knows it: its name, its
// defaults, and the fields it uses with their bounds (seed is always used;
// every field not listed must be zero).
type ExperimentKind struct {
	Name     string
	Defaults ExperimentSpec // without Name and Seed: DefaultExperiment adds them
	Fields   []Bound
}

// Bound is one field an experiment uses: a number in Lo..Hi, or for a list
// (bs, pairs) 1..Len numbers each in Lo..Hi. LoField, when set, names a
// field whose value raises Lo (cost's max_t ≥ min_t). Floor marks the low
// end of a range (cost's min_t): raising it shortens the run, so Autostart
// leaves it as it is.
type Bound struct {
	Field   string
	Lo, Hi  int
	Len     int
	LoField string
	Floor   bool
}

// ExperimentKinds lists the experiments in page order. Adding one is an
// entry here and a file in package experiment that runs it.
var ExperimentKinds = []ExperimentKind{
	{Name: "equivalence", Defaults: ExperimentSpec{D: 16, T: 64},
		Fields: []Bound{{Field: "d", Lo: 2, Hi: MaxExpD}, {Field: "t", Lo: 2, Hi: MaxEquivT}}},
	{Name: "lanes", Defaults: ExperimentSpec{D: 16, Pairs: []int{4, 8, 12, 16, 24, 32, 48, 64}},
		Fields: []Bound{{Field: "d", Lo: 2, Hi: MaxExpD}, {Field: "pairs", Lo: 1, Hi: MaxPairs, Len: 32}}},
	{Name: "race", Defaults: ExperimentSpec{D: 64, T: 1024, B: 16, Runs: 3},
		Fields: []Bound{{Field: "d", Lo: 2, Hi: MaxExpD}, {Field: "t", Lo: 16, Hi: MaxCostT}, {Field: "b", Lo: 2, Hi: 64}, {Field: "runs", Lo: 1, Hi: MaxExpRuns}}},
	{Name: "sweep", Defaults: ExperimentSpec{D: 64, T: 1024, Runs: 3, Bs: []int{1, 2, 4, 8, 16, 32, 64}},
		Fields: []Bound{{Field: "d", Lo: 2, Hi: MaxExpD}, {Field: "t", Lo: 16, Hi: MaxCostT}, {Field: "runs", Lo: 1, Hi: MaxExpRuns}, {Field: "bs", Lo: 1, Hi: 64, Len: 16}}},
	{Name: "cost", Defaults: ExperimentSpec{D: 64, B: 16, Runs: 3, MinT: 256, MaxT: MaxCostT},
		Fields: []Bound{{Field: "d", Lo: 2, Hi: MaxExpD}, {Field: "b", Lo: 1, Hi: 64}, {Field: "runs", Lo: 1, Hi: MaxExpRuns},
			{Field: "min_t", Lo: 16, Hi: MaxCostT, Floor: true}, {Field: "max_t", Lo: 16, Hi: MaxCostT, LoField: "min_t"}}},
}

// Experiments lists the experiment names in page order.
var Experiments = func() []string {
	names := make([]string, len(ExperimentKinds))
	for i, k := range ExperimentKinds {
		names[i] = k.Name
	}
	return names
}()

// Kind returns the experiment called name.
func Kind(name string) (*ExperimentKind, error) {
	for i := range ExperimentKinds {
		if ExperimentKinds[i].Name == name {
			return &ExperimentKinds[i], nil
		}
	}
	return nil, bad("experiment.name", "%q, want one of %s", name, strings.Join(Experiments, ", "))
}

// specField is one field of ExperimentSpec by its JSON and URL key: a
// number or a list of numbers (seed, the only unsigned field, is apart).
type specField struct {
	key  string
	num  func(*ExperimentSpec) *int
	list func(*ExperimentSpec) *[]int
}

var specFields = []specField{
	{key: "d", num: func(s *ExperimentSpec) *int { return &s.D }},
	{key: "t", num: func(s *ExperimentSpec) *int { return &s.T }},
	{key: "b", num: func(s *ExperimentSpec) *int { return &s.B }},
	{key: "runs", num: func(s *ExperimentSpec) *int { return &s.Runs }},
	{key: "bs", list: func(s *ExperimentSpec) *[]int { return &s.Bs }},
	{key: "pairs", list: func(s *ExperimentSpec) *[]int { return &s.Pairs }},
	{key: "min_t", num: func(s *ExperimentSpec) *int { return &s.MinT }},
	{key: "max_t", num: func(s *ExperimentSpec) *int { return &s.MaxT }},
}

// values returns the field's numbers (one for a number field).
func (f *specField) values(s *ExperimentSpec) []int {
	if f.list != nil {
		return *f.list(s)
	}
	return []int{*f.num(s)}
}

func (f *specField) zero(s *ExperimentSpec) bool {
	if f.list != nil {
		return len(*f.list(s)) == 0
	}
	return *f.num(s) == 0
}

func fieldOf(key string) *specField {
	for i := range specFields {
		if specFields[i].key == key {
			return &specFields[i]
		}
	}
	panic("scenario: no experiment field " + key)
}

// DefaultExperiment is the spec the page runs for a name (only the name
// and seed for a name that is not an experiment).
func DefaultExperiment(name string) ExperimentSpec {
	s := ExperimentSpec{}
	if k, err := Kind(name); err == nil {
		s = k.Defaults
		for _, f := range specFields { // a copy: the table's lists stay the table's
			if f.list != nil {
				*f.list(&s) = slices.Clone(*f.list(&s))
			}
		}
	}
	s.Name, s.Seed = name, 1
	return s
}

// Validate checks every field the experiment uses and names the bad one.
func (s *ExperimentSpec) Validate() error {
	k, err := Kind(s.Name)
	if err != nil {
		return err
	}
	used := map[string]bool{}
	for _, b := range k.Fields {
		used[b.Field] = true
		f := fieldOf(b.Field)
		lo := b.Lo
		if b.LoField != "" {
			lo = max(lo, *fieldOf(b.LoField).num(s))
		}
		if f.list != nil && (len(*f.list(s)) == 0 || len(*f.list(s)) > b.Len) {
			return bad("experiment."+b.Field, "%d settings, want 1..%d", len(*f.list(s)), b.Len)
		}
		for _, v := range f.values(s) {
			if v < lo || v > b.Hi {
				return bad("experiment."+b.Field, "%d, want %d..%d", v, lo, b.Hi)
			}
		}
	}
	for _, f := range specFields {
		if !used[f.key] && !f.zero(s) {
			return bad("experiment."+f.key, "the %s experiment does not use it", s.Name)
		}
	}
	return nil
}

// Autostart caps a valid spec for a run that starts by itself, from a link
// or an embed: every field but a Floor at most the default's value (a list
// keeps the values up to the default's largest, and at most as many as the
// default has), so such a run does no more work than the default run,
// whatever the link asks. It reports whether it changed anything; the full spec runs
// when the reader presses Run.
func (s ExperimentSpec) Autostart() (ExperimentSpec, bool) {
	k, err := Kind(s.Name)
	if err != nil {
		return s, false
	}
	def := DefaultExperiment(s.Name)
	capped := false
	for _, b := range k.Fields {
		f := fieldOf(b.Field)
		if b.Floor {
			continue
		}
		if f.list == nil {
			if p, hi := f.num(&s), *f.num(&def); *p > hi {
				*p, capped = hi, true
			}
			continue
		}
		hi, want := slices.Max(*f.list(&def)), *f.list(&def)
		var keep []int
		for _, v := range *f.list(&s) {
			if v <= hi && len(keep) < len(want) {
				keep = append(keep, v)
			}
		}
		if len(keep) != len(*f.list(&s)) {
			capped = true
			if len(keep) == 0 {
				keep = want
			}
			*f.list(&s) = keep
		}
	}
	return s, capped
}

// Query encodes the spec as URL parameters: exp=name, and x.field for
// every field that differs from the name's default.
func (s *ExperimentSpec) Query(q url.Values) {
	q.Set("exp", s.Name)
	d := DefaultExperiment(s.Name)
	str := func(f *specField, s *ExperimentSpec) string {
		parts := make([]string, 0, 1)
		for _, v := range f.values(s) {
			parts = append(parts, strconv.Itoa(v))
		}
		return strings.Join(parts, ",")
	}
	for i := range specFields {
		f := &specFields[i]
		if got := str(f, s); got != str(f, &d) {
			q.Set("x."+f.key, got)
		}
	}
	if s.Seed != d.Seed {
		q.Set("x.seed", strconv.FormatUint(s.Seed, 10))
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
	for _, f := range specFields {
		v, ok := q["x."+f.key]
		if !ok {
			continue
		}
		var ns []int
		for _, p := range strings.Split(v[0], ",") {
			n, err := strconv.Atoi(strings.TrimSpace(p))
			if err != nil {
				return nil, bad("experiment."+f.key, "%q is not a whole number, or a list of them", v[0])
			}
			ns = append(ns, n)
		}
		if f.list != nil {
			*f.list(&s) = ns
		} else if len(ns) != 1 {
			return nil, bad("experiment."+f.key, "%q is a list, want one whole number", v[0])
		} else {
			*f.num(&s) = ns[0]
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
