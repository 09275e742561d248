package ttt_test

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"tttexplainer/ttt"
)

// allocated returns the bytes f allocates on the heap.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestCaseDimensionsCapped: a 4 MB file claiming T = 1,000,000 tokens of
// width D = 4096 (a row of one value each) is refused from its dimensions,
// naming them and the limit, before the 16 GB matrix is allocated.
func TestCaseDimensionsCapped(t *testing.T) {
	var b bytes.Buffer
	b.WriteString(`{"kind": "linear", "T": 1000000, "D": 4096, "d": 4, "mini_batch_size": 1, "inputs": {"X": [[0]`)
	for range 1000000 - 1 {
		b.WriteString(",[0]")
	}
	b.WriteString("]}}")
	var err error
	n := allocated(func() { _, err = ttt.DecodeCase(b.Bytes()) })
	want := "T: T×D = 1000000×4096 values, over the limit of 33554432 for one array"
	if err == nil || err.Error() != want {
		t.Errorf("DecodeCase(%d bytes) = %v, want %q", b.Len(), err, want)
	}
	// The JSON tree of a million rows is about 100 MB; the matrix would be 16 GB.
	if n > 1<<30 {
		t.Errorf("DecodeCase allocated %d MB before refusing the case", n>>20)
	}
	for _, tc := range []struct{ edit, want string }{
		{`"d": 2, "T": 3`, ""},
		{`"d": 4096, "T": 10000`, "T: T×d = 10000×4096 values"},
		{`"d": 4096, "kind": "mlp"`, "d: the inner weights = 134238208 values"},
	} {
		data := seed(t, "head_linear_shareqk.json", tc.edit)
		_, err := ttt.DecodeCase(data)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.want)) {
			t.Errorf("with %s: DecodeCase = %v, want %q", tc.edit, err, tc.want)
		}
	}
}

// seed returns a seed case with its top-level keys overridden by edit
// (`"T": 3, "d": 2`): a later key wins in encoding/json.
func seed(t *testing.T, name, edit string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata/seeds", name))
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte("{"+edit+"}"), &c); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCaseBatchBeyondT: mini_batch_size may exceed T (one mini-batch of T
// tokens); the case then runs as b = T, with the same outputs, instead of
// sizing the dual form's b×b coefficients (10¹² of them here) past the sequence.
func TestCaseBatchBeyondT(t *testing.T) {
	tau := strings.Repeat("0.01,", 1000000) + "0.01"
	big := seed(t, "head_linear_shareqk.json", `"mini_batch_size": 1000000, "inputs": null`)
	whole := seed(t, "head_linear_shareqk.json", `"mini_batch_size": 3, "inputs": null`)
	var outs []ttt.Arrays
	for _, data := range [][]byte{withTau(t, big, tau), withTau(t, whole, "0.01, 0.01, 0.01")} {
		c, err := ttt.DecodeCase(data)
		if err != nil {
			t.Fatal(err)
		}
		if c.B() != c.T {
			t.Errorf("B() = %d, want T = %d", c.B(), c.T)
		}
		out, err := c.Run(ttt.CPU{}, ttt.Dual)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, out.Arrays())
	}
	for _, d := range ttt.Compare(outs[0], outs[1], 0, 0) {
		if !d.OK() {
			t.Errorf("mini_batch_size 1000000 against 3 = T: %v", d)
		}
	}
}

// withTau puts the seed's inputs back (seed cleared them) with τ replaced.
func withTau(t *testing.T, data []byte, tau string) []byte {
	t.Helper()
	orig, err := os.ReadFile("testdata/seeds/head_linear_shareqk.json")
	if err != nil {
		t.Fatal(err)
	}
	var c, o map[string]any
	json.Unmarshal(data, &c)
	json.Unmarshal(orig, &o)
	c["inputs"] = o["inputs"]
	c["inputs"].(map[string]any)["eta_params"].(map[string]any)["tau"] = json.RawMessage("[" + tau + "]")
	out, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCaseDuplicateKey: a key twice in one object is an error naming it by
// its path, wherever it is; encoding/json alone would keep the last one.
func TestCaseDuplicateKey(t *testing.T) {
	seeds := seedCases(t)
	for _, tc := range []struct{ seed, old, new, want string }{
		{"head_linear_shareqk.json", `"T":3,`, `"T":3,"T":300,`, `T: duplicate key`},
		{"head_linear_shareqk.json", `"base_lr":`, `"base_lr":1,"base_lr":`, `inputs.eta_params.base_lr: duplicate key`},
		{"layer_mlp.json", `"b2":`, `"b2":[0,0],"b2":`, `inputs.inner_per_head[0].b2: duplicate key`},
	} {
		var b bytes.Buffer
		if err := json.Compact(&b, seeds[tc.seed]); err != nil || !bytes.Contains(b.Bytes(), []byte(tc.old)) {
			t.Fatalf("%s: %v, or %s is not in it", tc.seed, err, tc.old)
		}
		data := bytes.Replace(b.Bytes(), []byte(tc.old), []byte(tc.new), 1)
		if _, err := ttt.DecodeCase(data); err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("a second %s: DecodeCase = %v, want %q", tc.old, err, tc.want)
		}
	}
}

// TestReadCaseRefusesHugeFile: a file over MaxCaseBytes is refused from its
// size, before a byte of it is read; a stream, once it passes the limit.
func TestReadCaseRefusesHugeFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "huge.json")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(ttt.MaxCaseBytes + 1); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	f.Close()
	n := allocated(func() { _, err = ttt.ReadCase(p) })
	if err == nil || !strings.Contains(err.Error(), "268435457 bytes, over the 268435456-byte (256 MiB) limit") {
		t.Errorf("ReadCase(a %d-byte file) = %v, want an error giving its size and the limit", ttt.MaxCaseBytes+1, err)
	}
	if n > 1<<20 {
		t.Errorf("ReadCase allocated %d MB to refuse the file", n>>20)
	}

	r := &endless{}
	if _, err := ttt.ReadCaseFrom(r, "stdin"); err == nil || !strings.Contains(err.Error(), "stdin: more than the 268435456-byte (256 MiB) limit") {
		t.Errorf("ReadCaseFrom(an endless stream) = %v, want an error naming the limit", err)
	}
	if r.n > ttt.MaxCaseBytes+1 {
		t.Errorf("ReadCaseFrom read %d bytes of an endless stream, want at most the limit + 1", r.n)
	}
}

// endless is a stream of spaces that never ends.
type endless struct{ n int }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	e.n += len(p)
	return len(p), nil
}

var _ io.Reader = (*endless)(nil)
