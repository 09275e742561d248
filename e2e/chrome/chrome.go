// Package chrome starts Debian's headless Chromium as the project's browser
// tests and benchmarks do: with WebGPU on SwiftShader when asked, never a
// downloaded browser.
package chrome

import (
	"os"
	"os/exec"
	"strings"

	"github.com/chromedp/chromedp"
)

// Flags give headless Chromium a WebGPU adapter (SwiftShader) on a machine
// with no GPU; the user-data-dir is added per run.
var Flags = []string{
	"headless=new", "no-sandbox", "enable-unsafe-webgpu", "enable-unsafe-swiftshader",
	"disable-gpu-sandbox", "disable-dev-shm-usage", "disable-quic", "no-first-run",
	"disable-background-networking", "disable-component-update", "disable-sync",
}

// Path is the Chromium to run: $TTT_CHROMIUM, else the first of chromium,
// chromium-browser and google-chrome on PATH, else "".
func Path() string {
	if p := os.Getenv("TTT_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Options starts Chromium at exe with a fresh profile in dir and Flags,
// leaving out --enable-unsafe-webgpu unless webgpu (without it Chromium
// offers no adapter: the page's CPU fallback).
func Options(exe, dir string, webgpu bool) []chromedp.ExecAllocatorOption {
	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(exe), chromedp.UserDataDir(dir)}
	for _, f := range Flags {
		if f == "enable-unsafe-webgpu" && !webgpu {
			continue
		}
		if name, value, ok := strings.Cut(f, "="); ok {
			opts = append(opts, chromedp.Flag(name, value))
		} else {
			opts = append(opts, chromedp.Flag(name, true))
		}
	}
	return opts
}
