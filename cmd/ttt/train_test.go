package main

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"tttexplainer/lm"
)

// trainText is a small training text for the command's tests, so they do
// not need the npm data set.
const trainText = "It is not down on any map; true places never are. Call me Ishmael. "

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// tinyTrain are flags for a run of a second or so.
func tinyTrain(data string) []string {
	return []string{"train", "-data", data, "-steps", "3", "-warmup", "1", "-batch", "2", "-context", "32", "-d", "16", "-heads", "2", "-layers", "1", "-ffn", "16", "-b", "4", "-val-windows", "2"}
}

// TestTrainRuns: a tiny run trains, checkpoints, writes weights that -eval
// reads back, and resumes from its checkpoint.
func TestTrainRuns(t *testing.T) {
	data := writeTemp(t, "text.txt", []byte(strings.Repeat(trainText, 40)))
	dir := t.TempDir()
	weights, ckpt := filepath.Join(dir, "w.safetensors"), filepath.Join(dir, "c.ckpt")
	stdout, stderr, code := runMain(t, append(tinyTrain(data), "-out", weights, "-checkpoint", ckpt, "-every", "2")...)
	if code != 0 || !strings.Contains(stdout, "bits/char") || !strings.Contains(stderr, "step 3/3") {
		t.Fatalf("train: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	stdout, stderr, code = runMain(t, "train", "-eval", weights, "-data", data)
	if code != 0 || !strings.Contains(stdout, "loss by position") {
		t.Fatalf("train -eval: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	if _, stderr, code = runMain(t, "train", "-resume", "-checkpoint", ckpt, "-data", data); code != 0 {
		t.Fatalf("train -resume: exit %d: %s", code, stderr)
	}
}

// TestTrainBadInput: every bad input is one error line naming the problem, exit 1.
func TestTrainBadInput(t *testing.T) {
	data := writeTemp(t, "text.txt", []byte(strings.Repeat(trainText, 40)))
	corrupt := writeTemp(t, "corrupt.safetensors", []byte("\x10\x00\x00\x00\x00\x00\x00\x00{not json}      "))
	short := writeTemp(t, "short.safetensors", []byte{1, 2, 3})
	foreign := writeTemp(t, "foreign.txt", []byte("naïve café"))
	dir := t.TempDir()
	w := filepath.Join(dir, "w.safetensors")
	if _, stderr, code := runMain(t, append(tinyTrain(data), "-out", w)...); code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	whole, _ := os.ReadFile(w)
	truncated := writeTemp(t, "truncated.safetensors", whole[:len(whole)-10])
	tensors, meta, err := lm.ReadSafetensors(whole)
	if err != nil {
		t.Fatal(err)
	}
	meta["config"] = strings.Replace(meta["config"], `"D":16`, `"D":1024`, 1)
	var named []*lm.Tensor
	for _, name := range slices.Sorted(maps.Keys(tensors)) {
		named = append(named, tensors[name])
	}
	var huge bytes.Buffer
	if err := lm.WriteSafetensors(&huge, named, meta); err != nil {
		t.Fatal(err)
	}
	claims := writeTemp(t, "claims.safetensors", huge.Bytes())
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"train", "-bogus"}, "flag provided but not defined"},
		{[]string{"train", "-steps", "0"}, "steps = 0"},
		{[]string{"train", "-steps", "ten"}, "invalid value"},
		{[]string{"train", "-d", "100000"}, "width D = 100000"},
		{[]string{"train", "-heads", "3"}, "heads H = 3"},
		{[]string{"train", "-context", "1"}, "context = 1"},
		{[]string{"train", "-lr", "-1"}, "learning rate -1"},
		{[]string{"train", "-mixer", "rnn"}, `unknown mixer "rnn"`},
		{[]string{"train", "-data", filepath.Join(dir, "missing.txt")}, "training text"},
		{[]string{"train", "-data", foreign}, `character 'ï'`},
		{append(tinyTrain(data), "-context", "4096"), "want at least context + 1"},
		{[]string{"train", "-resume"}, "-resume needs -checkpoint"},
		{[]string{"train", "-resume", "-checkpoint", corrupt, "-data", data}, "header"},
		{[]string{"train", "-resume", "-checkpoint", w, "-data", data}, "__metadata__ step"},
		{[]string{"train", "-eval", short, "-data", data}, "too short"},
		{[]string{"train", "-eval", corrupt, "-data", data}, "header"},
		{[]string{"train", "-eval", truncated, "-data", data}, "data_offsets"},
		{[]string{"train", "-eval", claims, "-data", data}, `tensor "embed" has shape [83 16], want [83 1024]`},
		{[]string{"train", "-eval", filepath.Join(dir, "none.safetensors")}, "weights"},
	} {
		stdout, stderr, code := runMain(t, c.args...)
		lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
		if code != 1 || len(lines) != 1 || !strings.Contains(stderr, c.want) || !strings.HasPrefix(stderr, "ttt train: ") || stdout != "" {
			t.Errorf("ttt %s: exit %d, stderr %q, stdout %q; want exit 1 and one line containing %q", strings.Join(c.args, " "), code, stderr, stdout, c.want)
		}
	}
}

// TestTrainHelp: -h prints the flags on stdout and exits 0, like the other commands.
func TestTrainHelp(t *testing.T) {
	stdout, stderr, code := runMain(t, "train", "-h")
	if code != 0 || !strings.Contains(stdout, "-shareqk") || !strings.Contains(stdout, "-steps") || stderr != "" {
		t.Errorf("ttt train -h: exit %d, stdout %q, stderr %q; want exit 0 and the flags on stdout", code, stdout, stderr)
	}
}
