package main

import (
	"errors"
	"fmt"

	"tttexplainer/ttt"
)

// openBackend returns the named backend and a function that releases it.
func openBackend(name string) (ttt.Backend, func(), error) {
	switch name {
	case "cpu":
		return ttt.CPU{}, func() {}, nil
	case "gpu":
		return nil, nil, errors.New("the gpu backend is not built yet: the WGSL kernels have not landed; use -backend cpu")
	}
	return nil, nil, fmt.Errorf("unknown backend %q (want cpu or gpu)", name)
}
