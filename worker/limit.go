//go:build js && wasm

package main

import (
	"context"
	"time"
)

// limitPeriod is the period of the CREATE_LIMIT binding in wrangler.toml:
// its windows are fixed, so a refused client waits at most that long.
const limitPeriod = 60 * time.Second

// bindingLimiter is a site.Limiter on Cloudflare's rate limiting binding
// (wrangler.toml [[ratelimits]]), whose counts outlive the Go instance of
// one request, as an in-memory bucket would not. Its counts are per
// Cloudflare location and approximate, which a guard against floods can
// afford.
type bindingLimiter struct {
	binding string
}

func (l bindingLimiter) Allow(_ context.Context, key string) (bool, time.Duration, error) {
	rl, err := binding(l.binding)
	if err != nil {
		return false, 0, err
	}
	opts := newObject()
	opts.Set("key", key)
	res, err := await(rl.Call("limit", opts))
	if err != nil {
		return false, 0, err
	}
	if res.Get("success").Bool() {
		return true, 0, nil
	}
	return false, limitPeriod, nil
}
