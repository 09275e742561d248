package scenario

import (
	"errors"
	"fmt"
	"net/url"
	"unicode/utf8"

	"tttexplainer/lm/vocab"
)

// LMSpec is the language-model mode as a scenario carries it: what the
// page reads through the trained model when a link (?mode=lm&text=…), a
// saved scenario (/s/{id}) or an embed (/e/{id}) opens it.
type LMSpec struct {
	Text    string  `json:"text"`              // read one character at a time
	Model   string  `json:"model,omitempty"`   // "pretrained" (default) or "untrained"
	Backend Backend `json:"backend,omitempty"` // "auto" (the default, also ""), "gpu" (or "webgpu") or "cpu"
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
	return l.Backend.check("lm.backend", true)
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
		q.Set("lmbackend", string(l.Backend))
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
		l = &LMSpec{Text: q.Get("lmtext"), Model: q.Get("lmmodel")}
		if v := q.Get("lmbackend"); v != "" {
			if l.Backend, err = ParseBackend(v); err != nil {
				return nil, false, badBackend("lm.backend", v)
			}
		}
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

// MaxLMText bounds the language model's text in characters: the page keeps
// every character's predictions and replays at most b−1 tokens to show W,
// so memory grows with the text (about 2 KB a character for the
// committed model's shape).
const MaxLMText = 4096

// LMTextError explains why a text cannot go through the model.
func LMTextError(text string) error {
	if !utf8.ValidString(text) {
		return errors.New("the text is not valid UTF-8")
	}
	n := utf8.RuneCountInString(text)
	switch {
	case n == 0:
		return errors.New("the text is empty: type or pick a text of at least 2 characters")
	case n < 2:
		return errors.New("the text has 1 character: the model reads the first and predicts the rest, so it needs at least 2")
	case n > MaxLMText:
		return fmt.Errorf("the text has %d characters; the language model reads at most %d", n, MaxLMText)
	}
	if _, err := vocab.Encode(text); err != nil {
		return fmt.Errorf("%v: the model knows only the %d characters of its training text (Moby-Dick): %s", err, utf8.RuneCountInString(vocab.Vocab), printableVocab())
	}
	return nil
}

// printableVocab lists the vocabulary for an error message.
func printableVocab() string {
	s := ""
	for _, r := range vocab.Vocab {
		switch r {
		case '\n':
			s += `\n`
		case ' ':
			s += "space "
		default:
			s += string(r)
		}
	}
	return s
}
