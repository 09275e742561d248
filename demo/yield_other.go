//go:build !js

package demo

// Yield is a no-op natively, where goroutines run in parallel (yield_js.go).
func Yield() {}
