package experiment

import (
	"bytes"
	"encoding/csv"
	"maps"
	"slices"
	"strconv"

	"tttexplainer/scenario"
)

// Result is what an experiment measured: named tables of numbers (the chart
// and the CSV), a summary of the numbers the claim is about, and notes that
// say what produced them.
type Result struct {
	Experiment string                  `json:"experiment"`
	Spec       scenario.ExperimentSpec `json:"spec"`
	Backend    string                  `json:"backend"`  // "webgpu" or "cpu": where the device columns ran
	Adapter    string                  `json:"adapter"`  // the GPU adapter, "" for the CPU
	Headline   string                  `json:"headline"` // the claim's numbers in one sentence, for the panel
	Summary    map[string]float64      `json:"summary"`
	Tables     []Table                 `json:"tables"`
	Notes      []string                `json:"notes"`
	Seconds    float64                 `json:"seconds"` // wall time of the whole run
	Query      string                  `json:"query"`   // the page URL's query that reproduces the run
}

// Table is one set of measurements: a row per setting, a column per quantity.
// Chart, when set, says which columns to plot against the first.
type Table struct {
	Name    string      `json:"name"`
	Columns []string    `json:"columns"`
	Labels  []string    `json:"labels"` // one per row
	Rows    [][]float64 `json:"rows"`
	Chart   *Chart      `json:"chart,omitempty"`
}

// Chart describes how the page plots a table: columns Y against column X.
// PointLabel, when ≥ 0, is the column whose value labels each point (the
// sweep's b, whose points are not in order of X).
type Chart struct {
	X          int    `json:"x"`
	Y          []int  `json:"y"`
	LogX       bool   `json:"log_x"`
	LogY       bool   `json:"log_y"`
	YLab       string `json:"y_label"`
	PointLabel *int   `json:"point_label,omitempty"`
}

func (t *Table) add(label string, row ...float64) {
	t.Labels = append(t.Labels, label)
	t.Rows = append(t.Rows, row)
}

// CSV writes every table in long form, one number a line:
// experiment,table,row,column,value.
func (r *Result) CSV() []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"experiment", "table", "row", "column", "value"})
	for _, t := range r.Tables {
		for i, row := range t.Rows {
			for j, v := range row {
				w.Write([]string{r.Experiment, t.Name, t.Labels[i], t.Columns[j], strconv.FormatFloat(v, 'g', -1, 64)})
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(r.Summary)) {
		w.Write([]string{r.Experiment, "summary", k, "value", strconv.FormatFloat(r.Summary[k], 'g', -1, 64)})
	}
	w.Flush()
	return buf.Bytes()
}
