package ttt_test

import (
	"os"
	"path/filepath"
	"testing"

	"tttexplainer/ttt"
)

// seedCases are small valid cases of each kind: the fuzzer mutates them far
// faster than the 80 KB golden files.
func seedCases(tb testing.TB) map[string][]byte {
	paths, err := filepath.Glob("testdata/seeds/*.json")
	if err != nil || len(paths) < 3 {
		tb.Fatalf("testdata/seeds: %d cases (%v), want 3", len(paths), err)
	}
	out := map[string][]byte{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		out[filepath.Base(p)] = data
	}
	return out
}

func TestSeedCasesRun(t *testing.T) {
	for name, data := range seedCases(t) {
		c, err := ttt.DecodeCase(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := c.Run(ttt.CPU{}, ttt.Dual); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
}

// FuzzDecodeCase: any bytes either decode to a case that runs, or give an
// error; nothing panics.
func FuzzDecodeCase(f *testing.F) {
	for _, data := range seedCases(f) {
		f.Add(data)
	}
	for _, s := range []string{
		`{}`, `[]`, `null`, `{"inputs":{}}`,
		`{"kind":"linear","T":2,"D":2,"d":2,"mini_batch_size":1,"inputs":{"X":[[1,2],[3,4]]}}`,
		`{"T":2,"d":1,"inputs":{"Q":[[1],[2]],"K":[[1],[2]],"V":[[1],[NaN]]}}`,
		`{"T":2,"d":1,"inputs":{"Q":[[1],[2]],"K":[[1],[2]],"V":[[1],[1e39]]}}`,
		`{"T":1e12,"d":1,"inputs":{"Q":[],"K":[],"V":[]}}`,
		`{"T":2,"d":1,"mini_batch_size":0,"inputs":{"Q":[[1],[2]],"K":[[1],[2]],"V":[[1],[2]]}}`,
		`{"T":2,"d":1,"inputs":{"Q":[[1],[2]],"K":[[1],[2]],"V":[[1],[2]]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ttt.DecodeCase(data)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if c.T*c.D() > 1<<16 {
			return // valid but too big to run inside a fuzz iteration
		}
		for _, form := range c.Forms() {
			if _, err := c.Run(ttt.CPU{}, form); err != nil {
				t.Fatalf("decoded case does not run with %v: %v", form, err)
			}
		}
	})
}
