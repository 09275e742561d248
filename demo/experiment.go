package demo

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
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

// ExperimentResult is what an experiment measured: named tables of numbers
// (the chart and the CSV), a summary of the numbers the claim is about, and
// notes that say what produced them.
type ExperimentResult struct {
	Experiment string             `json:"experiment"`
	Spec       ExperimentSpec     `json:"spec"`
	Backend    string             `json:"backend"` // "webgpu" or "cpu": where the device columns ran
	Adapter    string             `json:"adapter"` // the GPU adapter, "" for the CPU
	Summary    map[string]float64 `json:"summary"`
	Tables     []Table            `json:"tables"`
	Notes      []string           `json:"notes"`
	Seconds    float64            `json:"seconds"` // wall time of the whole run
	Query      string             `json:"query"`   // the page URL's query that reproduces the run
}

// Table is one set of measurements: a row per setting, a column per quantity.
// Chart, when set, says which columns to plot against the first.
type Table struct {
	Name    string      `json:"name"`
	Columns []string    `json:"columns"`
	Labels  []string    `json:"labels"` // one per row
	Rows    [][]float64 `json:"rows"`
	Chart   *Chart      `json:"chart,omitempty"`
}

// Chart describes how the page plots a table: columns Y against column X.
type Chart struct {
	X    int    `json:"x"`
	Y    []int  `json:"y"`
	LogX bool   `json:"log_x"`
	LogY bool   `json:"log_y"`
	YLab string `json:"y_label"`
}

func (t *Table) add(label string, row ...float64) {
	t.Labels = append(t.Labels, label)
	t.Rows = append(t.Rows, row)
}

// CSV writes every table in long form, one number a line:
// experiment,table,row,column,value.
func (r *ExperimentResult) CSV() []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"experiment", "table", "row", "column", "value"})
	for _, t := range r.Tables {
		for i, row := range t.Rows {
			for j, v := range row {
				w.Write([]string{r.Experiment, t.Name, t.Labels[i], t.Columns[j], strconv.FormatFloat(v, 'g', -1, 64)})
			}
		}
	}
	keys := make([]string, 0, len(r.Summary))
	for k := range r.Summary {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		w.Write([]string{r.Experiment, "summary", k, "value", strconv.FormatFloat(r.Summary[k], 'g', -1, 64)})
	}
	w.Flush()
	return buf.Bytes()
}

// Progress reports how far a run is: done of total steps, and what it is doing.
type Progress func(done, total int, what string)

// RunExperiment runs a validated spec on a device. It stops with ctx's
// error between two device calls when ctx is cancelled.
func RunExperiment(ctx context.Context, dev Device, spec ExperimentSpec, progress Progress) (*ExperimentResult, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if progress == nil {
		progress = func(int, int, string) {}
	}
	t0 := time.Now()
	r := &ExperimentResult{Experiment: spec.Name, Spec: spec, Backend: dev.Name(), Adapter: dev.Adapter(), Summary: map[string]float64{}}
	x := &exp{ctx: ctx, dev: dev, spec: spec, progress: progress, r: r}
	var err error
	switch spec.Name {
	case "equivalence":
		err = x.equivalence()
	case "lanes":
		err = x.lanes()
	case "race":
		err = x.race()
	case "sweep":
		err = x.sweep()
	case "cost":
		err = x.cost()
	}
	if err != nil {
		return nil, fmt.Errorf("experiment %s on %s: %w", spec.Name, dev.Name(), err)
	}
	if software(r.Adapter) {
		r.Notes = append(r.Notes, "The adapter "+r.Adapter+" is a software rasteriser: it emulates a GPU on the CPU, so its timings say nothing about a real GPU.")
	}
	for k, v := range r.Summary {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("experiment %s: summary %s is %v", spec.Name, k, v)
		}
	}
	r.Seconds = time.Since(t0).Seconds()
	q := url.Values{}
	spec.Query(q)
	r.Query = q.Encode()
	progress(x.total, x.total, "done")
	return r, nil
}

// software reports whether an adapter name is a CPU rasteriser.
func software(adapter string) bool {
	a := strings.ToLower(adapter)
	return strings.Contains(a, "swiftshader") || strings.Contains(a, "llvmpipe") || strings.Contains(a, "lavapipe") || strings.Contains(a, "fallback")
}

// exp is one run in progress.
type exp struct {
	ctx         context.Context
	dev         Device
	spec        ExperimentSpec
	progress    Progress
	r           *ExperimentResult
	done, total int
}

// step reports one unit of work done and checks for cancellation.
func (x *exp) step(what string) error {
	x.done++
	x.progress(x.done, x.total, what)
	yield()
	return x.ctx.Err()
}

// timed runs fn runs times, after one untimed warm-up (which compiles
// pipelines and sizes buffers) if warm, and returns the median wall time.
func (x *exp) timed(runs int, warm bool, fn func() error) (time.Duration, error) {
	if warm {
		if err := fn(); err != nil {
			return 0, err
		}
	}
	ds := make([]time.Duration, runs)
	for i := range ds {
		if err := x.ctx.Err(); err != nil {
			return 0, err
		}
		t0 := time.Now()
		if err := fn(); err != nil {
			return 0, err
		}
		ds[i] = time.Since(t0)
	}
	slices.Sort(ds)
	return ds[runs/2], nil
}

func maxAbsDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	m := 0.0
	for i := range a {
		d := math.Abs(float64(a[i]) - float64(b[i]))
		if math.IsNaN(d) {
			return math.Inf(1)
		}
		m = max(m, d)
	}
	return m
}

// ParseExperiment reads the page API's (name, params): the name's defaults
// with params (a JSON object of spec fields, or empty) on top, strictly:
// unknown fields are errors that name them, and the result is validated.
func ParseExperiment(name string, params []byte) (ExperimentSpec, error) {
	if !slices.Contains(Experiments, name) {
		return ExperimentSpec{}, bad("experiment.name", "%q, want one of %s", name, strings.Join(Experiments, ", "))
	}
	s := DefaultExperiment(name)
	if p := strings.TrimSpace(string(params)); p != "" && p != "null" {
		// A null (what JSON makes of NaN and Infinity) would leave the default in place silently.
		var fields map[string]json.RawMessage
		if json.Unmarshal([]byte(p), &fields) == nil {
			for k, v := range fields {
				if strings.TrimSpace(string(v)) == "null" {
					return ExperimentSpec{}, bad("experiment."+k, "null, want a value (NaN and Infinity become null in JSON)")
				}
			}
		}
		dec := json.NewDecoder(strings.NewReader(p))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&s); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) && te.Field != "" {
				return ExperimentSpec{}, bad("experiment."+te.Field, "want a %s, got a JSON %s", te.Type, te.Value)
			}
			if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
				return ExperimentSpec{}, bad("experiment."+strings.Trim(f, `"`), "unknown field")
			}
			return ExperimentSpec{}, bad("experiment", "the parameters are not a JSON object of spec fields: %v", err)
		}
		if s.Name != name {
			return ExperimentSpec{}, bad("experiment.name", "%q in the parameters, but the experiment is %q", s.Name, name)
		}
	}
	return s, s.Validate()
}
