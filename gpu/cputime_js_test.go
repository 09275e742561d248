//go:build js

package gpu

func cpuTime() float64 { return 0 }
