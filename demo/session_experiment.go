package demo

import (
	"fmt"

	"tttexplainer/scenario"
)

// pickDevice is the device a one-off computation (replay, an experiment, the
// optimiser comparison) asks for by name, on the stepping goroutine: "cpu";
// "gpu" or "webgpu" (an error naming op when there is no usable GPU); ""
// for def. It opens the GPU on first need, as a run does.
func (ss *Session) pickDevice(op, backend string, def Device) (Device, error) {
	switch backend {
	case "cpu":
		return CPU{}, nil
	case "gpu", "webgpu":
		dev, why := ss.gpuDevice()
		if dev == nil {
			return nil, fmt.Errorf("%s on the gpu backend: no usable GPU (%s)", op, why)
		}
		return dev, nil
	case "":
		return def, nil
	}
	return nil, scenario.Errorf("backend", "%s: %q, want cpu or gpu", op, backend)
}

// ExperimentDevice picks the device an experiment runs on: "cpu"; "gpu"
// or "webgpu" (an error when there is no usable GPU); "" or "auto" for the
// GPU when one opened, else the CPU. It skips the run's self-test: the
// experiments compare the device with the CPU themselves.
func (ss *Session) ExperimentDevice(backend string) (Device, error) {
	var dev Device
	err := ss.Do(func() error {
		var def Device
		if backend == "" || backend == "auto" {
			backend = ""
			def, _ = ss.device("gpu") // the CPU when there is none
		}
		var err error
		dev, err = ss.pickDevice("experiment", backend, def)
		return err
	})
	return dev, err
}
