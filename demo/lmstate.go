package demo

import (
	"math"

	"tttexplainer/ttt"
)

// LMState is the language model's run as window.ttt reports it (ttt.lm,
// ttt.lmState): numbers, not pixels.
type LMState struct {
	Model       string      `json:"model"` // "pretrained" or "untrained"
	Backend     string      `json:"backend"`
	Adapter     string      `json:"adapter"`
	Reason      string      `json:"reason"`
	Tokens      []string    `json:"tokens"`    // the text's characters
	Done        int         `json:"done"`      // characters read
	T           int         `json:"t"`         // characters shown (the scrubber)
	ProbsTop    [][]LMPred  `json:"probs_top"` // [done][LMTop] after character i, the likeliest next characters
	Loss        []float32   `json:"loss"`      // [done−1] −ln p(character i+1 | characters 0..i), nats
	BitsPerChar *float64    `json:"bits_per_char"`
	Readings    *LMReadings `json:"readings,omitempty"` // a passage read twice: its two readings' mean losses
	Checksum    uint32      `json:"weights_checksum"`   // CRC-32 of every layer's and head's W and b after t characters
	Layers      int         `json:"layers"`
	Heads       int         `json:"heads"`
	D           int         `json:"d"`
	Weights     [][]LMHeadW `json:"weights,omitempty"` // [layer][head], when asked
	Error       string      `json:"error,omitempty"`
}

// LMHeadW is one head's W [d,d] (row-major) and b [d].
type LMHeadW struct {
	W []float32 `json:"W"`
	B []float32 `json:"b"`
}

// State is the frame as window.ttt reports it, with W when asked.
func (f *LMFrame) State(withW bool) LMState {
	s := LMState{
		Model: f.Model, Backend: f.Backend, Adapter: f.Adapter, Reason: f.Reason, Tokens: f.Text,
		Done: f.Done, T: f.Pos, ProbsTop: f.Top, Loss: f.Loss,
		Layers: f.Layers, Heads: f.H, D: f.D, Error: f.Error, Readings: f.Readings,
	}
	if s.Loss == nil {
		s.Loss = []float32{}
	}
	if !math.IsNaN(f.BitsPerChar) {
		b := f.BitsPerChar
		s.BitsPerChar = &b
	}
	var all []*ttt.Weights
	for l, layer := range f.W {
		all = append(all, layer...)
		if withW {
			s.Weights = append(s.Weights, nil)
			for _, w := range layer {
				s.Weights[l] = append(s.Weights[l], LMHeadW{W: w.W, B: w.B})
			}
		}
	}
	s.Checksum = Checksum(all)
	return s
}
