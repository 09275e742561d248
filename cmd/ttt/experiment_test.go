package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestExperimentCommand runs the page's equivalence experiment from the
// command line and reads its JSON; bad input exits 1 naming the field.
func TestExperimentCommand(t *testing.T) {
	out, errOut, code := runMain(t, "experiment", "-json", "-params", `{"t": 24, "d": 8}`, "equivalence")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r struct {
		Summary map[string]float64 `json:"summary"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if v, ok := r.Summary["linear_attention_max_diff"]; !ok || v > 1e-4 {
		t.Errorf("linear_attention_max_diff = %v (present %v), want ≤ 1e-4", v, ok)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"experiment", "magic"}, "experiment.name"},
		{[]string{"experiment", "-params", `{"t": 0}`, "race"}, "experiment.t"},
		{[]string{"experiment", "-backend", "tpu", "race"}, `"tpu"`},
	} {
		_, errOut, code := runMain(t, tc.args...)
		if code != 1 || !strings.Contains(errOut, tc.want) {
			t.Errorf("ttt %v: exit %d, %q; want 1 and an error naming %s", tc.args, code, errOut, tc.want)
		}
	}
	// The page's backend names work here too (scenario.ParseBackend).
	for _, backend := range []string{"auto", "webgpu"} {
		out, errOut, code := runMain(t, "experiment", "-backend", backend, "-json", "-params", `{"t": 8, "d": 4}`, "equivalence")
		if code != 0 && !(backend == "webgpu" && strings.Contains(errOut, "gpu backend is unavailable")) {
			t.Errorf("ttt experiment -backend %s: exit %d, %s", backend, code, errOut)
		} else if code == 0 && !strings.Contains(out, `"backend"`) {
			t.Errorf("ttt experiment -backend %s: %.200s", backend, out)
		}
	}
	if _, _, code := runMain(t, "experiment"); code != 2 {
		t.Errorf("ttt experiment without a name: exit %d, want 2", code)
	}
}
