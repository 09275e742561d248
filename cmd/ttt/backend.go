package main

import (
	"fmt"

	"tttexplainer/gpu"
	"tttexplainer/ttt"
)

// openBackend returns the named backend and a function that releases it.
func openBackend(name string) (ttt.Backend, func(), error) {
	switch name {
	case "cpu":
		return ttt.CPU{}, func() {}, nil
	case "gpu":
		be, err := gpu.New()
		if err != nil {
			// gpu's errors name the backend and the cause (no adapter: which driver to install).
			return nil, nil, fmt.Errorf("the gpu backend is unavailable: %w", err)
		}
		return be, be.Close, nil
	}
	return nil, nil, fmt.Errorf("unknown backend %q (want cpu or gpu)", name)
}
