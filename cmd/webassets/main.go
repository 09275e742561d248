// Command webassets is the last step of `make wasm`: it puts the page's
// built Go program into the web directory under a content-hashed name
// (app.<hash>.wasm, which the site caches for a year as immutable, so a new
// build is a new name), writes the manifest app.json that load.js reads
// (revalidated on every load: it names the build and its size, which the
// loading bar counts to), removes older builds, and precompresses the wasm
// and the text assets (html, js, css) as name.gz, which the site sends to
// browsers that accept gzip.
//
//	go run ./cmd/webassets -web web build/app.wasm
package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

func main() {
	web := flag.String("web", "web", "the page's directory")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: webassets [-web DIR] APP.wasm")
		os.Exit(2)
	}
	m, err := write(*web, flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "webassets:", err)
		os.Exit(1)
	}
	fmt.Printf("%s/%s: %d bytes, %d gzipped\n", *web, m.Wasm, m.Bytes, m.Gzip)
}

// manifest is app.json.
type manifest struct {
	Wasm  string `json:"wasm"`
	Bytes int    `json:"bytes"`
	Gzip  int    `json:"gzip"`
}

// build matches the names of builds, hashed or not, and their .gz.
var build = regexp.MustCompile(`^app(\.[0-9a-f]{8,64})?\.wasm(\.gz)?$`)

// precompressed are the extensions of the text assets that get a .gz.
var precompressed = []string{".html", ".js", ".css"}

func write(web, wasmPath string) (manifest, error) {
	data, err := os.ReadFile(wasmPath)
	if err != nil {
		return manifest{}, err
	}
	if !bytes.HasPrefix(data, []byte("\x00asm")) {
		return manifest{}, fmt.Errorf("%s is not WebAssembly", wasmPath)
	}
	sum := sha256.Sum256(data)
	m := manifest{Wasm: "app." + hex.EncodeToString(sum[:8]) + ".wasm", Bytes: len(data)}
	entries, err := os.ReadDir(web)
	if err != nil {
		return m, err
	}
	for _, e := range entries {
		if build.MatchString(e.Name()) {
			if err := os.Remove(filepath.Join(web, e.Name())); err != nil {
				return m, err
			}
		}
	}
	if err := os.WriteFile(filepath.Join(web, m.Wasm), data, 0o644); err != nil {
		return m, err
	}
	if m.Gzip, err = gzipFile(filepath.Join(web, m.Wasm)); err != nil {
		return m, err
	}
	for _, e := range entries {
		name := e.Name()
		for _, ext := range precompressed {
			if e.Type().IsRegular() && strings.HasSuffix(name, ext) {
				if _, err := gzipFile(filepath.Join(web, name)); err != nil {
					return m, err
				}
			}
		}
	}
	js, _ := json.Marshal(m)
	return m, os.WriteFile(filepath.Join(web, "app.json"), append(js, '\n'), 0o644)
}

// gzipFile writes name.gz beside name, byte for byte the same on every run
// (no name, no time in the header), and returns its size.
func gzipFile(name string) (int, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return 0, err
	}
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err != nil {
		return 0, err
	}
	if _, err := zw.Write(data); err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	return b.Len(), os.WriteFile(name+".gz", b.Bytes(), 0o644)
}
