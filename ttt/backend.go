package ttt

import (
	"errors"
	"runtime"
	"sync"
)

// HeadInput is one head's work: its settings, initial weights and views.
type HeadInput struct {
	Head *Head
	W0   *Weights
	Seq  *Seq
}

// A Backend runs a form over several heads at once. The CPU backend is the
// reference; the GPU backend runs the same forms as WGSL kernels. Tests, the
// command line and the page swap them freely.
type Backend interface {
	Name() string
	Run(form Form, heads []HeadInput) ([]*Result, error)
}

// CPU is the pure-Go float32 backend.
type CPU struct{}

// Name returns "cpu".
func (CPU) Name() string { return "cpu" }

// Run runs the heads in parallel, at most GOMAXPROCS at a time.
func (CPU) Run(form Form, heads []HeadInput) ([]*Result, error) {
	out := make([]*Result, len(heads))
	errs := make([]error, len(heads))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, h := range heads {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			out[i], errs[i] = h.Head.Run(form, h.W0, h.Seq)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}
