// Package scenario is what reproduces a view of the page: the scenario a
// reader sets up (the layer, an experiment or the language model), its
// validation field by field, and its JSON and URL encodings. It imports only
// the standard library (and the model's character set), so the site and the
// Worker check and store scenarios without linking the math or the GPU.
package scenario

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxText is the longest custom input text a scenario may carry, in bytes.
const MaxText = 16 << 10

// Scenario is everything needed to reproduce what the page shows. The same
// fields travel in the page's URL (short keys, see Query) and as JSON in the
// scenario API.
type Scenario struct {
	Model   string  `json:"model"`          // inner model: "linear" or "mlp"
	Form    string  `json:"form"`           // "naive", "primal", "dual" or "stream"
	B       int     `json:"b"`              // mini-batch size, 1..64 (naive needs 1)
	LR      float64 `json:"lr"`             // base inner learning rate η, (0, 100]
	Width   string  `json:"width"`          // a preset of D and heads, see Widths
	LN      bool    `json:"ln"`             // LayerNorm + residual inside f (the official f)
	Seed    uint64  `json:"seed"`           // seeds embeddings, projections and W0
	Input   string  `json:"input"`          // a preset of Inputs, or "text" for Text
	Text    string  `json:"text,omitempty"` // the reader's own text when Input is "text"
	Backend Backend `json:"backend"`        // "auto", "gpu" or "cpu" (ParseBackend)
	Speed   float64 `json:"speed"`          // tokens per second while playing, (0, 1000]
	Opt     string  `json:"opt"`            // the stream's inner optimiser: "gd", "momentum" or "adam"
	Beta    float64 `json:"beta"`           // momentum β or Adam β₁, [0, 1)
	WD      float64 `json:"wd"`             // weight decay λ (forgetting) per mini-batch, [0, 1)
	// Experiment, when set, is what the page runs and shows (experiment.go).
	Experiment *ExperimentSpec `json:"experiment,omitempty"`
	// LM, when set, opens the language-model mode on its text (lm.go).
	LM *LMSpec `json:"lm,omitempty"`
}

// Width is a preset of the layer's width D and heads H (head size d = D/H).
type Width struct {
	Name  string
	D, H  int
	Label string
}

// Widths lists the width presets.
var Widths = []Width{
	{"small", 32, 2, "D = 32, 2 heads of d = 16"},
	{"medium", 64, 4, "D = 64, 4 heads of d = 16"},
	{"wide", 128, 2, "D = 128, 2 heads of d = 64"},
}

// Inputs lists the input presets; "text" means the scenario's own Text.
var Inputs = []string{"repeat", "recall", "random", "prose", "text"}

// Default is the scenario a reader lands on. Its η is 0.1, not the
// official 1: with the LayerNorm inside f and W0 ~ N(0, 0.02²), the
// LayerNorm's Jacobian (1/σ of a tiny f_res output) makes the first steps
// large, and on the page's presets η = 0.1 learns the context fastest
// (measured over η = 0.03…1 in demo's tests).
func Default() Scenario {
	return Scenario{Model: "linear", Form: "stream", B: 16, LR: 0.1, Width: "small", LN: true, Seed: 1, Input: "repeat", Backend: "auto", Speed: 20, Opt: "gd", Beta: 0.9}
}

// WidthOf returns the scenario's width preset.
func (s *Scenario) WidthOf() Width {
	for _, w := range Widths {
		if w.Name == s.Width {
			return w
		}
	}
	return Widths[0]
}

// FieldError names the scenario field that is wrong.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

func bad(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Validate checks every field and says which one is wrong.
func (s *Scenario) Validate() error {
	oneOf := func(field, v string, allowed ...string) error {
		for _, a := range allowed {
			if v == a {
				return nil
			}
		}
		return bad(field, "%q, want one of %s", v, strings.Join(allowed, ", "))
	}
	if err := oneOf("model", s.Model, "linear", "mlp"); err != nil {
		return err
	}
	if err := oneOf("form", s.Form, "naive", "primal", "dual", "stream"); err != nil {
		return err
	}
	if s.B < 1 || s.B > 64 {
		return bad("b", "%d, want 1..64", s.B)
	}
	if s.Form == "naive" && s.B != 1 {
		return bad("b", "the naive form is online GD: want b = 1, got %d", s.B)
	}
	if math.IsNaN(s.LR) || !(s.LR > 0 && s.LR <= 100) {
		return bad("lr", "%v, want 0 < lr ≤ 100", s.LR)
	}
	names := make([]string, len(Widths))
	for i, w := range Widths {
		names[i] = w.Name
	}
	if err := oneOf("width", s.Width, names...); err != nil {
		return err
	}
	if err := oneOf("input", s.Input, Inputs...); err != nil {
		return err
	}
	if len(s.Text) > MaxText {
		return bad("text", "%d bytes, want at most %d", len(s.Text), MaxText)
	}
	if !utf8.ValidString(s.Text) {
		return bad("text", "not valid UTF-8")
	}
	if s.Input == "text" && strings.TrimSpace(s.Text) == "" {
		return bad("text", "empty, but input is \"text\"")
	}
	if err := s.Backend.check("backend", false); err != nil {
		return err
	}
	if math.IsNaN(s.Speed) || !(s.Speed > 0 && s.Speed <= 1000) {
		return bad("speed", "%v, want 0 < speed ≤ 1000", s.Speed)
	}
	if err := s.validateOpt(); err != nil {
		return err
	}
	if err := s.checkShows(); err != nil {
		return err
	}
	if s.LM != nil {
		if err := s.LM.Validate(); err != nil {
			return err
		}
	}
	if s.Experiment != nil {
		return s.Experiment.Validate()
	}
	return nil
}

// DecodeJSON reads a scenario from JSON strictly: unknown fields and
// trailing data are errors, missing fields take their defaults, and the
// result is validated.
func DecodeJSON(data []byte) (Scenario, error) {
	s := Default()
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return Scenario{}, bad(te.Field, "want a %s, got a JSON %s", te.Type, te.Value)
		}
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return Scenario{}, bad(strings.Trim(f, `"`), "unknown field")
		}
		return Scenario{}, bad("body", "not a valid scenario JSON object: %v", err)
	}
	if dec.More() {
		return Scenario{}, bad("body", "more data after the scenario object")
	}
	return s, s.Validate()
}

// Query encodes the scenario as URL query parameters, leaving out fields
// that equal the default so that links stay short.
func (s *Scenario) Query() url.Values {
	d := Default()
	q := url.Values{}
	set := func(k, v, def string) {
		if v != def {
			q.Set(k, v)
		}
	}
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	set("model", s.Model, d.Model)
	set("form", s.Form, d.Form)
	set("b", strconv.Itoa(s.B), strconv.Itoa(d.B))
	set("lr", f(s.LR), f(d.LR))
	set("width", s.Width, d.Width)
	set("ln", strconv.FormatBool(s.LN), strconv.FormatBool(d.LN))
	set("seed", strconv.FormatUint(s.Seed, 10), strconv.FormatUint(d.Seed, 10))
	set("input", s.Input, d.Input)
	set("text", s.Text, d.Text)
	set("backend", string(s.Backend), string(d.Backend))
	set("speed", f(s.Speed), f(d.Speed))
	set("opt", s.Opt, d.Opt)
	set("beta", f(s.Beta), f(d.Beta))
	set("wd", f(s.WD), f(d.WD))
	if s.Experiment != nil {
		s.Experiment.Query(q)
	}
	if s.LM != nil {
		s.LM.Query(q)
	}
	return q
}

// FromQuery reads a scenario from URL query parameters; absent keys take
// their defaults and unknown keys (embed=1, say) are left to the caller.
func FromQuery(q url.Values) (Scenario, error) {
	s := Default()
	var err error
	// get parses a present key with parse; the first failure names its key.
	get := func(key, want string, parse func(v string) error) {
		if v := q.Get(key); v != "" && err == nil && parse(v) != nil {
			err = bad(key, "%q%s", v, want)
		}
	}
	str := func(dst *string) func(string) error { return func(v string) error { *dst = v; return nil } }
	num := func(key string, dst *float64) {
		get(key, " is not a number", func(v string) (e error) { *dst, e = strconv.ParseFloat(v, 64); return })
	}
	get("model", "", str(&s.Model))
	get("form", "", str(&s.Form))
	get("b", " is not a whole number", func(v string) (e error) { s.B, e = strconv.Atoi(v); return })
	num("lr", &s.LR)
	get("width", "", str(&s.Width))
	get("ln", ", want true or false", func(v string) (e error) { s.LN, e = strconv.ParseBool(v); return })
	get("seed", " is not a whole number ≥ 0", func(v string) (e error) { s.Seed, e = strconv.ParseUint(v, 10, 64); return })
	get("input", "", str(&s.Input))
	if err != nil {
		return Scenario{}, err
	}
	lm, layerText, err := lmFromQuery(q)
	if err != nil {
		return Scenario{}, err
	}
	s.LM = lm
	if q.Has("text") && layerText {
		s.Text = q.Get("text")
	}
	if v := q.Get("backend"); v != "" {
		if s.Backend, err = ParseBackend(v); err != nil {
			return Scenario{}, err
		}
	}
	num("speed", &s.Speed)
	get("opt", "", str(&s.Opt))
	num("beta", &s.Beta)
	num("wd", &s.WD)
	if err != nil {
		return Scenario{}, err
	}
	if s.Experiment, err = ExperimentFromQuery(q); err != nil {
		return Scenario{}, err
	}
	return s, s.Validate()
}

// OptNames lists the scenario's inner optimisers.
var OptNames = []string{"gd", "momentum", "adam"}

func (s *Scenario) validateOpt() error {
	ok := false
	for _, n := range OptNames {
		ok = ok || s.Opt == n
	}
	if !ok {
		return bad("opt", "%q, want one of gd, momentum, adam", s.Opt)
	}
	// float32 is what the inner loop uses: 0.99999999 would round to 1 there.
	if math.IsNaN(s.Beta) || !(s.Beta >= 0 && float32(s.Beta) < 1) {
		return bad("beta", "%v, want 0 ≤ beta < 1", s.Beta)
	}
	if math.IsNaN(s.WD) || !(s.WD >= 0 && float32(s.WD) < 1) {
		return bad("wd", "%v, want 0 ≤ wd < 1", s.WD)
	}
	if s.Form != "stream" {
		if s.Opt != "gd" {
			return bad("opt", "%q: inner optimisers are options of the stream form only (form is %q)", s.Opt, s.Form)
		}
		if s.WD != 0 {
			return bad("wd", "%v: weight decay is an option of the stream form only (form is %q)", s.WD, s.Form)
		}
	}
	return nil
}

// Errorf is a FieldError for field: how other packages name the field of a
// scenario that does not work for them.
func Errorf(field, format string, args ...any) error { return bad(field, format, args...) }
