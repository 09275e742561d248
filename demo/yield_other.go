//go:build !js

package demo

// yield is a no-op natively, where goroutines run in parallel (yield_js.go).
func yield() {}
