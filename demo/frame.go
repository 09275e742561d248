package demo

import (
	"fmt"

	"tttexplainer/scenario"
	"tttexplainer/ttt"
)

// Frame is an immutable picture of a run at one moment: everything the page
// draws and everything window.ttt.state() reports. The stepping goroutine
// makes one after each change and hands it over; readers never lock.
type Frame struct {
	Scenario scenario.Scenario
	Input    string // the input's one-line description
	Tokens   []string
	T, Done  int // tokens in the input, tokens computed
	Pos      int // tokens shown (the scrubber)
	Point    int // the token count whose weights W shows (mini-batch end for primal/dual)
	H, D, B  int // heads, head size d, mini-batch size b
	Playing  bool
	Error    string // the last error, if any

	Backend, Adapter, Reason string

	// Per-token losses averaged over heads, for the tokens computed.
	LossW0, LossStart, LossBefore, LossAfter []float32

	W, DW    []*ttt.Weights // every head's weights at Point, and their last update
	Checksum uint32         // CRC-32 of W
	Step     []*StepView    // every head's step on token Pos (nil at Pos 0): the one-step panel

	// Readings is, per token, which reading (1, 2, 3, …) of a repeated
	// phrase it belongs to, 0 elsewhere; ReadingLoss the mean loss before
	// the step per reading over the tokens shown. Roles marks the recall
	// preset's pairs and questions.
	Readings    []int
	ReadingLoss []ReadingLoss
	Roles       []string

	TokensPerS                   float64
	Checking                     bool
	DiffLast, DiffMax            float64
	RecallRight, RecallAsked     int
	RecallGuesses                []string
	Occurrence                   []int
	Queries                      []Query
	Values                       []string
	SnapshotEvery                int
	ExplainForm, ExplainWeights  string
	BackendOptions               []string
	CheckAvailable, GPUAvailable bool
}

// frame pictures the runner.
func (r *Runner) frame() (*Frame, error) {
	f := &Frame{
		Scenario: r.Scenario, Input: r.Input.Describe(), Tokens: r.Input.Tokens,
		T: r.T, Done: r.done, Pos: r.t, H: r.Views.H, D: r.Views.D, B: r.Layer.B,
		Backend: r.dev.Name(), Adapter: r.dev.Adapter(), Reason: r.reason,
		TokensPerS: r.TokensPerSecond(), Occurrence: r.Input.Occurrence,
		Queries: r.Input.Queries, Values: r.Input.Values, SnapshotEvery: r.every,
	}
	f.DiffLast, f.DiffMax, f.Checking = r.Diff()
	n := r.done
	f.LossW0, f.LossStart, f.LossBefore, f.LossAfter = make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	for t := 0; t < n; t++ {
		a, b, c, d := MeanLoss(r.L[t])
		f.LossW0[t], f.LossStart[t], f.LossBefore[t], f.LossAfter[t] = float32(a), float32(b), float32(c), float32(d)
	}
	f.Point = r.Point(r.t)
	W, err := r.WeightsAt(f.Point)
	if err != nil {
		return nil, err
	}
	prev, err := r.WeightsAt(r.Previous(f.Point))
	if err != nil {
		return nil, err
	}
	f.W = W
	for h := range W {
		f.DW = append(f.DW, difference(W[h], prev[h]))
	}
	if r.t > 0 {
		if f.Step, err = r.StepViews(r.t); err != nil {
			return nil, err
		}
	}
	f.Readings, f.Roles = r.Readings, r.Roles
	f.ReadingLoss = ReadingLosses(f.Readings, f.LossBefore[:r.t])
	f.Checksum = Checksum(W)
	if r.Input.Name == "recall" {
		f.RecallRight, f.RecallAsked, f.RecallGuesses = r.Recall(r.t)
	}
	f.ExplainForm = explainForm(r.Form, r.Layer.B)
	return f, nil
}

func explainForm(f ttt.Form, b int) string {
	switch f {
	case ttt.Stream:
		return fmt.Sprintf("stream: one token at a time with running sums; W is exact after every token, and every %d tokens the mini-batch start W⁰ moves on.", b)
	case ttt.Naive:
		return "naive: online gradient descent, one sequential step per token (b = 1)."
	case ttt.Primal:
		return fmt.Sprintf("primal: each mini-batch of %d tokens is computed at once from its start W⁰, with every W_i built; the page shows W at mini-batch ends.", b)
	}
	return fmt.Sprintf("dual: each mini-batch of %d tokens is a few matrix products; the W_i inside it are never built, so W appears only at mini-batch ends.", b)
}

// State is what window.ttt.state() returns (and the postMessage "state"
// reply): numbers, not pixels.
type State struct {
	T           int               `json:"t"`     // tokens shown
	Done        int               `json:"done"`  // tokens computed
	Total       int               `json:"total"` // tokens in the input
	Point       int               `json:"point"` // the token count whose W is shown
	Playing     bool              `json:"playing"`
	Backend     string            `json:"backend"`
	Adapter     string            `json:"adapter"`
	Reason      string            `json:"reason"`
	Scenario    scenario.Scenario `json:"scenario"`
	Query       string            `json:"query"` // the scenario as a URL query
	Input       string            `json:"input"`
	Tokens      []string          `json:"tokens"`
	LossW0      []float32         `json:"loss_w0"` // per token shown, averaged over heads
	LossStart   []float32         `json:"loss_start"`
	LossBefore  []float32         `json:"loss_before"`
	LossAfter   []float32         `json:"loss_after"`
	Checksum    string            `json:"w_checksum"` // CRC-32 (hex) of every head's W at point
	Heads       int               `json:"heads"`
	HeadSize    int               `json:"d"`
	B           int               `json:"b"`
	TokensPerS  float64           `json:"tokens_per_s"`
	Check       *CheckState       `json:"check,omitempty"`
	Recall      *RecallState      `json:"recall,omitempty"`
	Occurrence  []int             `json:"occurrence,omitempty"` // repeat preset: which appearance of its phrase a token is (−1: none)
	Readings    []int             `json:"readings,omitempty"`   // per token: the reading (1, 2, …) of a repeated phrase, 0 elsewhere
	ReadingLoss []ReadingLoss     `json:"reading_loss,omitempty"`
	Roles       []string          `json:"roles,omitempty"`   // recall preset: key, value, question, answer or ""
	Weights     map[string]any    `json:"weights,omitempty"` // only with state({weights: true})
	Error       string            `json:"error,omitempty"`
	SnapshotGap int               `json:"snapshot_every"`
}

// CheckState is the GPU-vs-CPU comparison while checking is on.
type CheckState struct {
	Last float64 `json:"last"` // max |GPU − CPU| over the last step's z and losses
	Max  float64 `json:"max"`  // over the run so far
}

// RecallState is the recall preset's score over the queries shown.
type RecallState struct {
	Right   int      `json:"right"`
	Asked   int      `json:"asked"`
	Total   int      `json:"total"`
	Guesses []string `json:"guesses"`
	Chance  float64  `json:"chance"` // accuracy of guessing at random
}

// State reports the frame; withWeights adds every head's W and ΔW.
func (f *Frame) State(withWeights bool) *State {
	t := f.Pos
	s := &State{
		T: t, Done: f.Done, Total: f.T, Point: f.Point, Playing: f.Playing,
		Backend: f.Backend, Adapter: f.Adapter, Reason: f.Reason,
		Scenario: f.Scenario, Query: f.Scenario.Query().Encode(), Input: f.Input, Tokens: f.Tokens,
		LossW0: f.LossW0[:t], LossStart: f.LossStart[:t], LossBefore: f.LossBefore[:t], LossAfter: f.LossAfter[:t],
		Checksum: fmt.Sprintf("%08x", f.Checksum), Heads: f.H, HeadSize: f.D, B: f.B,
		TokensPerS: f.TokensPerS, Occurrence: f.Occurrence, Error: f.Error, SnapshotGap: f.SnapshotEvery,
		Readings: f.Readings, ReadingLoss: f.ReadingLoss, Roles: f.Roles,
	}
	if f.Checking {
		s.Check = &CheckState{Last: f.DiffLast, Max: f.DiffMax}
	}
	if f.Queries != nil {
		s.Recall = &RecallState{Right: f.RecallRight, Asked: f.RecallAsked, Total: len(f.Queries), Guesses: f.RecallGuesses, Chance: 1 / float64(len(f.Values))}
	}
	if withWeights {
		s.Weights = map[string]any{}
		for h := range f.W {
			dw := named(f.DW[h])
			for name, tn := range named(f.W[h]) {
				s.Weights[fmt.Sprintf("head%d.%s", h, name)] = tn
				s.Weights[fmt.Sprintf("head%d.d%s", h, name)] = dw[name]
			}
		}
	}
	return s
}
