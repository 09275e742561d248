package site

import (
	"testing"

	"tttexplainer/demo"
)

// An experiment scenario is named for its experiment in the embed's title.
func TestTitleOfAnExperiment(t *testing.T) {
	s := demo.Default()
	spec := demo.DefaultExperiment("race")
	s.Experiment = &spec
	if got, want := Title(&s), "TTT Explainer: the race experiment"; got != want {
		t.Errorf("Title = %q; want %q", got, want)
	}
}
