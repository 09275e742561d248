package scenario

// Backend is where a layer runs: the reader's GPU through WebGPU, the CPU
// (the page's own WebAssembly, or the native binary), or auto, the GPU when
// one opens and passes its self-test and else the CPU. Every way in — the
// page API, a link, a saved scenario, the command line — parses a name with
// ParseBackend once; past that, code switches on these three values only.
type Backend string

const (
	BackendAuto Backend = "auto"
	BackendGPU  Backend = "gpu"
	BackendCPU  Backend = "cpu"
)

// ParseBackend reads a backend's name: "auto" (or "" for the default),
// "gpu" or its alias "webgpu" (the page's name for the same backend), or
// "cpu". Any other name is an error naming the field "backend".
func ParseBackend(name string) (Backend, error) {
	switch name {
	case "", "auto":
		return BackendAuto, nil
	case "gpu", "webgpu":
		return BackendGPU, nil
	case "cpu":
		return BackendCPU, nil
	}
	return "", badBackend("backend", name)
}

func badBackend(field, name string) error {
	return bad(field, "%q, want auto, gpu (or webgpu) or cpu", name)
}

// UnmarshalText reads a name as ParseBackend does. A name it does not know
// is kept as written, so that Validate names the field that holds it; an
// empty name stays empty (an optional field's "not set").
func (b *Backend) UnmarshalText(text []byte) error {
	*b = Backend(text)
	if p, err := ParseBackend(string(text)); err == nil && len(text) > 0 {
		*b = p
	}
	return nil
}

// check reports whether b is one of the three canonical values (empty too
// when optional), as a FieldError naming field.
func (b Backend) check(field string, optional bool) error {
	switch {
	case b == BackendAuto, b == BackendGPU, b == BackendCPU, optional && b == "":
		return nil
	}
	return badBackend(field, string(b))
}
