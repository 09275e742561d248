//go:build !js

package gpu

import "syscall"

// cpuTime returns the process's user + system CPU time in seconds. lavapipe
// runs the kernels on this process's threads, so on a shared machine CPU time
// per run is a steadier measure than wall time.
func cpuTime() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
