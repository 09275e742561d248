package demo

import "fmt"

// ExperimentDevice picks the device an experiment runs on: "cpu"; "gpu"
// or "webgpu" (an error when there is no usable GPU); "" or "auto" for the
// GPU when one opened, else the CPU. It opens the GPU on first need, as a
// run does, but skips the run's self-test: the experiments compare the
// device with the CPU themselves.
func (ss *Session) ExperimentDevice(backend string) (Device, error) {
	var dev Device
	err := ss.Do(func() error {
		switch backend {
		case "cpu":
			dev = CPU{}
		case "gpu", "webgpu":
			dev, _ = ss.device("gpu")
			if dev.Name() == "cpu" {
				return fmt.Errorf("experiment on the gpu backend: no usable GPU (%s)", ss.gpuMsg)
			}
		case "", "auto":
			dev, _ = ss.device("gpu")
		default:
			return bad("backend", "%q, want cpu, gpu or auto", backend)
		}
		return nil
	})
	return dev, err
}
