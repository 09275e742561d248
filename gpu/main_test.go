package gpu

import (
	"os"
	"sync"
	"testing"
)

// The tests share one device: opening one costs far more than any test.
var (
	shared     *Backend
	sharedErr  error
	sharedOnce sync.Once
)

// requireGPU reports whether the environment insists on a GPU (CI, make test).
func requireGPU() bool { return os.Getenv("TTT_REQUIRE_GPU") == "1" }

// backend returns the shared backend. With no adapter the test is skipped,
// or fails when TTT_REQUIRE_GPU=1: CI must never pass by skipping.
func backend(t testing.TB) *Backend {
	t.Helper()
	sharedOnce.Do(func() { shared, sharedErr = New() })
	if sharedErr != nil {
		if requireGPU() {
			t.Fatalf("TTT_REQUIRE_GPU=1 but no GPU backend: %v", sharedErr)
		}
		t.Skipf("no GPU backend: %v", sharedErr)
	}
	return shared
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.Close()
	}
	os.Exit(code)
}
