package demo

import (
	"strings"
	"testing"
)

func TestSessionExperimentDevice(t *testing.T) {
	ss := newTestSession(t, nil, false)
	if dev, err := ss.ExperimentDevice("auto"); err != nil || dev.Name() != "cpu" {
		t.Errorf("auto without a GPU: %v, %v", dev, err)
	}
	for _, name := range []string{"gpu", "webgpu"} {
		if _, err := ss.ExperimentDevice(name); err == nil || !strings.Contains(err.Error(), "no usable GPU") {
			t.Errorf("%s without one: %v", name, err)
		}
	}
	if _, err := ss.ExperimentDevice("tpu"); err == nil || !strings.Contains(err.Error(), "backend") {
		t.Errorf("an unknown backend: %v", err)
	}
}
