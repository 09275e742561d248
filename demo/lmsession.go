package demo

import (
	"errors"
	"fmt"
	"math"
	"sync/atomic"

	"tttexplainer/lm"
	"tttexplainer/scenario"
	"tttexplainer/ttt"
)

// lmChunk is how many characters one command reads before the session
// publishes a frame and lets other commands (the drawing's, the API's) in.
const lmChunk = 16

// LMSession is the page's language-model mode. It runs on its Session's
// stepping goroutine (every change goes through Session.Do), so the model
// and the layer demo share one GPU device and never use it at once.
type LMSession struct {
	ss     *Session
	load   func(name string) (*lm.Model, error)
	models map[string]*lm.Model
	run    *LMRun
	err    string
	frame  atomic.Pointer[LMFrame]
	// OnFrame, if set, is called from the stepping goroutine after every new frame.
	OnFrame func(*LMFrame)
}

// LMFrame is an immutable picture of the language model's run: what the
// page draws and what ttt.lmState() reports.
type LMFrame struct {
	Text        []string    // the text, one string per character
	Done, Pos   int         // characters read, characters shown (the scrubber)
	Top         [][]LMPred  // [Done] the next character's most likely candidates after each character
	Loss        []float32   // [max(Done−1, 0)] the next character's loss in nats
	BitsPerChar float64     // mean of Loss in bits (NaN before there is one)
	Readings    *LMReadings // the text is a passage read twice: the readings and their losses
	Layers, H   int
	D           int              // head size d
	W           [][]*ttt.Weights // [layer][head] W after Pos characters
	Model       string           // "pretrained" or "untrained"
	Backend     string
	Adapter     string
	Reason      string
	Error       string
}

// NewLMSession adds the language model to a session; load gives a model by
// name (LoadLM in the page), once per name, when it is first asked for.
func NewLMSession(ss *Session, load func(name string) (*lm.Model, error)) *LMSession {
	return &LMSession{ss: ss, load: load, models: map[string]*lm.Model{}}
}

// Start reads text from its start with a model (a name for load) on a
// backend (scenario.ParseBackend: "auto", "gpu"/"webgpu" or "cpu"),
// replacing any previous text. It reads nothing yet: Advance does.
func (ls *LMSession) Start(text, backend, model string) error {
	be, err := scenario.ParseBackend(backend)
	if err != nil {
		return fmt.Errorf("lm: %w", err)
	}
	if err := scenario.LMTextError(text); err != nil {
		return err
	}
	return ls.do(func() error {
		m := ls.models[model]
		if m == nil {
			var err error
			if m, err = ls.load(model); err != nil {
				return err
			}
			ls.models[model] = m
		}
		dev, reason := ls.ss.deviceFor(scenario.Scenario{Backend: be, Model: "linear", Form: "stream"})
		r, err := NewLMRun(m, text, dev, reason)
		if err != nil {
			return err
		}
		r.ModelName = model
		if ls.run != nil {
			ls.run.Close()
		}
		ls.run = r
		return nil
	})
}

// Advance reads n more characters (n ≤ 0: to the end), lmChunk at a time,
// publishing a frame after each chunk.
func (ls *LMSession) Advance(n int) error {
	if n <= 0 {
		n = math.MaxInt
	}
	var run *LMRun
	for n > 0 {
		more := false
		err := ls.do(func() error {
			if ls.run == nil {
				return errors.New("lm: no text: start one first")
			}
			if run == nil {
				run = ls.run
			} else if run != ls.run {
				return errors.New("lm: a new text replaced this one while it was read")
			}
			for i := 0; i < min(n, lmChunk); i++ {
				ok, err := ls.run.Step()
				if err != nil {
					return err
				}
				if !ok {
					return nil
				}
			}
			more = ls.run.Done() < ls.run.Len()
			return nil
		})
		if err != nil || !more {
			return err
		}
		n -= lmChunk
	}
	return nil
}

// Seek moves the scrubber to character t.
func (ls *LMSession) Seek(t int) error {
	return ls.do(func() error {
		if ls.run == nil {
			return errors.New("lm: no text: start one first")
		}
		ls.run.Seek(t)
		return nil
	})
}

// Frame returns the latest frame (nil before the first Start).
func (ls *LMSession) Frame() *LMFrame { return ls.frame.Load() }

// Do runs f on the session's stepping goroutine with the LM's run.
func (ls *LMSession) Do(f func(r *LMRun) error) error {
	return ls.do(func() error {
		if ls.run == nil {
			return errors.New("lm: no text: start one first")
		}
		return f(ls.run)
	})
}

// do runs f on the stepping goroutine and publishes a frame after it.
func (ls *LMSession) do(f func() error) error {
	return ls.ss.Do(func() error {
		err := f()
		ls.err = errText(err)
		ls.publish()
		return err
	})
}

func (ls *LMSession) publish() {
	r := ls.run
	if r == nil {
		return
	}
	c := r.Model.Config
	f := &LMFrame{
		Text: r.Text, Done: r.Done(), Pos: r.Pos(), Top: r.Top, Loss: r.Loss, BitsPerChar: r.BitsPerChar(),
		Layers: c.Layers, H: c.H, D: c.HeadSize(), Model: r.ModelName, Error: ls.err,
		Readings: readingsOf(r.Text, r.Loss),
	}
	W, err := r.WeightsAt(r.Pos()) // before the device: a failed readback moves the run to the CPU
	if err != nil && f.Error == "" {
		f.Error = err.Error()
	}
	f.W = W
	dev, reason := r.Device()
	f.Backend, f.Adapter, f.Reason = dev.Name(), dev.Adapter(), reason
	ls.frame.Store(f)
	if ls.OnFrame != nil {
		ls.OnFrame(f)
	}
}
