// Command static writes the page as a folder that any static file host
// serves (`make static`): the page, the embed view, the canvas frame, their
// scripts and styles, the built wasm named in app.json and wasm_exec.js.
// Links carry their scenario in the URL, so nothing needs the site's API;
// the page hides "Save short link" when /api/health does not answer.
//
//	go run ./cmd/static [-web web] [-out build/static]
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	web := flag.String("web", "web", "the web directory, with the wasm built (make wasm)")
	out := flag.String("out", "build/static", "the folder to write; emptied first")
	flag.Parse()
	n, err := export(*web, *out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "static:", err)
		os.Exit(1)
	}
	fmt.Printf("static: %d files from %s in %s; serve that folder with any static file host\n", n, *web, *out)
}

// required are the files without which the page cannot start; the wasm
// that app.json names is checked too.
var required = []string{"index.html", "embed.html", "view.html", "page.js", "compile.js", "load.js", "style.css", "wasm_exec.js", "app.json"}

// export copies web's files into out, which it empties first. Names with a
// dot segment (.git, .env) are left out, as the site never serves them.
func export(web, out string) (int, error) {
	for _, name := range required {
		if _, err := os.Stat(filepath.Join(web, name)); err != nil {
			return 0, fmt.Errorf("%s is missing from %s: build the page first (make wasm)", name, web)
		}
	}
	var manifest struct {
		Wasm string `json:"wasm"`
	}
	raw, err := os.ReadFile(filepath.Join(web, "app.json"))
	if err == nil {
		err = json.Unmarshal(raw, &manifest)
	}
	if err != nil || manifest.Wasm == "" || strings.Contains(manifest.Wasm, "/") {
		return 0, fmt.Errorf("%s: want {\"wasm\": NAME, ...} naming the built wasm (%v)", filepath.Join(web, "app.json"), err)
	}
	if _, err := os.Stat(filepath.Join(web, manifest.Wasm)); err != nil {
		return 0, fmt.Errorf("app.json names %s, which is missing from %s: build the page first (make wasm)", manifest.Wasm, web)
	}
	if abs, _ := filepath.Abs(out); abs == "/" || out == "" {
		return 0, errors.New("refusing to empty the root as the output folder")
	}
	if err := os.RemoveAll(out); err != nil {
		return 0, err
	}
	n := 0
	err = filepath.WalkDir(web, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(web, p)
		if rel != "." && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		dst := filepath.Join(out, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil // a link may point anywhere: leave it out
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		n++
		return os.WriteFile(dst, data, 0o644)
	})
	return n, err
}
