//go:build unix

package bidi

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLaunchFailure: a browser that dies at start-up, or never opens its
// BiDi server, is an error carrying the end of its output, and nothing of
// it is left running.
func TestLaunchFailure(t *testing.T) {
	dir := t.TempDir()
	for name, c := range map[string]struct {
		script string
		want   string
	}{
		"exits":  {"echo 'Error: no DISPLAY environment variable specified' >&2; exit 1", "exited before its BiDi server listened"},
		"silent": {"echo 'starting' >&2; exec sleep 60", "no BiDi server within the start-up time"},
	} {
		exe := filepath.Join(dir, name)
		if err := os.WriteFile(exe, []byte("#!/bin/sh\n"+c.script+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		profile := t.TempDir()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		start := time.Now()
		_, err := Launch(ctx, Options{Exe: exe, Dir: profile, Prefs: Prefs})
		cancel()
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), strings.Split(c.script, "'")[1]) {
			t.Errorf("%s: %v, want %q and the browser's output", name, err, c.want)
		}
		if took := time.Since(start); took > 10*time.Second {
			t.Errorf("%s: Launch took %v to give up", name, took)
		}
		js, _ := os.ReadFile(filepath.Join(profile, "user.js"))
		if !strings.Contains(string(js), `user_pref("remote.active-protocols", 1);`) {
			t.Errorf("%s: the profile's user.js reads\n%s", name, js)
		}
	}
}
