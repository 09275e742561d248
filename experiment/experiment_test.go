package experiment

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"

	"tttexplainer/demo"
	"tttexplainer/gpu"
	"tttexplainer/scenario"
)

// smallExperiment is a spec of name small enough for a test on lavapipe.
func smallExperiment(name string) scenario.ExperimentSpec {
	s := scenario.DefaultExperiment(name)
	switch name {
	case "equivalence":
		s.T = 48
	case "lanes":
		s.Pairs = []int{4, 8, 16, 32, 64}
	case "race":
		s.D, s.T, s.Runs = 32, 256, 1
	case "sweep":
		s.D, s.T, s.Runs, s.Bs = 32, 256, 1, []int{1, 4, 16, 64}
	case "cost":
		s.D, s.Runs, s.MinT, s.MaxT = 32, 1, 128, 1024
	}
	return s
}

func runExperiment(t *testing.T, dev demo.Device, s scenario.ExperimentSpec) *Result {
	t.Helper()
	calls := 0
	r, err := Run(context.Background(), dev, s, func(done, total int, what string) {
		calls++
		if done > total || total < 1 {
			t.Errorf("progress %d of %d (%s)", done, total, what)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls < 2 {
		t.Errorf("%s: %d progress reports", s.Name, calls)
	}
	t.Logf("%s on %s %s in %.1f s: %v", s.Name, r.Backend, r.Adapter, r.Seconds, r.Summary)
	return r
}

func table(t *testing.T, r *Result, prefix string) *Table {
	t.Helper()
	for i := range r.Tables {
		if strings.HasPrefix(r.Tables[i].Name, prefix) {
			return &r.Tables[i]
		}
	}
	t.Fatalf("%s: no table %q", r.Experiment, prefix)
	return nil
}

// tableOf is table, with rows rows (what says what they are).
func tableOf(t *testing.T, r *Result, prefix string, rows int, what string) *Table {
	t.Helper()
	tab := table(t, r, prefix)
	if len(tab.Rows) != rows {
		t.Fatalf("%s: %d rows, want %d (%s)", prefix, len(tab.Rows), rows, what)
	}
	return tab
}

// checkExperiments runs every experiment on a device and checks the claims.
func checkExperiments(t *testing.T, dev demo.Device) {
	t.Run("equivalence", func(t *testing.T) {
		r := runExperiment(t, dev, smallExperiment("equivalence"))
		for _, k := range []string{"linear_attention_max_diff", "delta_rule_max_diff", "softmax_attention_max_diff"} {
			if v, ok := r.Summary[k]; !ok || v > 1e-4 {
				t.Errorf("%s = %v, want ≤ 1e-4", k, v)
			}
		}
		abl := tableOf(t, r, "ablation", len(ablationPath), "one per step of the path")
		for i, row := range abl.Rows {
			if i > 0 && row[2] < 1e-3 {
				t.Errorf("ablation step %q changed the output by %v: the toggle did nothing", abl.Labels[i], row[2])
			}
			if row[3] > 1e-3 {
				t.Errorf("ablation step %q: device and CPU differ by %v", abl.Labels[i], row[3])
			}
		}
		if abl.Rows[0][1] > 1e-4 || abl.Rows[len(abl.Rows)-1][1] < 1e-2 {
			t.Errorf("distance from linear attention: %v at the bare step, %v at the full layer", abl.Rows[0][1], abl.Rows[len(abl.Rows)-1][1])
		}
	})
	t.Run("lanes", func(t *testing.T) {
		s := smallExperiment("lanes")
		r := runExperiment(t, dev, s)
		acc := tableOf(t, r, "recall", len(s.Pairs), "one per setting")
		for _, row := range acc.Rows {
			n := int(row[0])
			if n <= s.D && (row[3] != 1 || row[4] != 1) {
				t.Errorf("%d pairs ≤ d = %d: linear attention %v, delta rule %v, want perfect recall", n, s.D, row[3], row[4])
			}
			if n >= 4*s.D && row[4] > 0.5 {
				t.Errorf("%d pairs in a %d×%d state: delta rule recall %v, want the capacity to show", n, s.D, s.D, row[4])
			}
			if n == 8 && row[1] < 0.5 {
				t.Errorf("TTT-Linear recalls %v of 8 pairs, want ≥ 0.5", row[1])
			}
		}
		// The delta rule overwrites: at the largest n it forgets the oldest pairs first.
		pq := table(t, r, "per-question")
		n := len(pq.Rows)
		var old, recent float64
		for i := range n / 4 {
			old += pq.Rows[i][4]
			recent += pq.Rows[n-1-i][4]
		}
		if old <= recent {
			t.Errorf("delta rule: loss on the oldest quarter %v ≤ the newest %v, want it to forget the old ones", old, recent)
		}
	})
	t.Run("race", func(t *testing.T) {
		r := runExperiment(t, dev, smallExperiment("race"))
		if r.Summary["max_diff"] > 1e-4 {
			t.Errorf("the race's forms differ by %v, want ≤ 1e-4", r.Summary["max_diff"])
		}
		want := 4
		if dev.Name() != "cpu" {
			want = 8
		}
		tab := tableOf(t, r, "race", want, "one per form and device")
		for i, row := range tab.Rows {
			if !(row[0] > 0) {
				t.Errorf("%s: %v µs per token", tab.Labels[i], row[0])
			}
		}
		if _, ok := r.Summary["dual_over_primal_speedup_"+dev.Name()]; !ok {
			t.Errorf("no dual/primal ratio for %s", dev.Name())
		}
	})
	t.Run("sweep", func(t *testing.T) {
		s := smallExperiment("sweep")
		r := runExperiment(t, dev, s)
		tab := tableOf(t, r, "mini-batch", len(s.Bs), "one sweep point per b")
		for i, row := range tab.Rows {
			if int(row[0]) != s.Bs[i] || !(row[1] > 0) || !(row[2] < row[3]) {
				t.Errorf("b = %v: %v µs per token, final loss %v against %v at W0: want time > 0 and a loss below W0's", row[0], row[1], row[2], row[3])
			}
		}
	})
	t.Run("cost", func(t *testing.T) {
		s := smallExperiment("cost")
		r := runExperiment(t, dev, s)
		tab := tableOf(t, r, "cost", 4, "cost points for T = 128…1024")
		// The times themselves are measurements (docs/BENCHMARKS.md), not
		// something a test on a shared machine can assert: their shape, and
		// the work done. As T doubles, TTT's mini-batches double (the same
		// work per token) while softmax attention's (query, key) pairs
		// about quadruple (twice the work per token).
		for i, row := range tab.Rows {
			T := 128 << i
			if int(row[0]) != T || !(row[1] > 0) || !(row[2] > 0) || math.IsInf(row[1], 0) || math.IsInf(row[2], 0) {
				t.Errorf("cost row %d: %v, want T = %d and two finite times > 0", i, row, T)
			}
			if len(row) != 7 {
				t.Fatalf("cost row %d has %d columns, want the times and four counts of work", i, len(row))
			}
			if row[3] != float64(T) || row[5] != float64(T) {
				t.Errorf("T = %d: TTT wrote %v tokens and softmax attention %v, want %d each", T, row[3], row[5], T)
			}
			if row[4] != float64(T/s.B) || row[6] != float64(T*(T+1)/2) {
				t.Errorf("T = %d: %v mini-batches and %v (query, key) pairs, want %d and %d", T, row[4], row[6], T/s.B, T*(T+1)/2)
			}
			if i > 0 {
				prev := tab.Rows[i-1]
				if row[4]/row[0] != prev[4]/prev[0] || !(row[6]/row[0] > 1.9*prev[6]/prev[0]) {
					t.Errorf("T %v → %v: mini-batches per token %v → %v (want equal), pairs per token %v → %v (want about double)",
						prev[0], row[0], prev[4]/prev[0], row[4]/row[0], prev[6]/prev[0], row[6]/row[0])
				}
			}
		}
		for _, k := range []string{"ttt_exponent", "softmax_exponent"} {
			if e, ok := r.Summary[k]; !ok || math.IsNaN(e) || math.IsInf(e, 0) {
				t.Errorf("summary %s = %v, want a fitted exponent", k, e)
			}
		}
	})
}

func TestExperimentsCPU(t *testing.T) { checkExperiments(t, demo.CPU{}) }

func TestExperimentsGPU(t *testing.T) { checkExperiments(t, openGPU(t)) }

func openGPU(t *testing.T) demo.Device {
	t.Helper()
	dev, msg, err := demo.OpenWebGPU()
	if err != nil {
		if os.Getenv("TTT_REQUIRE_GPU") == "1" {
			t.Fatalf("TTT_REQUIRE_GPU=1 but the GPU is unusable: %v", err)
		}
		t.Skipf("no usable GPU: %v", err)
	}
	t.Log(msg)
	t.Cleanup(dev.(demo.GPUDevice).Close)
	return dev
}

// TestRegistry: every experiment of scenario.ExperimentKinds runs here, and
// each has a title, a description and defaults that validate.
func TestRegistry(t *testing.T) {
	all := All()
	if len(all) != len(scenario.ExperimentKinds) || len(registry) != len(all) {
		t.Fatalf("%d experiments listed, %d registered, %d kinds in scenario", len(all), len(registry), len(scenario.ExperimentKinds))
	}
	for i, e := range all {
		if e.Name != scenario.Experiments[i] {
			t.Errorf("experiment %d is %q, want %q (page order)", i, e.Name, scenario.Experiments[i])
		}
		if e.Title == "" || len(e.Description) < 80 || registry[e.Name].run == nil {
			t.Errorf("%s: title %q, a description of %d bytes, run set %v; want all three", e.Name, e.Title, len(e.Description), registry[e.Name].run != nil)
		}
		if err := e.Defaults.Validate(); err != nil || e.Defaults.Name != e.Name {
			t.Errorf("%s: defaults %+v: %v", e.Name, e.Defaults, err)
		}
	}
}

// TestWidestHead: an experiment at the widest head it may ask for runs on
// the GPU, and that head is within what the kernels accept. Lanes runs
// every kind of kernel the experiments use (TTT-Linear, TTT-MLP, linear
// attention, the bare learner).
func TestWidestHead(t *testing.T) {
	if scenario.MaxExpD > gpu.MaxDMLP {
		t.Fatalf("scenario.MaxExpD = %d, but the TTT-MLP kernels take d ≤ gpu.MaxDMLP = %d", scenario.MaxExpD, gpu.MaxDMLP)
	}
	s := scenario.DefaultExperiment("lanes")
	s.D, s.Pairs = scenario.MaxExpD, []int{scenario.MaxExpD}
	runExperiment(t, openGPU(t), s)
}

func TestExperimentCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	reports := 0
	_, err := Run(ctx, demo.CPU{}, smallExperiment("lanes"), func(done, total int, _ string) {
		reports++
		if done == 2 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled run: %v, want context.Canceled", err)
	}
	if reports != 2 {
		t.Errorf("the run went on for %d reports after the cancel at 2", reports)
	}
}

func TestExperimentExport(t *testing.T) {
	r := runExperiment(t, demo.CPU{}, smallExperiment("sweep"))
	rows, err := csv.NewReader(strings.NewReader(string(r.CSV()))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := 1 + len(r.Summary)
	for _, tb := range r.Tables {
		want += len(tb.Rows) * len(tb.Columns)
	}
	if len(rows) != want || strings.Join(rows[0], ",") != "experiment,table,row,column,value" {
		t.Fatalf("CSV: %d lines, header %v; want %d", len(rows), rows[0], want)
	}
	if rows[1][0] != "sweep" || rows[1][2] != "b = 1" || rows[1][3] != "b" || rows[1][4] != "1" {
		t.Errorf("first CSV record %v", rows[1])
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back Result
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back.Tables, r.Tables) {
		t.Errorf("JSON round trip: %v", err)
	}
}

func TestRunValidates(t *testing.T) {
	if _, err := Run(context.Background(), demo.CPU{}, scenario.ExperimentSpec{Name: "race"}, nil); err == nil || !strings.Contains(err.Error(), "experiment.d") {
		t.Errorf("running an empty race spec: %v, want an error naming experiment.d", err)
	}
}

func TestParse(t *testing.T) {
	s, err := Parse("sweep", []byte(`{"t": 64, "bs": [2, 4], "runs": 1}`))
	if err != nil || s.T != 64 || !reflect.DeepEqual(s.Bs, []int{2, 4}) || s.D != scenario.DefaultExperiment("sweep").D {
		t.Fatalf("Parse = %+v, %v", s, err)
	}
	for _, tc := range []struct{ name, params, field string }{
		{"magic", ``, "experiment.name"},
		{"race", `{"t": "long"}`, "experiment.t"},
		{"race", `{"colour": 1}`, "experiment.colour"},
		{"race", `{"name": "cost"}`, "experiment.name"},
		{"race", `{"t": 1e12}`, "experiment.t"},
		{"race", `[1]`, "experiment"},
		{"cost", `{"max_t": 100000}`, "experiment.max_t"},
		{"race", `{"d": null}`, "experiment.d"},
	} {
		_, err := Parse(tc.name, []byte(tc.params))
		var fe *scenario.FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("Parse(%q, %s) = %v; want an error naming %s", tc.name, tc.params, err, tc.field)
		}
	}
}
