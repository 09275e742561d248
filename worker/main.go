//go:build js && wasm

package main

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"syscall/js"

	"github.com/syumai/workers"
	"github.com/syumai/workers/cloudflare"

	"tttexplainer/site"
)

// Binding and variable names, as in wrangler.toml.
const (
	kvBinding     = "SCENARIOS"
	assetsBinding = "ASSETS"
	limitBinding  = "CREATE_LIMIT"
	baseURLVar    = "BASE_URL"
	hostsVar      = "HOSTS"
	maxVar        = "MAX_SCENARIOS"
)

func main() {
	// syumai/workers starts a fresh Go instance for every request, so this
	// stays light: no work before Serve, and the configuration (the env)
	// read per request, the only time it exists.
	workers.Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cfg, err := config()
		if err != nil {
			fmt.Println("worker:", err) // the Worker's log; the answer names only the variable
			site.WriteError(w, http.StatusInternalServerError, "the site is misconfigured: "+err.Error())
			return
		}
		site.New(cfg).ServeHTTP(w, r)
	}))
}

// config is the site's configuration from wrangler.toml's [vars] and
// bindings. BASE_URL is required: links are never made from a request's
// Host header.
func config() (site.Config, error) {
	base, err := site.ParseBaseURL(envVar(baseURLVar))
	if err != nil {
		return site.Config{}, fmt.Errorf("wrangler.toml [vars] %s: %w", baseURLVar, err)
	}
	limit := 0
	if v := envVar(maxVar); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 0 {
			return site.Config{}, fmt.Errorf("wrangler.toml [vars] %s %q: want a whole number ≥ 0", maxVar, v)
		}
	}
	cfg := site.Config{
		Store:   kvStore{binding: kvBinding, max: limit},
		Assets:  bindingAssets{binding: assetsBinding},
		BaseURL: base,
		// Cloudflare's edge sets it to the client's address, replacing
		// whatever the client sent.
		Client: site.HeaderClient("CF-Connecting-IP"),
	}
	for _, h := range strings.Split(envVar(hostsVar), ",") {
		if h = strings.TrimSpace(h); h != "" {
			cfg.Hosts = append(cfg.Hosts, h)
		}
	}
	if b := cloudflare.GetBinding(limitBinding); !b.IsUndefined() && !b.IsNull() {
		cfg.CreateLimit = bindingLimiter{binding: limitBinding}
	}
	return cfg, nil
}

// envVar is a string variable of the env, "" when unset.
func envVar(name string) string {
	v := cloudflare.GetBinding(name)
	if v.Type() != js.TypeString {
		return ""
	}
	return v.String()
}
