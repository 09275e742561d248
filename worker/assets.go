//go:build js && wasm

package main

import (
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"

	"tttexplainer/site"
)

// bindingAssets reads the page's files through wrangler's ASSETS binding.
type bindingAssets struct {
	binding string
}

// assetsOrigin is any origin: the ASSETS binding looks only at the path.
const assetsOrigin = "https://assets.invalid"

// ReadFile fetches /name from the assets, following the redirects of
// wrangler's HTML handling (/index.html → /, /embed.html → /embed).
func (a bindingAssets) ReadFile(_ context.Context, name string) ([]byte, error) {
	assets, err := binding(a.binding)
	if err != nil {
		return nil, err
	}
	target := assetsOrigin + "/" + name
	for hop := 0; hop < 4; hop++ {
		init := newObject()
		init.Set("redirect", "manual")
		res, err := await(assets.Call("fetch", target, init))
		if err != nil {
			return nil, fmt.Errorf("fetching %s from the assets: %w", name, err)
		}
		status := res.Get("status").Int()
		switch {
		case status == http.StatusOK:
			text, err := await(res.Call("text"))
			if err != nil {
				return nil, err
			}
			return []byte(text.String()), nil
		case status == http.StatusNotFound:
			return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
		case status >= 300 && status < 400:
			loc := res.Get("headers").Call("get", "Location")
			if loc.IsNull() {
				return nil, fmt.Errorf("assets: %s: %d without a Location", name, status)
			}
			base, _ := url.Parse(target)
			next, err := base.Parse(loc.String())
			if err != nil {
				return nil, err
			}
			target = assetsOrigin + next.EscapedPath()
		default:
			return nil, fmt.Errorf("assets: %s: status %d", name, status)
		}
	}
	return nil, fmt.Errorf("assets: %s: too many redirects", name)
}

// ServeHTTP answers requests for files that reach the worker, which
// wrangler.toml routes only for /api/*, /s/*, /e/* and /oembed: anything
// else is not a file of the site.
func (a bindingAssets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	site.WriteError(w, http.StatusNotFound, "no such route: "+r.URL.Path)
}
