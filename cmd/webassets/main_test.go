package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"tttexplainer/site"
)

// TestWrite builds a web directory with an older build in it, and checks
// what the site then serves: the new build under its hashed name, cached
// immutable and gzipped, the old builds gone, the manifest naming the new
// one, and the text assets gzipped byte for byte.
func TestWrite(t *testing.T) {
	web := t.TempDir()
	files := map[string]string{
		"index.html": "<!doctype html><title>page</title>" + string(bytes.Repeat([]byte("<p>text</p>"), 50)),
		"page.js":    "\"use strict\";\n" + string(bytes.Repeat([]byte("window.x = 1;\n"), 50)),
		"style.css":  "body { margin: 0 }\n",
		"app.wasm":   "\x00asm old", "app.wasm.gz": "old", "app.0123456789abcdef.wasm": "\x00asm older", "app.0123456789abcdef.wasm.gz": "older",
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(web, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	wasm := filepath.Join(t.TempDir(), "app.wasm")
	program := append([]byte("\x00asm\x01\x00\x00\x00"), bytes.Repeat([]byte{7}, 4000)...)
	os.WriteFile(wasm, program, 0o644)
	m, err := write(web, wasm)
	if err != nil {
		t.Fatal(err)
	}
	if !build.MatchString(m.Wasm) || m.Wasm == "app.wasm" || m.Bytes != len(program) {
		t.Fatalf("manifest %+v", m)
	}
	for _, old := range []string{"app.wasm", "app.wasm.gz", "app.0123456789abcdef.wasm", "app.0123456789abcdef.wasm.gz"} {
		if _, err := os.Stat(filepath.Join(web, old)); err == nil {
			t.Errorf("the old build %s is still there", old)
		}
	}
	var onDisk manifest
	raw, _ := os.ReadFile(filepath.Join(web, "app.json"))
	if err := json.Unmarshal(raw, &onDisk); err != nil || onDisk != m {
		t.Errorf("app.json = %s (%v), want %+v", raw, err, m)
	}
	again, err := write(web, wasm)
	if err != nil || again != m {
		t.Errorf("a second run: %+v, %v; want the same manifest %+v", again, err, m)
	}

	srv := httptest.NewServer(site.Dir(web))
	defer srv.Close()
	get := func(name string) (*http.Response, []byte) {
		req, _ := http.NewRequest("GET", srv.URL+"/"+name, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			body, _ = io.ReadAll(zr)
		}
		return resp, body
	}
	for name, want := range map[string]struct {
		body   []byte
		cache  string
		gzip   bool
		status int
	}{
		m.Wasm:       {program, site.CacheImmutable, true, 200},
		"app.json":   {append(raw[:0:0], raw...), site.CacheRevalidate, false, 200},
		"index.html": {[]byte(files["index.html"]), site.CacheRevalidate, true, 200},
		"page.js":    {[]byte(files["page.js"]), site.CacheRevalidate, true, 200},
		"style.css":  {[]byte(files["style.css"]), site.CacheRevalidate, true, 200},
		"app.wasm":   {nil, "", false, 404},
	} {
		resp, body := get(name)
		if resp.StatusCode != want.status {
			t.Errorf("GET /%s: %d, want %d", name, resp.StatusCode, want.status)
			continue
		}
		if want.status != 200 {
			continue
		}
		if !bytes.Equal(body, want.body) {
			t.Errorf("GET /%s: %d bytes that differ from the %d written", name, len(body), len(want.body))
		}
		if got := resp.Header.Get("Cache-Control"); got != want.cache {
			t.Errorf("GET /%s: Cache-Control %q, want %q", name, got, want.cache)
		}
		if got := resp.Header.Get("Content-Encoding") == "gzip"; got != want.gzip {
			t.Errorf("GET /%s: gzipped %v, want %v", name, got, want.gzip)
		}
	}
}
