//go:build js

package main

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"syscall/js"

	"tttexplainer/experiment"
	"tttexplainer/scenario"
)

// lab runs the page's experiments (experiment.Run), one at a time,
// reporting progress to the host page's tttExpProgress(done, total, what).
type lab struct {
	mu     sync.Mutex
	cancel context.CancelFunc
	csv    []byte // the last result's CSV
}

// experimentAPI adds experiments, autostart, experiment, cancelExperiment
// and experimentCSV to tttCore.
func (c *core) experimentAPI(def func(string, func([]js.Value) any)) {
	l := &lab{}
	str := func(args []js.Value, i int) string {
		if i < len(args) && args[i].Type() == js.TypeString {
			return args[i].String()
		}
		return ""
	}
	// experiments() → JSON of the registry: [{name, title, description, defaults}].
	def("experiments", func([]js.Value) any {
		b, _ := json.Marshal(experiment.All())
		return string(b)
	})
	// autostart(specJSON) → JSON {spec, capped}: the spec a link or an embed
	// runs by itself (scenario.ExperimentSpec.Autostart), or {error}.
	def("autostart", func(args []js.Value) any {
		var s scenario.ExperimentSpec
		var out struct {
			Spec   *scenario.ExperimentSpec `json:"spec,omitempty"`
			Capped bool                     `json:"capped"`
			Error  string                   `json:"error,omitempty"`
		}
		err := json.Unmarshal([]byte(str(args, 0)), &s)
		if err == nil {
			err = s.Validate()
		}
		if err != nil {
			out.Error = err.Error()
		} else {
			capped, changed := s.Autostart()
			out.Spec, out.Capped = &capped, changed
		}
		b, _ := json.Marshal(out)
		return string(b)
	})
	// experiment(name, paramsJSON, backend) → Promise of the result's JSON.
	def("experiment", func(args []js.Value) any {
		name, params, backend := str(args, 0), str(args, 1), str(args, 2)
		return promise(func() (string, error) {
			spec, err := experiment.Parse(name, []byte(params))
			if err != nil {
				return "", err
			}
			dev, err := c.ss.ExperimentDevice(backend)
			if err != nil {
				return "", err
			}
			ctx, cancel := context.WithCancel(context.Background())
			l.mu.Lock()
			if l.cancel != nil {
				l.mu.Unlock()
				cancel()
				return "", errors.New("an experiment is already running: cancel it first")
			}
			l.cancel = cancel
			l.mu.Unlock()
			defer func() {
				l.mu.Lock()
				l.cancel = nil
				l.mu.Unlock()
				cancel()
			}()
			r, err := experiment.Run(ctx, dev, spec, func(done, total int, what string) {
				c.call("tttExpProgress", done, total, what)
			})
			if errors.Is(err, context.Canceled) {
				return "", errors.New("cancelled")
			}
			if err != nil {
				return "", err
			}
			l.mu.Lock()
			l.csv = r.CSV()
			l.mu.Unlock()
			b, err := json.Marshal(r)
			return string(b), err
		})
	})
	def("cancelExperiment", func([]js.Value) any {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.cancel == nil {
			return false
		}
		l.cancel()
		return true
	})
	def("experimentCSV", func([]js.Value) any {
		l.mu.Lock()
		defer l.mu.Unlock()
		return string(l.csv)
	})
}
