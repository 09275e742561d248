//go:build js

package main

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"syscall/js"

	"tttexplainer/demo"
)

// lab runs the page's experiments (demo.RunExperiment), one at a time,
// reporting progress to the host page's tttExpProgress(done, total, what).
type lab struct {
	mu     sync.Mutex
	cancel context.CancelFunc
	csv    []byte // the last result's CSV
}

// experimentAPI adds experiment, cancelExperiment and experimentCSV to tttCore.
func (c *core) experimentAPI(def func(string, func([]js.Value) any)) {
	l := &lab{}
	str := func(args []js.Value, i int) string {
		if i < len(args) && args[i].Type() == js.TypeString {
			return args[i].String()
		}
		return ""
	}
	// experiment(name, paramsJSON, backend) → Promise of the result's JSON.
	def("experiment", func(args []js.Value) any {
		name, params, backend := str(args, 0), str(args, 1), str(args, 2)
		return promise(func() (string, error) {
			spec, err := demo.ParseExperiment(name, []byte(params))
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
			r, err := demo.RunExperiment(ctx, dev, spec, func(done, total int, what string) {
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
