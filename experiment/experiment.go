// Package experiment runs the page's experiments: each makes one claim of
// the paper happen on the reader's device (demo.Device: WebGPU or the CPU),
// with every number measured there. Each experiment is one file that
// registers its title, its description and its run; its name, defaults and
// field bounds are scenario.ExperimentKinds', so that the site and the
// Worker check a saved spec without linking this package or the math.
package experiment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"

	"tttexplainer/demo"
	"tttexplainer/gpu"
	"tttexplainer/scenario"
)

// experiment is one registered experiment.
type experiment struct {
	Info
	run func(x *exp) error
}

// Info is what the page lists of an experiment: the tab, the paragraph of
// what to look at (true of any run: the numbers come from the result), and
// the spec that Run runs by default.
type Info struct {
	Name        string                  `json:"name"`
	Title       string                  `json:"title"`
	Description string                  `json:"description"`
	Defaults    scenario.ExperimentSpec `json:"defaults"`
}

var registry = map[string]*experiment{}

// register adds an experiment of scenario.ExperimentKinds; its file calls
// it from init.
func register(name, title, description string, run func(x *exp) error) {
	if _, err := scenario.Kind(name); err != nil {
		panic("experiment: " + name + " is not in scenario.ExperimentKinds")
	}
	registry[name] = &experiment{Info: Info{Name: name, Title: title, Description: description}, run: run}
}

// All lists the experiments in page order with their defaults.
func All() []Info {
	var out []Info
	for _, name := range scenario.Experiments {
		if e, ok := registry[name]; ok {
			info := e.Info
			info.Defaults = scenario.DefaultExperiment(name)
			out = append(out, info)
		}
	}
	return out
}

// Progress reports how far a run is: done of total steps, and what it is doing.
type Progress func(done, total int, what string)

// Run runs a validated spec on a device. It stops with ctx's error between
// two device calls when ctx is cancelled.
func Run(ctx context.Context, dev demo.Device, spec scenario.ExperimentSpec, progress Progress) (*Result, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	e, ok := registry[spec.Name]
	if !ok {
		return nil, scenario.Errorf("experiment.name", "%q has no run in this build", spec.Name)
	}
	if progress == nil {
		progress = func(int, int, string) {}
	}
	t0 := time.Now()
	r := &Result{Experiment: spec.Name, Spec: spec, Backend: dev.Name(), Adapter: dev.Adapter(), Summary: map[string]float64{}}
	x := &exp{ctx: ctx, dev: dev, spec: spec, progress: progress, r: r}
	if err := e.run(x); err != nil {
		return nil, fmt.Errorf("experiment %s on %s: %w", spec.Name, dev.Name(), err)
	}
	if gpu.Software(r.Adapter) {
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

// Parse reads the page API's (name, params): the name's defaults with
// params (a JSON object of spec fields, or empty) on top, strictly:
// unknown fields are errors that name them, and the result is validated.
func Parse(name string, params []byte) (scenario.ExperimentSpec, error) {
	if _, err := scenario.Kind(name); err != nil {
		return scenario.ExperimentSpec{}, err
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
