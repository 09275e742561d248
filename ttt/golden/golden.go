// Package golden embeds the reference cases: inputs and float64 outputs made by
// an implementation of TTT written independently of this project (see
// testdata/README.md). Tests, `ttt check` and the page's self-test replay them.
package golden

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"tttexplainer/ttt"
)

//go:embed testdata/*.json
var files embed.FS

// Count is the number of reference cases: a case lost from the embed (a
// renamed file, a narrowed pattern) fails Cases rather than shrinking every
// test that replays them.
const Count = 11

// Case is one reference case: its name, its JSON as embedded (what a page or
// `ttt replay` is given), and the case decoded from it, with its expected outputs.
type Case struct {
	Name string
	JSON []byte
	*ttt.Case
}

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

// Cases reads and decodes every reference case, sorted by name. It is an
// error when a case does not decode, has no expected outputs, or when there
// are not Count of them.
func Cases() ([]Case, error) {
	names := Names()
	if len(names) != Count {
		return nil, fmt.Errorf("golden: %d cases embedded, want the %d reference cases", len(names), Count)
	}
	out := make([]Case, 0, len(names))
	for _, name := range names {
		data, err := Read(name)
		if err != nil {
			return nil, err
		}
		c, err := ttt.DecodeCase(data)
		if err != nil {
			return nil, fmt.Errorf("golden: %s: %w", name, err)
		}
		if len(c.Want) == 0 {
			return nil, fmt.Errorf("golden: %s: no expected outputs", name)
		}
		out = append(out, Case{Name: name, JSON: data, Case: c})
	}
	return out, nil
}
