package demo

import (
	"net/url"
)

// LMSpec is the language-model mode as a scenario carries it: what the
// page reads through the trained model when a link (?mode=lm&text=…), a
// saved scenario (/s/{id}) or an embed (/e/{id}) opens it.
type LMSpec struct {
	Text    string `json:"text"`              // read one character at a time
	Model   string `json:"model,omitempty"`   // "pretrained" (default) or "untrained"
	Backend string `json:"backend,omitempty"` // "auto" (default), "webgpu" or "cpu"
}

// Validate names the field that is wrong, as Scenario.Validate does.
func (l *LMSpec) Validate() error {
	if err := LMTextError(l.Text); err != nil {
		return bad("lm.text", "%v", err)
	}
	switch l.Model {
	case "", "pretrained", "untrained":
	default:
		return bad("lm.model", "%q, want pretrained or untrained", l.Model)
	}
	switch l.Backend {
	case "", "auto", "webgpu", "gpu", "cpu":
	default:
		return bad("lm.backend", "%q, want auto, webgpu or cpu", l.Backend)
	}
	return nil
}

// Query writes the spec as web/lm.js reads it: mode=lm, lmtext, and
// lmmodel and lmbackend when they are not the defaults. The text has its
// own key so that the layer's text (text) survives beside it.
func (l *LMSpec) Query(q url.Values) {
	q.Set("mode", "lm")
	q.Set("lmtext", l.Text)
	if l.Model != "" && l.Model != "pretrained" {
		q.Set("lmmodel", l.Model)
	}
	if l.Backend != "" && l.Backend != "auto" {
		q.Set("lmbackend", l.Backend)
	}
}

// lmFromQuery reads the spec from a link (nil when mode is not lm). A
// hand-written ?mode=lm&text=… works too: without lmtext, text is the
// model's, and layerText is false.
func lmFromQuery(q url.Values) (l *LMSpec, layerText bool, err error) {
	switch q.Get("mode") {
	case "", "layer":
		return nil, true, nil
	case "lm":
		l = &LMSpec{Text: q.Get("lmtext"), Model: q.Get("lmmodel"), Backend: q.Get("lmbackend")}
		if !q.Has("lmtext") {
			l.Text = q.Get("text")
			return l, false, nil
		}
		return l, true, nil
	}
	return nil, false, bad("mode", "%q, want layer or lm", q.Get("mode"))
}

// checkShows refuses a scenario that asks for two things at once.
func (s *Scenario) checkShows() error {
	if s.LM != nil && s.Experiment != nil {
		return bad("lm", "a scenario shows the language model or an experiment, not both")
	}
	return nil
}
