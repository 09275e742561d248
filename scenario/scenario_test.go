package scenario

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestScenarioURLRoundTrip(t *testing.T) {
	for _, s := range []Scenario{
		Default(),
		{Model: "mlp", Form: "naive", B: 1, LR: 0.25, Width: "wide", LN: false, Seed: 42, Input: "text", Text: "héllo & <b>world</b>?", Backend: "cpu", Speed: 3.5, Opt: "gd"},
		{Model: "linear", Form: "stream", B: 16, LR: 0.1, Width: "small", LN: true, Seed: 1, Input: "repeat", Backend: "auto", Speed: 20, Opt: "gd",
			Experiment: &ExperimentSpec{Name: "sweep", D: 16, T: 128, Runs: 2, Seed: 3, Bs: []int{1, 8}}},
		{Model: "linear", Form: "stream", B: 16, LR: 0.1, Width: "small", LN: true, Seed: 1, Input: "text", Text: "the layer's own text", Backend: "auto", Speed: 20, Opt: "gd",
			LM: &LMSpec{Text: "Call me Ishmael. Call me Ishmael.", Model: "untrained", Backend: "cpu"}},
	} {
		q := s.Query()
		got, err := FromQuery(q)
		if err != nil {
			t.Fatalf("FromQuery(%q): %v", q.Encode(), err)
		}
		if !reflect.DeepEqual(got, s) {
			t.Errorf("FromQuery(Query(%+v)) = %+v", s, got)
		}
	}
	// A hand-written link: without lmtext, text is the model's.
	if s, err := FromQuery(url.Values{"mode": {"lm"}, "text": {"Call me Ishmael."}}); err != nil || s.LM == nil || s.LM.Text != "Call me Ishmael." || s.Text != "" {
		t.Errorf("FromQuery(mode=lm&text=…) = %+v, %v; want the text in LM", s, err)
	}
	if q := Default(); len(q.Query()) != 0 {
		t.Errorf("the default scenario encodes as %q, want an empty query", q.Query().Encode())
	}
}

func TestScenarioErrorsNameTheField(t *testing.T) {
	for _, tc := range []struct{ query, field string }{
		{"model=rnn", "model"},
		{"b=0", "b"},
		{"b=65", "b"},
		{"b=x", "b"},
		{"form=naive&b=4", "b"},
		{"lr=NaN", "lr"},
		{"lr=-1", "lr"},
		{"lr=abc", "lr"},
		{"width=huge", "width"},
		{"ln=maybe", "ln"},
		{"seed=-3", "seed"},
		{"input=text", "text"},
		{"backend=tpu", "backend"},
		{"speed=0", "speed"},
		{"text=" + strings.Repeat("a", MaxText+1), "text"},
		{"mode=book", "mode"},
		{"mode=lm", "lm.text"},
		{"mode=lm&lmtext=x", "lm.text"},
		{"mode=lm&lmtext=caf%C3%A9+%E2%82%AC", "lm.text"},
		{"mode=lm&text=" + strings.Repeat("a", MaxLMText+1), "lm.text"},
		{"mode=lm&text=abc&lmmodel=gpt", "lm.model"},
		{"mode=lm&text=abc&lmbackend=tpu", "lm.backend"},
		{"mode=lm&text=abc&exp=race", "lm"},
	} {
		q, _ := url.ParseQuery(tc.query)
		_, err := FromQuery(q)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("FromQuery(%.40q) = %v, want an error on field %q", tc.query, err, tc.field)
		}
	}
}

func TestDecodeJSON(t *testing.T) {
	s, err := DecodeJSON([]byte(`{"model":"mlp","b":4,"input":"text","text":"abc"}`))
	if err != nil || s.Model != "mlp" || s.B != 4 || s.Text != "abc" || s.Form != Default().Form {
		t.Fatalf("DecodeJSON = %+v, %v", s, err)
	}
	for _, tc := range []struct{ body, field string }{
		{`{"b":"four"}`, "b"},
		{`{"colour":"red"}`, "colour"},
		{`{"b":4} {}`, "body"},
		{`{"b":4`, "body"},
		{`[]`, "body"},
		{`{"lr":1e400}`, "lr"},
		{`{"lr":0}`, "lr"},
	} {
		_, err := DecodeJSON([]byte(tc.body))
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("DecodeJSON(%s) = %v, want an error on field %q", tc.body, err, tc.field)
		}
	}
}

func FuzzDecodeJSON(f *testing.F) {
	f.Add([]byte(`{"model":"mlp","b":4,"input":"text","text":"abc"}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"opt":"adam","beta":0.5,"wd":0.01}`))
	f.Add([]byte(`{"form":"dual","opt":"momentum"}`))
	f.Add([]byte(`{"input":"text","text":"abc","lm":{"text":"Call me Ishmael.","backend":"cpu"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := DecodeJSON(data)
		if err != nil {
			return
		}
		// A valid scenario survives the URL round trip unchanged.
		got, err := FromQuery(s.Query())
		if err != nil || !reflect.DeepEqual(got, s) {
			t.Fatalf("valid %+v: FromQuery(Query()) = %+v, %v", s, got, err)
		}
	})
}
