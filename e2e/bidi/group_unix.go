//go:build unix

package bidi

import (
	"os/exec"
	"syscall"
)

// ownGroup starts the browser in a process group of its own, so that
// signalGroup reaches every process it forks.
func ownGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

func signalGroup(cmd *exec.Cmd, kill bool) {
	sig := syscall.SIGTERM
	if kill {
		sig = syscall.SIGKILL
	}
	syscall.Kill(-cmd.Process.Pid, sig)
}
