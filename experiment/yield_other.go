//go:build !js

package experiment

// yield is a no-op natively, where goroutines run in parallel (yield_js.go).
func yield() {}
