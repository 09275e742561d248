package demo

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"unicode/utf8"

	"tttexplainer/gpu"
	"tttexplainer/lm"
	"tttexplainer/scenario"
	"tttexplainer/ttt"
)

// LMTop is how many of the most likely next characters each position keeps.
const LMTop = 5

// LMPred is one candidate next character and its probability.
type LMPred struct {
	Char string  `json:"char"`
	P    float32 `json:"p"`
}

// LMRun reads a text one character at a time through a TTT language model
// on a device and keeps, per character, what the page shows: the next
// character's most likely candidates, the loss of the character that does
// come next, and (through its heads) every layer's and head's W. It is not
// safe for concurrent use (LMSession serialises it).
type LMRun struct {
	Model     *lm.Model
	ModelName string   // "pretrained" or "untrained" (LoadLM), for the page
	Text      []string // the text, one string per character
	Tokens    []int

	dev    Device
	reason string      // why the device is what it is (fallbacks)
	whole  ModelStream // the whole model on the device (a ModelDevice), or nil
	check  *lm.Stream  // with whole: the CPU reading the first LMCheck characters too
	st     *lm.Stream  // otherwise lm.Stream, each layer's heads behind an lmHeads on dev
	layers []*lmHeads  // per layer: the logged head inputs and W at the boundaries

	Top  [][]LMPred // [done][LMTop] p(character i+1 | characters 0..i), most likely first
	Loss []float32  // [done−1] −ln p(character i+1 | characters 0..i): the next character's loss in nats
	t    int        // characters shown (≤ done): the scrubber
}

// NewLMRun starts reading text through the model on dev (reason says why
// that device). A device that cannot start the model gives the CPU, and
// the reason says so.
func NewLMRun(m *lm.Model, text string, dev Device, reason string) (*LMRun, error) {
	if m == nil {
		return nil, errors.New("demo: no language model")
	}
	if err := scenario.LMTextError(text); err != nil {
		return nil, err
	}
	tokens, _ := lm.Encode(text)
	r := &LMRun{Model: m, Tokens: tokens, dev: dev, reason: reason}
	for _, ch := range text {
		r.Text = append(r.Text, string(ch))
	}
	err := r.start(dev)
	if err != nil && dev.Name() != "cpu" {
		r.reason = fmt.Sprintf("the %s backend could not start the model, so it runs on the CPU: %v", dev.Name(), err)
		r.dev = CPU{}
		err = r.start(r.dev)
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

func (r *LMRun) start(dev Device) error {
	r.layers = nil
	if md, ok := dev.(ModelDevice); ok {
		var ws ModelStream
		err := guard(func() (err error) { ws, err = md.NewModelStream(r.Model); return err })
		if err == nil {
			r.whole = ws
			r.check, _ = r.Model.NewStream(nil) // cannot fail: the device stream took the same model
			for l := range r.Model.Config.Layers {
				heads, W0 := r.Model.StreamHeads(l)
				r.layers = append(r.layers, newLMLog(r, heads, W0))
			}
			return nil
		}
		// TTT-MLP past the kernels' limits, say: the layers' heads may still run there.
		r.reason = joinReason(r.reason, fmt.Sprintf("each layer's heads run on %s, the rest of the model on the CPU, because the whole model does not: %v", dev.Name(), err))
	}
	st, err := r.Model.NewStream(func(heads []*ttt.Head, W0 []*ttt.Weights) (lm.HeadStream, error) {
		h, err := newLMHeads(r, dev, heads, W0)
		if err != nil {
			return nil, err
		}
		r.layers = append(r.layers, h)
		return h, nil
	})
	if err != nil {
		return err // NewStream has closed the layers it started
	}
	r.st = st
	return nil
}

// joinReason adds a sentence to a reason.
func joinReason(reason, more string) string {
	if reason == "" {
		return more
	}
	return reason + "; " + more
}

// toCPU moves every layer to the CPU at the token each has reached. A
// whole-model stream's state (the residual stream's conv histories, the
// last logits) stays on the device, so the CPU reads the text again from
// its start: at most scenario.MaxLMText characters, once, and the
// history shown (Top, Loss) is kept as the device computed it.
func (r *LMRun) toCPU(reason string) error {
	if r.dev.Name() == "cpu" {
		return nil
	}
	if r.whole != nil {
		guard(func() error { r.whole.Close(); return nil })
		r.whole, r.check, r.dev, r.reason = nil, nil, CPU{}, reason
		if err := r.start(r.dev); err != nil {
			return err
		}
		for i := range r.Done() {
			if _, err := r.st.Step(r.Tokens[i]); err != nil {
				return err
			}
		}
		return nil
	}
	for _, h := range r.layers {
		h.toCPU()
	}
	r.dev, r.reason = CPU{}, reason
	return nil
}

// Device is the backend the model runs on, and why.
func (r *LMRun) Device() (Device, string) { return r.dev, r.reason }

// Len is the number of characters in the text.
func (r *LMRun) Len() int { return len(r.Tokens) }

// Done is the number of characters read.
func (r *LMRun) Done() int { return len(r.Top) }

// Pos is the number of characters shown.
func (r *LMRun) Pos() int { return r.t }

// Seek moves the scrubber (0..Done).
func (r *LMRun) Seek(t int) { r.t = max(0, min(t, r.Done())) }

// Step reads the next character; false at the end of the text.
func (r *LMRun) Step() (bool, error) {
	i := r.Done()
	if i >= r.Len() {
		return false, nil
	}
	step, err := r.step(i)
	if err != nil {
		return false, err
	}
	if i > 0 {
		r.Loss = append(r.Loss, step.Loss)
	}
	r.Top = append(r.Top, topK(step.Probs, LMTop))
	r.t = r.Done()
	return true, nil
}

// step reads character i through the whole model on the device, or
// through lm.Stream; a device that fails moves the model to the CPU.
func (r *LMRun) step(i int) (lm.Step, error) {
	if r.whole == nil {
		return r.st.Step(r.Tokens[i])
	}
	var s gpu.LMStep
	err := guard(func() (err error) { s, err = r.whole.Step(r.Tokens[i]); return err })
	if err == nil {
		err = r.log(s)
	}
	if err == nil && r.check != nil {
		err = r.checkStep(i, s.Probs)
	}
	if err != nil {
		if ferr := r.toCPU(fmt.Sprintf("the %s backend failed at character %d, so the model moved to the CPU: %v", r.dev.Name(), i+1, err)); ferr != nil {
			return lm.Step{}, ferr
		}
		return r.st.Step(r.Tokens[i])
	}
	return s.Step, nil
}

// LMCheck is how many characters of a run on a device the CPU reads too:
// the device's kernels pass only if their next-character distributions
// agree with the reference within the kernels' twin-test tolerance
// (|p − p_cpu| ≤ ttt.AbsTol + ttt.RelTol·|p_cpu|), past the first
// mini-batch's end (the carry of W) included.
const LMCheck = 20

// checkStep compares the device's distribution of character i with the
// CPU's; after LMCheck characters the CPU stops.
func (r *LMRun) checkStep(i int, probs []float32) error {
	want, err := r.check.Step(r.Tokens[i])
	if err != nil {
		return err
	}
	if len(probs) != len(want.Probs) {
		return fmt.Errorf("its kernels gave %d probabilities, want %d", len(probs), len(want.Probs))
	}
	for j, p := range probs {
		w := float64(want.Probs[j])
		if d := math.Abs(float64(p) - w); !(d <= ttt.AbsTol+ttt.RelTol*math.Abs(w)) {
			return fmt.Errorf("its kernels disagree with the CPU reference at character %d (p = %.6g against %.6g)", i+1, p, w)
		}
	}
	if i+1 >= LMCheck {
		r.check.Close()
		r.check = nil
	}
	return nil
}

// log keeps a whole-model step's head inputs and boundary W per layer.
func (r *LMRun) log(s gpu.LMStep) error {
	if len(s.XQ) != len(r.layers) || len(s.XK) != len(r.layers) || len(s.XV) != len(r.layers) || len(s.Eta) != len(r.layers) {
		return fmt.Errorf("demo: the model stream gave head inputs for %d layers, want %d", len(s.XQ), len(r.layers))
	}
	for l, h := range r.layers {
		var W []*ttt.Weights
		if s.W != nil {
			W = s.W[l]
		}
		if err := h.logStep(s.XQ[l], s.XK[l], s.XV[l], s.Eta[l], W); err != nil {
			return err
		}
	}
	return nil
}

// lmChars is the number of characters tokens stand for. Outputs of a model
// beyond them (a Config with a larger Vocab) name no character and are
// never candidates.
var lmChars = utf8.RuneCountInString(lm.Vocab)

// topK returns the k most likely characters of probs [V], ties by index.
func topK(probs []float32, k int) []LMPred {
	idx := make([]int, min(len(probs), lmChars))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return probs[idx[a]] > probs[idx[b]] })
	out := make([]LMPred, min(k, len(idx)))
	for i := range out {
		out[i] = LMPred{Char: lm.Decode(idx[i : i+1]), P: probs[idx[i]]}
	}
	return out
}

// WeightsAt is every layer's and head's W after p characters ([layer][head]).
func (r *LMRun) WeightsAt(p int) ([][]*ttt.Weights, error) {
	out := make([][]*ttt.Weights, len(r.layers))
	for l, h := range r.layers {
		W, err := h.weightsAt(p)
		if err != nil {
			return nil, err
		}
		out[l] = W
	}
	return out, nil
}

// BitsPerChar is the mean loss of the characters read after the first, in
// bits (NaN before there is one).
func (r *LMRun) BitsPerChar() float64 {
	if len(r.Loss) == 0 {
		return math.NaN()
	}
	s := 0.0
	for _, l := range r.Loss {
		s += float64(l)
	}
	return s / float64(len(r.Loss)) / math.Ln2
}

// Close releases the device streams.
func (r *LMRun) Close() {
	if r.whole != nil {
		guard(func() error { r.whole.Close(); return nil })
		r.whole = nil
	}
	if r.st != nil {
		r.st.Close()
	}
}
