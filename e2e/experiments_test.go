//go:build !js

package e2e

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The experiments in the browser: each runs through window.ttt on
// SwiftShader's WebGPU and on the CPU backend with small parameters, and
// its numbers are checked; a run is cancelled; the CSV export is read back;
// a link and a saved scenario's embed reproduce an experiment.

type expResult struct {
	Experiment string             `json:"experiment"`
	Backend    string             `json:"backend"`
	Adapter    string             `json:"adapter"`
	Summary    map[string]float64 `json:"summary"`
	Spec       map[string]any     `json:"spec"`
	Seconds    float64            `json:"seconds"`
	Query      string             `json:"query"`
	Tables     []struct {
		Name    string      `json:"name"`
		Columns []string    `json:"columns"`
		Labels  []string    `json:"labels"`
		Rows    [][]float64 `json:"rows"`
	} `json:"tables"`
}

// rows returns the rows of the result's table whose name starts with prefix.
func (r *expResult) rows(t *testing.T, prefix string) [][]float64 {
	t.Helper()
	for _, tb := range r.Tables {
		if strings.HasPrefix(tb.Name, prefix) {
			return tb.Rows
		}
	}
	t.Fatalf("%s: no table %q", r.Experiment, prefix)
	return nil
}

// smallParams keep each experiment to a few seconds on SwiftShader.
var smallParams = map[string]string{
	"equivalence": `{d: 16, t: 32}`,
	"lanes":       `{d: 8, pairs: [4, 8, 32]}`,
	"race":        `{d: 16, t: 128, b: 16, runs: 1}`,
	"sweep":       `{d: 16, t: 128, bs: [1, 8, 32], runs: 1}`,
	"cost":        `{d: 16, b: 16, runs: 1, min_t: 64, max_t: 512}`,
}

func TestExperiments(t *testing.T) {
	srv := servePage(t)
	ctx := browser(t, true)
	openWebGPU(t, ctx, srv.URL+"/?autoplay=0&backend=gpu")
	t.Run("api", func(t *testing.T) {
		// The panel's list is the Go registry's, texts and defaults included.
		info := eval[[]struct {
			Name, Title, Description string
			Defaults                 map[string]any
		}](t, ctx, `ttt.experimentInfo()`)
		names := eval[[]string](t, ctx, `ttt.experiments`)
		if len(info) != 5 || len(names) != 5 || names[0] != "equivalence" {
			t.Fatalf("experimentInfo: %d experiments, names %v; want the 5 of the registry", len(info), names)
		}
		for _, e := range info {
			if e.Title == "" || e.Description == "" || e.Defaults["name"] != e.Name {
				t.Errorf("experimentInfo %s: %+v", e.Name, e)
			}
		}
		if got := eval[string](t, ctx, `document.getElementById("lab-tab-lanes").textContent`); got != info[1].Title {
			t.Errorf("the lanes tab reads %q, want the registry's title %q", got, info[1].Title)
		}
		// "webgpu" is the GPU backend's name in setConfig too, as in setBackend and replay.
		got := eval[string](t, ctx, `ttt.setConfig({backend: "webgpu"}).then(() => ttt.state().scenario.backend, (e) => "refused: " + e.message)`)
		if got != "gpu" {
			t.Errorf(`setConfig({backend: "webgpu"}): %s, want the scenario on gpu`, got)
		}
	})

	run := func(t *testing.T, name, backend string) expResult {
		t.Helper()
		start := time.Now()
		res := eval[expResult](t, ctx, fmt.Sprintf(`ttt.experiment(%q, %s, {backend: %q})`, name, smallParams[name], backend))
		t.Logf("%s on %s (%s): %.1f s, %v", name, res.Backend, res.Adapter, time.Since(start).Seconds(), res.Summary)
		if want := map[string]string{"webgpu": "webgpu", "cpu": "cpu"}[backend]; res.Backend != want || res.Experiment != name {
			t.Fatalf("%s on %s: ran %s on %s", name, backend, res.Experiment, res.Backend)
		}
		p := eval[map[string]any](t, ctx, `ttt.experimentProgress()`)
		if p["running"] != false || p["total"].(float64) < 1 || p["done"] != p["total"] {
			t.Errorf("%s: progress after the run %v", name, p)
		}
		return res
	}
	for _, backend := range []string{"webgpu", "cpu"} {
		t.Run(backend, func(t *testing.T) {
			eq := run(t, "equivalence", backend)
			for _, k := range []string{"linear_attention_max_diff", "delta_rule_max_diff", "softmax_attention_max_diff"} {
				if v, ok := eq.Summary[k]; !ok || v > 1e-4 {
					t.Errorf("equivalence: %s = %v, want ≤ 1e-4", k, v)
				}
			}
			if n := len(eq.rows(t, "ablation")); n != 6 {
				t.Errorf("equivalence: %d ablation steps, want 6", n)
			}

			lanes := run(t, "lanes", backend)
			rec := lanes.rows(t, "recall")
			if len(rec) != 3 {
				t.Fatalf("lanes: %d recall points, want one per setting (3)", len(rec))
			}
			for _, row := range rec {
				if row[0] <= 8 && (row[3] != 1 || row[4] != 1) {
					t.Errorf("lanes: %v pairs in an 8×8 state: linear attention %v, delta rule %v, want all recalled", row[0], row[3], row[4])
				}
				if row[0] == 32 && row[4] > 0.5 {
					t.Errorf("lanes: the delta rule recalls %v of 32 pairs in an 8×8 state", row[4])
				}
			}

			race := run(t, "race", backend)
			if race.Summary["max_diff"] > 1e-4 {
				t.Errorf("race: the forms' outputs differ by %v, want ≤ 1e-4", race.Summary["max_diff"])
			}
			want := map[string]int{"webgpu": 8, "cpu": 4}[backend]
			if n := len(race.rows(t, "race")); n != want {
				t.Errorf("race: %d rows, want %d (4 forms on each backend)", n, want)
			}
			if !(race.Summary["dual_over_primal_speedup_"+backend] > 0) {
				t.Errorf("race: no dual/primal ratio for %s: %v", backend, race.Summary)
			}

			sweep := run(t, "sweep", backend)
			pts := sweep.rows(t, "mini-batch")
			if len(pts) != 3 {
				t.Fatalf("sweep: %d points, want one per b (3)", len(pts))
			}
			for i, b := range []float64{1, 8, 32} {
				if pts[i][0] != b || !(pts[i][1] > 0) || !(pts[i][2] < pts[i][3]) {
					t.Errorf("sweep point %d: %v, want b = %v, time > 0 and a loss below W0's", i, pts[i], b)
				}
			}

			cost := run(t, "cost", backend)
			cp := cost.rows(t, "cost")
			if len(cp) != 4 {
				t.Fatalf("cost: %d points for T = 64…512, want 4", len(cp))
			}
			for _, row := range cp {
				if !(row[1] > 0 && row[2] > 0) {
					t.Errorf("cost at T = %v: %v", row[0], row)
				}
			}
		})
	}

	t.Run("errors", func(t *testing.T) {
		for script, field := range map[string]string{
			`ttt.experiment("magic")`:                           "experiment.name",
			`ttt.experiment("race", {t: 0})`:                    "experiment.t",
			`ttt.experiment("race", {colour: 1})`:               "experiment.colour",
			`ttt.experiment("cost", {max_t: 1e6})`:              "experiment.max_t",
			`ttt.experiment("race", {}, {backend: "tpu"})`:      "backend",
			`ttt.experiment("sweep", {bs: [1, "x"]})`:           "experiment.bs",
			`ttt.experiment("equivalence", {d: Number("NaN")})`: "experiment.d",
		} {
			msg := eval[string](t, ctx, script+`.then(() => "resolved", (e) => e.message)`)
			if !strings.Contains(msg, field) {
				t.Errorf("%s: %q, want an error naming %s", script, msg, field)
			}
		}
	})

	t.Run("cancel", func(t *testing.T) {
		out := eval[map[string]any](t, ctx, `(async () => {
			const p = ttt.experiment("cost", {d: 64, min_t: 256, max_t: 8192, runs: 3}, {backend: "cpu"}).then(() => "finished", (e) => e.message);
			while (ttt.experimentProgress().done < 1) await new Promise((r) => setTimeout(r, 10));
			const was = await ttt.cancel();
			const t0 = performance.now();
			const msg = await p;
			return {was, msg, ms: performance.now() - t0, progress: ttt.experimentProgress()};
		})()`)
		t.Logf("cancel: %v", out)
		if out["was"] != true || out["msg"] != "cancelled" || out["ms"].(float64) > 10000 {
			t.Errorf("cancelling a run: %v, want it to stop with \"cancelled\"", out)
		}
		if again := eval[bool](t, ctx, `ttt.cancel()`); again {
			t.Error("ttt.cancel() with nothing running reports that it cancelled something")
		}
	})

	t.Run("export", func(t *testing.T) {
		res := eval[expResult](t, ctx, `ttt.experiment("sweep", {d: 16, t: 64, bs: [2, 4], runs: 1}, {backend: "cpu"})`)
		text := eval[string](t, ctx, `ttt.experimentCSV()`)
		recs, err := csv.NewReader(strings.NewReader(text)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		want := 1 + len(res.Summary)
		for _, tb := range res.Tables {
			want += len(tb.Rows) * len(tb.Columns)
		}
		if len(recs) != want || strings.Join(recs[0], ",") != "experiment,table,row,column,value" {
			t.Fatalf("CSV: %d records, header %v; want %d", len(recs), recs[0], want)
		}
		if recs[1][0] != "sweep" || recs[1][2] != "b = 2" || recs[1][4] != "2" {
			t.Errorf("CSV's first record %v", recs[1])
		}
		// The page's buttons: the result is drawn and the downloads are enabled once a run ends.
		eval[bool](t, ctx, `document.getElementById("lab-tab-sweep").click(), document.getElementById("lab-backend").value = "cpu", true`)
		eval[bool](t, ctx, `document.getElementById("lab-status").textContent = "", document.getElementById("lab-run").click(), true`)
		// The tab shows the earlier sweep's result at once; wait for this
		// run's end (its "Done" line), which would otherwise overwrite the
		// saved link below.
		waitJS(t, ctx, `/^Done/.test(document.getElementById("lab-status").textContent) && !document.getElementById("lab-json").disabled && document.querySelector("#lab-result svg.lab-chart") !== null`)
		// Save short link: the status line shows the /s/ link it copied.
		eval[bool](t, ctx, `document.getElementById("lab-save").click(), true`)
		waitJS(t, ctx, `/\/s\/[A-Za-z0-9_-]{22}$/.test(document.getElementById("lab-status").textContent)`)
		// The sweep's points carry their b.
		waitJS(t, ctx, `!document.getElementById("lab-run").disabled`)
		labels := eval[[]string](t, ctx, `[...document.querySelectorAll("#lab-result svg .lab-point")].map((e) => e.textContent)`)
		bs := eval[[]float64](t, ctx, `ttt.lastExperiment().tables[0].rows.map((r) => r[0])`)
		if len(labels) != len(bs) || len(bs) == 0 || labels[0] != fmt.Sprintf("b = %v", bs[0]) {
			t.Errorf("the sweep chart's point labels %q, want one per b of %v", labels, bs)
		}
	})

	t.Run("link", func(t *testing.T) {
		open(t, ctx, srv.URL+"/?autoplay=0&exp=sweep&x.d=16&x.t=64&x.bs=1,16&x.runs=1")
		waitJS(t, ctx, `ttt.lastExperiment() !== null`)
		res := eval[expResult](t, ctx, `ttt.lastExperiment()`)
		if res.Experiment != "sweep" || res.Spec["t"] != 64.0 || len(res.rows(t, "mini-batch")) != 2 {
			t.Errorf("the link ran %s with %v", res.Experiment, res.Spec)
		}
		if !strings.Contains(res.Query, "exp=sweep") || !strings.Contains(res.Query, "x.t=64") {
			t.Errorf("the result's query %q does not reproduce the link", res.Query)
		}
	})

	t.Run("autostart", func(t *testing.T) {
		// A link asking for more than the default run is capped until Run is pressed.
		open(t, ctx, srv.URL+"/?autoplay=0&exp=lanes&x.d=8&x.pairs=4,128")
		waitJS(t, ctx, `ttt.lastExperiment() !== null`)
		res := eval[expResult](t, ctx, `ttt.lastExperiment()`)
		if pairs, _ := res.Spec["pairs"].([]any); len(pairs) != 1 || pairs[0] != 4.0 {
			t.Errorf("the autostarted lanes ran pairs %v, want [4] (128 is above the default's largest, 64)", res.Spec["pairs"])
		}
		if status := eval[string](t, ctx, `document.getElementById("lab-status").textContent`); !strings.Contains(status, "capped for autostart") {
			t.Errorf("status %q, want it to say the run was capped", status)
		}
		// A tab shows only its own experiment's last result: cost has none in this page.
		eval[bool](t, ctx, `document.getElementById("lab-tab-cost").click(), true`)
		if shown := eval[string](t, ctx, `document.getElementById("lab-result").textContent + (document.getElementById("lab-json").disabled ? "" : " (downloads enabled)")`); shown != "" {
			t.Errorf("the cost tab, never run in this page, shows %.80q", shown)
		}
		eval[bool](t, ctx, `document.getElementById("lab-tab-lanes").click(), true`)
		if head := eval[string](t, ctx, `(document.getElementById("lab-headline") || {}).textContent || ""`); !strings.Contains(head, "Recall of 4 pairs") {
			t.Errorf("back on the lanes tab, the headline is %q, want the lanes run's", head)
		}
	})

	t.Run("embed", func(t *testing.T) {
		body := `{"experiment": {"name": "equivalence", "d": 8, "t": 16, "seed": 5}}`
		resp, err := http.Post(srv.URL+"/api/scenarios", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var saved struct {
			URL      string `json:"url"`
			EmbedURL string `json:"embed_url"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&saved); err != nil || resp.StatusCode != http.StatusCreated {
			t.Fatalf("saving an experiment scenario: %d, %v", resp.StatusCode, err)
		}
		embed := saved.EmbedURL
		if !strings.HasPrefix(embed, "http") {
			embed = srv.URL + embed
		}
		open(t, ctx, embed)
		waitJS(t, ctx, `ttt.lastExperiment() !== null`)
		res := eval[expResult](t, ctx, `ttt.lastExperiment()`)
		if res.Experiment != "equivalence" || res.Spec["seed"] != 5.0 || res.Summary["linear_attention_max_diff"] > 1e-4 {
			t.Errorf("the embed ran %s with %v: %v", res.Experiment, res.Spec, res.Summary)
		}
		if shown := eval[bool](t, ctx, `!document.getElementById("lab").hidden && document.getElementById("lab-headline") !== null`); !shown {
			t.Error("the embed does not show the experiment's panel")
		}
	})
}

// waitJS polls a JavaScript condition for up to a minute.
func waitJS(t *testing.T, ctx context.Context, cond string) {
	t.Helper()
	ok, err := chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(60*time.Second)))
	if err != nil || !ok {
		t.Fatalf("waiting for %s: %v", cond, err)
	}
}

// TestExperimentsBench prints the page's default race, sweep and cost
// curve as measured in Chromium on SwiftShader (docs/BENCHMARKS.md). It is
// slow (minutes), so it runs only with TTT_EXP_BENCH=1.
func TestExperimentsBench(t *testing.T) {
	if os.Getenv("TTT_EXP_BENCH") != "1" {
		t.Skip("set TTT_EXP_BENCH=1 to measure the experiments in the browser")
	}
	srv := servePage(t)
	ctx := browser(t, true)
	open(t, ctx, srv.URL+"/?autoplay=0")
	for _, name := range []string{"race", "sweep", "cost"} {
		for _, backend := range []string{"webgpu", "cpu"} {
			tctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
			res, err := chromedp.Run(tctx, chromedp.Evaluate[expResult](fmt.Sprintf(`ttt.experiment(%q, {}, {backend: %q})`, name, backend), chromedp.EvalAwaitPromise))
			cancel()
			if err != nil {
				t.Fatalf("%s on %s: %v", name, backend, err)
			}
			t.Logf("%s on %s (%s), %.1f s: %v", name, res.Backend, res.Adapter, res.Seconds, res.Summary)
			for _, tb := range res.Tables {
				t.Logf("  %s: %v", tb.Name, tb.Columns)
				for i, row := range tb.Rows {
					t.Logf("    %-24s %.4g", tb.Labels[i], row)
				}
			}
		}
	}
}
