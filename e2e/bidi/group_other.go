//go:build !unix

package bidi

import "os/exec"

func ownGroup(cmd *exec.Cmd) {}

// signalGroup can only end the browser's own process here.
func signalGroup(cmd *exec.Cmd, kill bool) { cmd.Process.Kill() }
