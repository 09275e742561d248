//go:build js && wasm

package main

import (
	"github.com/syumai/workers"

	"tttexplainer/site"
)

// Binding names, as in wrangler.toml.
const (
	kvBinding     = "SCENARIOS"
	assetsBinding = "ASSETS"
)

func main() {
	// syumai/workers starts a fresh Go instance for every request, so this
	// stays light: no work before Serve, bindings looked up per request.
	workers.Serve(site.New(site.Config{
		Store:  kvStore{binding: kvBinding},
		Assets: bindingAssets{binding: assetsBinding},
	}))
}
