package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"tttexplainer/ttt"
	"tttexplainer/ttt/golden"
)

// TestMain lets a test run the real command in a child process: with
// TTT_RUN_MAIN=1 the test binary is the ttt command.
func TestMain(m *testing.M) {
	if os.Getenv("TTT_RUN_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func runMain(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runMainIn(t, nil, args...)
}

// runMainIn is runMain with stdin (nil: none).
func runMainIn(t *testing.T, stdin io.Reader, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "TTT_RUN_MAIN=1")
	cmd.Stdin = stdin
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

func writeCase(t *testing.T, data string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "case.json")
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// edit decodes the seed head case, applies f to it and re-encodes it.
func edit(t *testing.T, f func(c map[string]any)) string {
	t.Helper()
	data, err := os.ReadFile("testdata/head.json")
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	f(c)
	out, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func inputs(c map[string]any) map[string]any { return c["inputs"].(map[string]any) }

func TestReplayBadInput(t *testing.T) {
	valid, err := os.ReadFile("testdata/head.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, data, want string
	}{
		{"truncated JSON", `{"kind": "linear",`, "not valid JSON: the file ends in the middle of a value"},
		{"bad JSON", "{\n  \"kind\": linear\n}", "not valid JSON at line 2, column 11"},
		{"empty", ``, "empty file"},
		{"not an object", `[1, 2]`, "case: want an object"},
		{"trailing data", string(valid) + "{}", "more data after"},
		{"missing key", edit(t, func(c map[string]any) { delete(inputs(c)["theta"].(map[string]any), "V") }), "inputs.theta.V: missing"},
		{"wrong shape", edit(t, func(c map[string]any) { inputs(c)["X"].([]any)[1] = []any{1.0, 2.0} }), "inputs.X[1]: want a row of 3 values (T×D), got 2 values"},
		{"wrong row count", edit(t, func(c map[string]any) { c["T"] = 4.0 }), "inputs.X: want a 4×3 matrix (T×D), got 3 rows"},
		{"NaN", strings.Replace(string(valid), `"b_lr":0`, `"b_lr":NaN`, 1), "NaN and Infinity are not JSON numbers"},
		{"Infinity", strings.Replace(string(valid), `"b_lr":0`, `"b_lr":-Infinity`, 1), "NaN and Infinity are not JSON numbers"},
		{"overflow float32", strings.Replace(string(valid), `"b_lr":0`, `"b_lr":1e39`, 1), "inputs.eta_params.b_lr: 1e+39 overflows float32"},
		{"overflow float64", strings.Replace(string(valid), `"b_lr":0`, `"b_lr":1e999`, 1), "inputs.eta_params.b_lr: 1e999 is not a finite number"},
		{"string for number", edit(t, func(c map[string]any) { inputs(c)["eta_params"].(map[string]any)["base_lr"] = "fast" }), `inputs.eta_params.base_lr: want a number, got "fast"`},
		{"T = 0", edit(t, func(c map[string]any) { c["T"] = 0.0 }), "T: 0 is out of range, want 1..1048576"},
		{"b = 0", edit(t, func(c map[string]any) { c["mini_batch_size"] = 0.0 }), "mini_batch_size: 0 is out of range"},
		{"absurd T", edit(t, func(c map[string]any) { c["T"] = 1e12 }), "T: 1000000000000 is out of range"},
		{"absurd d", edit(t, func(c map[string]any) { c["d"] = 1e6 }), "d: 1000000 is out of range, want 1..4096"},
		{"fractional T", edit(t, func(c map[string]any) { c["T"] = 2.5 }), "T: want a whole number, got 2.5"},
		{"unknown kind", edit(t, func(c map[string]any) { c["kind"] = "rnn" }), `kind: "rnn", want "linear" or "mlp"`},
		{"short tau", edit(t, func(c map[string]any) { inputs(c)["eta_params"].(map[string]any)["tau"] = []any{0.0} }), "inputs.eta_params.tau: want at least mini_batch_size = 2 values, got 1"},
		{"no inputs kind", `{"inputs": {"A": 1}}`, "inputs: want X (a head case), U (a layer case) or Q, K, V"},
		{"duplicate key", strings.Replace(string(valid), `"b_lr":0`, `"b_lr":0,"b_lr":1`, 1), "inputs.eta_params.b_lr: duplicate key"},
		{"T×D too large", edit(t, func(c map[string]any) { c["T"], c["D"] = 1e6, 4096.0 }), "T: T×D = 1000000×4096 values, over the limit of 33554432"},
		{"diverges", edit(t, func(c map[string]any) { inputs(c)["eta_params"].(map[string]any)["base_lr"] = 1e38 }), "diverged"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := replay([]string{writeCase(t, tc.data)}, &out)
			if err == nil {
				t.Fatalf("replay succeeded, want an error containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("replay error = %q, want it to contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("replay error spans lines: %q", err)
			}
			if out.Len() != 0 {
				t.Errorf("replay printed %d bytes on failure, want nothing", out.Len())
			}
		})
	}
}

func TestReplayExitCodes(t *testing.T) {
	stdout, stderr, code := runMain(t, "replay", writeCase(t, `{"T": 0`))
	if code != 1 || stdout != "" || !strings.HasPrefix(stderr, "ttt replay: ") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("bad case: exit %d, stdout %q, stderr %q; want exit 1, no output, one line on stderr", code, stdout, stderr)
	}
	_, _, code = runMain(t, "replay", "-backend", "tpu", "testdata/head.json")
	if code != 1 {
		t.Errorf("unknown backend: exit %d, want 1", code)
	}
	_, _, code = runMain(t, "replay")
	if code != 2 {
		t.Errorf("no file: exit %d, want 2 (usage)", code)
	}
	_, _, code = runMain(t, "frobnicate")
	if code != 2 {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
}

// TestReplayHugeStdin: a file over the limit on standard input is refused
// from its size, before it is read: one line on stderr, exit 1.
func TestReplayHugeStdin(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "huge.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(ttt.MaxCaseBytes + 1); err != nil { // sparse
		t.Fatal(err)
	}
	stdout, stderr, code := runMainIn(t, f, "replay", "-")
	want := "ttt replay: stdin: 268435457 bytes, over the 268435456-byte (256 MiB) limit for a case\n"
	if code != 1 || stdout != "" || stderr != want {
		t.Errorf("replay - < a 256 MiB + 1 file: exit %d, stdout %q, stderr %q; want exit 1, no output, %q", code, stdout, stderr, want)
	}
}

// TestReplayGolden replays every golden case as a user would, parses the
// printed JSON and compares it with the case's expected outputs.
func TestReplayGolden(t *testing.T) {
	dir := t.TempDir()
	cases, err := golden.Cases()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		name := c.Name
		p := filepath.Join(dir, name+".json")
		if err := os.WriteFile(p, c.JSON, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, form := range c.Forms() {
			var out bytes.Buffer
			if err := replay([]string{"-form", form.String(), p}, &out); err != nil {
				t.Fatalf("%s %v: %v", name, form, err)
			}
			got, err := ttt.DecodeOutput(out.Bytes())
			if err != nil {
				t.Fatalf("%s %v: printed output does not parse: %v", name, form, err)
			}
			if len(got) != len(c.Want) {
				t.Errorf("%s %v: printed %d arrays, want %d", name, form, len(got), len(c.Want))
			}
			for _, d := range ttt.Compare(got, c.Want, ttt.AbsTol, ttt.RelTol) {
				if !d.OK() {
					t.Errorf("%s %v: %v", name, form, d)
				}
			}
		}
	}
}

func TestReplayNaiveNeedsOnline(t *testing.T) {
	err := replay([]string{"-form", "naive", "testdata/head.json"}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "b = 2") {
		t.Errorf("replay -form naive on a b = 2 case: %v, want an error naming b = 2", err)
	}
}

func TestGPUBackendNotPretending(t *testing.T) {
	be, release, err := openBackend("gpu")
	if err != nil {
		if !strings.Contains(err.Error(), "gpu") {
			t.Errorf("openBackend(gpu) error %q does not name the backend", err)
		}
		return
	}
	defer release()
	if be.Name() == "cpu" {
		t.Error("openBackend(gpu) returned the cpu backend")
	}
}

func TestCheckAndStreamRun(t *testing.T) {
	var out bytes.Buffer
	if err := check(nil, &out); err != nil {
		t.Fatalf("check: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "checks passed") {
		t.Errorf("check output lacks its summary:\n%s", out.String())
	}
	out.Reset()
	if err := stream([]string{"-T", "20"}, &out); err != nil {
		t.Fatal(err)
	}
	if strings.Count(out.String(), "\n") < 20 {
		t.Errorf("stream printed %d lines for 20 tokens", strings.Count(out.String(), "\n"))
	}
}

// TestStreamOptimisers: each inner optimiser streams and learns the
// repeating text (its second half's ℓ(W_t) is lower), and bad settings are
// refused with the setting named.
func TestStreamOptimisers(t *testing.T) {
	for _, o := range []string{"gd", "momentum", "adam"} {
		var out bytes.Buffer
		if err := stream([]string{"-T", "96", "-opt", o, "-wd", "0.01"}, &out); err != nil {
			t.Fatalf("%s: %v", o, err)
		}
		if !strings.Contains(out.String(), "inner optimiser "+o) || !strings.Contains(out.String(), "W is memorising it") {
			t.Errorf("%s: the stream did not say its optimiser or did not learn the text:\n%s", o, out.String())
		}
	}
	for args, want := range map[string]string{
		"-opt adamw":            `unknown inner optimiser "adamw"`,
		"-opt momentum -beta 1": "β = 1",
		"-opt adam -beta -0.5":  "β₁ = -0.5",
		"-wd NaN":               "weight decay) = NaN",
		"-opt momentum -wd 1.5": "weight decay) = 1.5",
	} {
		var out bytes.Buffer
		err := stream(strings.Fields(args), &out)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ttt stream %s: error %v, want one containing %q", args, err, want)
		}
	}
}

func TestBenchJSON(t *testing.T) {
	var out bytes.Buffer
	if err := bench([]string{"-T", "40", "-d", "8", "-b", "4", "-runs", "1", "-json"}, &out); err != nil {
		t.Fatal(err)
	}
	var rs []benchResult
	if err := json.Unmarshal(out.Bytes(), &rs); err != nil {
		t.Fatal(err)
	}
	if len(rs) != len(ttt.Forms) {
		t.Fatalf("bench -form all timed %d forms, want %d", len(rs), len(ttt.Forms))
	}
	for _, r := range rs {
		if !(r.TokensPerSec > 0) || (r.Form == "naive") != (r.B == 1) {
			t.Errorf("bench result %+v: want tokens/s > 0 and b = 1 exactly for naive", r)
		}
	}
	if err := bench([]string{"-T", "0"}, &out); err == nil {
		t.Error("bench -T 0 succeeded, want an error")
	}
}
