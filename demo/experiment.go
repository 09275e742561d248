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

	"tttexplainer/scenario"
)

// ExperimentResult is what an experiment measured: named tables of numbers
// (the chart and the CSV), a summary of the numbers the claim is about, and
// notes that say what produced them.
type ExperimentResult struct {
	Experiment string                  `json:"experiment"`
	Spec       scenario.ExperimentSpec `json:"spec"`
	Backend    string                  `json:"backend"` // "webgpu" or "cpu": where the device columns ran
	Adapter    string                  `json:"adapter"` // the GPU adapter, "" for the CPU
	Summary    map[string]float64      `json:"summary"`
	Tables     []Table                 `json:"tables"`
	Notes      []string                `json:"notes"`
	Seconds    float64                 `json:"seconds"` // wall time of the whole run
	Query      string                  `json:"query"`   // the page URL's query that reproduces the run
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
func RunExperiment(ctx context.Context, dev Device, spec scenario.ExperimentSpec, progress Progress) (*ExperimentResult, error) {
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
	spec        scenario.ExperimentSpec
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
func ParseExperiment(name string, params []byte) (scenario.ExperimentSpec, error) {
	if !slices.Contains(scenario.Experiments, name) {
		return scenario.ExperimentSpec{}, scenario.Errorf("experiment.name", "%q, want one of %s", name, strings.Join(scenario.Experiments, ", "))
	}
	s := scenario.DefaultExperiment(name)
	if p := strings.TrimSpace(string(params)); p != "" && p != "null" {
		// A null (what JSON makes of NaN and Infinity) would leave the default in place silently.
		var fields map[string]json.RawMessage
		if json.Unmarshal([]byte(p), &fields) == nil {
			for k, v := range fields {
				if strings.TrimSpace(string(v)) == "null" {
					return scenario.ExperimentSpec{}, scenario.Errorf("experiment."+k, "null, want a value (NaN and Infinity become null in JSON)")
				}
			}
		}
		dec := json.NewDecoder(strings.NewReader(p))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&s); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) && te.Field != "" {
				return scenario.ExperimentSpec{}, scenario.Errorf("experiment."+te.Field, "want a %s, got a JSON %s", te.Type, te.Value)
			}
			if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
				return scenario.ExperimentSpec{}, scenario.Errorf("experiment."+strings.Trim(f, `"`), "unknown field")
			}
			return scenario.ExperimentSpec{}, scenario.Errorf("experiment", "the parameters are not a JSON object of spec fields: %v", err)
		}
		if s.Name != name {
			return scenario.ExperimentSpec{}, scenario.Errorf("experiment.name", "%q in the parameters, but the experiment is %q", s.Name, name)
		}
	}
	return s, s.Validate()
}
