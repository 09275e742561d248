package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func page() map[string]string {
	files := map[string]string{"app.json": `{"wasm":"app.0123abcd.wasm","bytes":8}`, "app.0123abcd.wasm": "\x00asm\x01\x00\x00\x00", "lab.js": "//", "shaders/x.wgsl": "", ".env": "secret", ".git/config": "x"}
	for _, name := range required[:len(required)-1] {
		files[name] = "<!-- " + name + " -->"
	}
	return files
}

// The folder holds every file of the page, the wasm that app.json names
// included, and nothing hidden; a stale file of an earlier export is gone.
func TestExport(t *testing.T) {
	web, out := t.TempDir(), filepath.Join(t.TempDir(), "static")
	writeFiles(t, web, page())
	writeFiles(t, out, map[string]string{"stale.js": "old"})
	n, err := export(web, out)
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range page() {
		got, err := os.ReadFile(filepath.Join(out, name))
		if strings.HasPrefix(name, ".") {
			if err == nil {
				t.Errorf("%s was exported", name)
			}
			continue
		}
		if err != nil || string(got) != body {
			t.Errorf("%s: %q, %v; want %q", name, got, err, body)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "stale.js")); err == nil {
		t.Error("a file of an earlier export is still there")
	}
	if want := len(page()) - 2; n != want {
		t.Errorf("exported %d files; want %d", n, want)
	}
}

// Without a built page the export fails, naming what is missing and how to
// build it, and writes nothing.
func TestExportNeedsTheBuild(t *testing.T) {
	for _, tc := range []struct {
		drop, manifest, want string
	}{
		{drop: "view.html", want: "view.html is missing"},
		{drop: "app.0123abcd.wasm", want: "app.0123abcd.wasm, which is missing"},
		{manifest: `{"bytes":8}`, want: "naming the built wasm"},
		{manifest: `not json`, want: "naming the built wasm"},
	} {
		web, out := t.TempDir(), filepath.Join(t.TempDir(), "static")
		files := page()
		delete(files, tc.drop)
		if tc.manifest != "" {
			files["app.json"] = tc.manifest
		}
		writeFiles(t, web, files)
		_, err := export(web, out)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("without %s / with manifest %q: %v; want an error containing %q", tc.drop, tc.manifest, err, tc.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("without %s: the output folder was written", tc.drop)
		}
	}
}
