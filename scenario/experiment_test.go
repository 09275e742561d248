package scenario

import (
	"errors"
	"net/url"
	"reflect"
	"testing"
)

func TestExperimentSpecErrorsNameTheField(t *testing.T) {
	for _, tc := range []struct {
		query, field string
	}{
		{"exp=magic", "experiment.name"},
		{"exp=race&x.d=0", "experiment.d"},
		{"exp=race&x.d=NaN", "experiment.d"},
		{"exp=race&x.t=1e9", "experiment.t"},
		{"exp=race&x.t=16384", "experiment.t"},
		{"exp=lanes&x.runs=3", "experiment.runs"},
		{"exp=cost&x.t=64", "experiment.t"},
		{"exp=race&x.runs=0", "experiment.runs"},
		{"exp=equivalence&x.t=65", "experiment.t"},
		{"exp=equivalence&x.b=4", "experiment.b"},
		{"exp=lanes&x.pairs=4,x", "experiment.pairs"},
		{"exp=lanes&x.pairs=100000", "experiment.pairs"},
		{"exp=sweep&x.bs=0", "experiment.bs"},
		{"exp=sweep&x.bs=", "experiment.bs"},
		{"exp=cost&x.max_t=100000", "experiment.max_t"},
		{"exp=cost&x.min_t=512&x.max_t=256", "experiment.max_t"},
		{"exp=race&x.seed=-1", "experiment.seed"},
	} {
		q, _ := url.ParseQuery(tc.query)
		_, err := ExperimentFromQuery(q)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("ExperimentFromQuery(%q) = %v; want an error naming %s", tc.query, err, tc.field)
		}
	}
}

func TestExperimentQueryRoundTrip(t *testing.T) {
	for _, name := range Experiments {
		for _, s := range []ExperimentSpec{DefaultExperiment(name), func() ExperimentSpec { s := DefaultExperiment(name); s.D = 32; return s }()} {
			s.Seed = 7
			q := url.Values{}
			s.Query(q)
			got, err := ExperimentFromQuery(q)
			if err != nil {
				t.Fatalf("%s: %v", q.Encode(), err)
			}
			if !reflect.DeepEqual(*got, s) {
				t.Errorf("ExperimentFromQuery(%q) = %+v; want %+v", q.Encode(), *got, s)
			}
		}
	}
}

func TestExperimentScenarioJSON(t *testing.T) {
	s, err := DecodeJSON([]byte(`{"experiment": {"name": "race", "d": 16, "t": 64, "b": 8, "runs": 1, "seed": 2}}`))
	if err != nil || s.Experiment == nil || s.Experiment.T != 64 {
		t.Fatalf("DecodeJSON of a race scenario = %+v, %v", s.Experiment, err)
	}
	for body, field := range map[string]string{
		`{"experiment": {"name": "race", "d": 16, "t": 64, "b": 8, "runs": 0}}`:                     "experiment.runs",
		`{"experiment": {"name": "race", "d": "big"}}`:                                              "experiment.d",
		`{"experiment": {"name": "lanes", "d": 16, "pairs": [4], "colour": 1}}`:                     "colour",
		`{"experiment": {"name": "cost", "d": 16, "b": 16, "runs": 1, "min_t": 64, "max_t": 9000}}`: "experiment.max_t",
	} {
		_, err := DecodeJSON([]byte(body))
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != field {
			t.Errorf("DecodeJSON(%s) = %v; want an error naming %s", body, err, field)
		}
	}
}

func TestScenarioOptFields(t *testing.T) {
	s := Default()
	s.Opt, s.Beta, s.WD = "adam", 0.5, 0.01
	got, err := FromQuery(s.Query())
	if err != nil || got != s {
		t.Fatalf("FromQuery(Query(%+v)) = %+v, %v", s, got, err)
	}
	if q := s.Query().Encode(); q != "beta=0.5&opt=adam&wd=0.01" {
		t.Errorf("Query() = %q", q)
	}
	j, err := DecodeJSON([]byte(`{"opt":"momentum","beta":0.8,"wd":0.1}`))
	if err != nil || j.Opt != "momentum" || j.Beta != 0.8 || j.WD != 0.1 {
		t.Fatalf("DecodeJSON = %+v, %v", j, err)
	}
	for _, tc := range []struct{ query, field string }{
		{"opt=sgd", "opt"},
		{"beta=1", "beta"},
		{"beta=0.999999999", "beta"}, // 1 in float32
		{"beta=-0.1", "beta"},
		{"beta=NaN", "beta"},
		{"beta=x", "beta"},
		{"wd=1", "wd"},
		{"wd=-0.01", "wd"},
		{"form=dual&opt=adam", "opt"},
		{"form=primal&wd=0.1", "wd"},
	} {
		q, _ := url.ParseQuery(tc.query)
		_, err := FromQuery(q)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("FromQuery(%q) = %v, want an error on field %q", tc.query, err, tc.field)
		}
	}
}

// TestExperimentAutostart: a run that starts by itself from a link or an
// embed does at most the default run's work, whatever the link asks, and
// a link within the defaults runs as it is.
func TestExperimentAutostart(t *testing.T) {
	for _, tc := range []struct {
		query  string
		capped bool
		want   func(s *ExperimentSpec) bool
	}{
		{"exp=race&x.t=8192&x.runs=50", true, func(s *ExperimentSpec) bool { return s.T == 1024 && s.Runs == 3 && s.D == 64 && s.B == 16 }},
		{"exp=race&x.t=256&x.runs=1&x.seed=9", false, func(s *ExperimentSpec) bool { return s.T == 256 && s.Runs == 1 && s.Seed == 9 }},
		{"exp=lanes&x.pairs=4,128,256,8&x.d=64", true, func(s *ExperimentSpec) bool { return reflect.DeepEqual(s.Pairs, []int{4, 8}) && s.D == 16 }},
		{"exp=lanes&x.pairs=200,256", true, func(s *ExperimentSpec) bool { return reflect.DeepEqual(s.Pairs, DefaultExperiment("lanes").Pairs) }},
		{"exp=sweep&x.bs=1,2,3,4,5,6,7,8,9", true, func(s *ExperimentSpec) bool { return len(s.Bs) == 7 }},
		{"exp=cost&x.min_t=4096&x.max_t=8192&x.runs=9", true, func(s *ExperimentSpec) bool { return s.MinT == 4096 && s.MaxT == 8192 && s.Runs == 3 }},
		{"exp=equivalence&x.d=8&x.t=16", false, func(s *ExperimentSpec) bool { return s.D == 8 && s.T == 16 }},
	} {
		q, _ := url.ParseQuery(tc.query)
		s, err := ExperimentFromQuery(q)
		if err != nil {
			t.Fatalf("%s: %v", tc.query, err)
		}
		got, capped := s.Autostart()
		if capped != tc.capped || !tc.want(&got) || got.Validate() != nil {
			t.Errorf("Autostart(%s) = %+v, capped %v; want capped %v", tc.query, got, capped, tc.capped)
		}
	}
	if s := DefaultExperiment("lanes"); !reflect.DeepEqual(s.Pairs, ExperimentKinds[1].Defaults.Pairs) {
		t.Errorf("the lanes defaults changed: %v", ExperimentKinds[1].Defaults.Pairs)
	}
}
