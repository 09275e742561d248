//go:build js && wasm

package main

import (
	"context"
	"fmt"
	"strconv"

	"tttexplainer/site"
)

// kvStore is a site.Store in a Workers KV namespace. KV is eventually
// consistent across locations, so Put's check for a taken id is best
// effort; with 128-bit random ids it never matters.
//
// The quota (max) is soft: the count is one KV key that each create reads
// and rewrites. KV reads elsewhere may be up to a minute stale and KV takes
// about one write a second per key, so concurrent creates can undercount;
// the per-client rate limit bounds how fast. An exact count would need a
// Durable Object. The key cannot be asked for through the API, which only
// looks up 22-character ids.
type kvStore struct {
	binding string
	max     int // 0: no limit
}

const countKey = "meta:count"

// Get reads through the binding's get and checks for null: syumai's
// GetString turns a missing key into the string "<null>". Errors carry the
// JavaScript error's text, which the site logs and never sends.
func (k kvStore) Get(_ context.Context, id string) ([]byte, error) {
	v, err := k.get(id)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, site.ErrNotFound
	}
	return v, nil
}

// get returns a key's value, nil if it is missing.
func (k kvStore) get(key string) ([]byte, error) {
	ns, err := binding(k.binding)
	if err != nil {
		return nil, err
	}
	v, err := await(ns.Call("get", key, "text"))
	if err != nil {
		return nil, fmt.Errorf("KV get: %w", err)
	}
	if v.IsNull() || v.IsUndefined() {
		return nil, nil
	}
	return []byte(v.String()), nil
}

func (k kvStore) put(key, value string) error {
	ns, err := binding(k.binding)
	if err != nil {
		return err
	}
	if _, err := await(ns.Call("put", key, value)); err != nil {
		return fmt.Errorf("KV put: %w", err)
	}
	return nil
}

func (k kvStore) Put(_ context.Context, id string, scenario []byte) error {
	if v, err := k.get(id); err != nil {
		return err
	} else if v != nil {
		return site.ErrExists
	}
	n, err := k.count()
	if err != nil {
		return err
	}
	if k.max > 0 && n >= k.max {
		return site.ErrFull
	}
	if err := k.put(id, string(scenario)); err != nil {
		return err
	}
	if err := k.put(countKey, strconv.Itoa(n+1)); err != nil {
		// The scenario is saved; only the count lags.
		fmt.Println("worker: counting scenarios:", err)
	}
	return nil
}

// count is the number of scenarios as the count key has it (0 if unset).
func (k kvStore) count() (int, error) {
	v, err := k.get(countKey)
	if err != nil || v == nil {
		return 0, err
	}
	n, err := strconv.Atoi(string(v))
	if err != nil {
		return 0, fmt.Errorf("KV %s is %q, not a count", countKey, v)
	}
	return n, nil
}
