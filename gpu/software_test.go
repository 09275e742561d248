package gpu

import "testing"

// TestSoftware: the one check of a software adapter knows the names this
// project meets, natively (adapterName) and in the browser (device_js.go).
func TestSoftware(t *testing.T) {
	for name, want := range map[string]bool{
		"llvmpipe (LLVM 15.0.6, 256 bits); cpu adapter, vulkan": true,  // lavapipe natively
		"lavapipe; cpu adapter, vulkan":                         true,  // a driver named otherwise, still the CPU adapter type
		"google swiftshader (SwiftShader), fallback adapter":    true,  // Chromium's
		"google swiftshader":                                    true,  // without adapter.info's fallback flag
		"NVIDIA H100; discrete-gpu adapter, vulkan":             false, // graphics hardware
		"apple metal-3": false,
		"":              false, // the CPU backend has no adapter
	} {
		if got := Software(name); got != want {
			t.Errorf("Software(%q) = %v, want %v", name, got, want)
		}
	}
}
