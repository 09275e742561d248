// Package golden embeds the reference cases: inputs and float64 outputs made by
// an implementation of TTT written independently of this project (see
// testdata/README.md). Tests, `ttt check` and the page's self-test replay them.
package golden

import (
	"embed"
	"io/fs"
	"path"
	"slices"
	"strings"
)

//go:embed testdata/*.json
var files embed.FS

// Names lists the embedded cases, sorted.
func Names() []string {
	ents, _ := fs.ReadDir(files, "testdata")
	var out []string
	for _, e := range ents {
		if n := e.Name(); strings.HasSuffix(n, ".json") && n != "index.json" {
			out = append(out, strings.TrimSuffix(n, ".json"))
		}
	}
	slices.Sort(out)
	return out
}

// Read returns the JSON of the named case.
func Read(name string) ([]byte, error) {
	return files.ReadFile(path.Join("testdata", name+".json"))
}
