//go:build js && wasm

package main

import (
	"context"

	"tttexplainer/site"
)

// kvStore is a site.Store in a Workers KV namespace. KV is eventually
// consistent across locations, so Put's check for a taken id is best
// effort; with 128-bit random ids it never matters.
type kvStore struct {
	binding string
}

// Get reads through the binding's get and checks for null: syumai's
// GetString turns a missing key into the string "<null>".
func (k kvStore) Get(_ context.Context, id string) ([]byte, error) {
	ns, err := binding(k.binding)
	if err != nil {
		return nil, err
	}
	v, err := await(ns.Call("get", id, "text"))
	if err != nil {
		return nil, err
	}
	if v.IsNull() || v.IsUndefined() {
		return nil, site.ErrNotFound
	}
	return []byte(v.String()), nil
}

func (k kvStore) Put(ctx context.Context, id string, scenario []byte) error {
	if _, err := k.Get(ctx, id); err == nil {
		return site.ErrExists
	} else if err != site.ErrNotFound {
		return err
	}
	ns, err := binding(k.binding)
	if err != nil {
		return err
	}
	_, err = await(ns.Call("put", id, string(scenario)))
	return err
}
