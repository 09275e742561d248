package demo

import (
	"fmt"

	"tttexplainer/scenario"
)

// pickDevice is the device a one-off computation (replay, an experiment, the
// optimiser comparison) asks for by name (scenario.ParseBackend), on the
// stepping goroutine: the CPU; the GPU (an error naming op when there is no
// usable GPU); auto, the GPU when one opened, else the CPU; "" for def. It
// opens the GPU on first need, as a run does.
func (ss *Session) pickDevice(op, backend string, def Device) (Device, error) {
	if backend == "" {
		return def, nil
	}
	b, err := scenario.ParseBackend(backend)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if b == scenario.BackendCPU {
		return CPU{}, nil
	}
	dev, why := ss.gpuDevice()
	if dev == nil {
		if b == scenario.BackendGPU {
			return nil, fmt.Errorf("%s on the gpu backend: no usable GPU (%s)", op, why)
		}
		return CPU{}, nil
	}
	return dev, nil
}

// ExperimentDevice picks the device an experiment runs on, as pickDevice
// does, "" meaning auto. It skips the run's self-test: the experiments
// compare the device with the CPU themselves.
func (ss *Session) ExperimentDevice(backend string) (Device, error) {
	var dev Device
	if backend == "" {
		backend = string(scenario.BackendAuto)
	}
	err := ss.Do(func() error {
		var err error
		dev, err = ss.pickDevice("experiment", backend, nil)
		return err
	})
	return dev, err
}
