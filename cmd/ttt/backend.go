package main

import (
	"fmt"

	"tttexplainer/demo"
	"tttexplainer/scenario"
	"tttexplainer/ttt"
)

// backendHelp describes a -backend flag.
const backendHelp = "backend: cpu, gpu (or webgpu), or auto (the GPU when one opens, else the CPU)"

// openDevice opens the device a -backend flag names (scenario.ParseBackend:
// cpu, gpu or webgpu, auto) through the page's own opener, and returns a
// function that releases it. Auto is the GPU when one opens, else the CPU.
func openDevice(name string) (demo.Device, func(), error) {
	b, err := scenario.ParseBackend(name)
	if err != nil {
		return nil, nil, err
	}
	if b == scenario.BackendCPU {
		return demo.CPU{}, func() {}, nil
	}
	dev, _, err := demo.OpenWebGPU()
	if err != nil {
		if b == scenario.BackendAuto {
			return demo.CPU{}, func() {}, nil
		}
		// gpu's errors name the cause (no adapter: which driver to install).
		return nil, nil, fmt.Errorf("the gpu backend is unavailable: %w", err)
	}
	return dev, dev.(demo.GPUDevice).Close, nil
}

// openBackend is openDevice for the commands that print the backend's name
// (replay, check, bench): the GPU under its kernels' name, "gpu".
func openBackend(name string) (ttt.Backend, func(), error) {
	dev, release, err := openDevice(name)
	if g, ok := dev.(demo.GPUDevice); ok {
		return g.Backend, release, err
	}
	return dev, release, err
}
