package scenario

import (
	"errors"
	"net/url"
	"testing"
)

func TestParseBackend(t *testing.T) {
	for name, want := range map[string]Backend{"": BackendAuto, "auto": BackendAuto, "gpu": BackendGPU, "webgpu": BackendGPU, "cpu": BackendCPU} {
		if got, err := ParseBackend(name); err != nil || got != want {
			t.Errorf("ParseBackend(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
	for _, name := range []string{"tpu", "GPU", " cpu", "wgpu"} {
		var fe *FieldError
		if _, err := ParseBackend(name); !errors.As(err, &fe) || fe.Field != "backend" {
			t.Errorf("ParseBackend(%q) = %v; want an error naming backend", name, err)
		}
	}
}

// TestBackendEveryWayIn: "webgpu" is the GPU backend wherever a scenario
// enters (setConfig's JSON, a link, the language model's spec), and
// becomes the canonical "gpu".
func TestBackendEveryWayIn(t *testing.T) {
	s, err := DecodeJSON([]byte(`{"backend": "webgpu"}`))
	if err != nil || s.Backend != BackendGPU {
		t.Errorf(`DecodeJSON({"backend": "webgpu"}) = %q, %v; want gpu`, s.Backend, err)
	}
	s, err = FromQuery(url.Values{"backend": {"webgpu"}})
	if err != nil || s.Backend != BackendGPU {
		t.Errorf("FromQuery(backend=webgpu) = %q, %v; want gpu", s.Backend, err)
	}
	s, err = DecodeJSON([]byte(`{"lm": {"text": "Call me Ishmael.", "backend": "webgpu"}}`))
	if err != nil || s.LM.Backend != BackendGPU {
		t.Errorf("DecodeJSON of an lm on webgpu = %+v, %v; want gpu", s.LM, err)
	}
	for body, field := range map[string]string{
		`{"backend": "tpu"}`: "backend",
		`{"backend": ""}`:    "backend",
		`{"lm": {"text": "Call me Ishmael.", "backend": "tpu"}}`: "lm.backend",
	} {
		var fe *FieldError
		if _, err := DecodeJSON([]byte(body)); !errors.As(err, &fe) || fe.Field != field {
			t.Errorf("DecodeJSON(%s) = %v; want an error naming %s", body, err, field)
		}
	}
}
