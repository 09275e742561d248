package site

import (
	"testing"

	"tttexplainer/scenario"
)

// An experiment scenario is named for its experiment in the embed's title.
func TestTitleOfAnExperiment(t *testing.T) {
	s := scenario.Default()
	spec := scenario.DefaultExperiment("race")
	s.Experiment = &spec
	if got, want := Title(&s), "TTT Explainer: the race experiment"; got != want {
		t.Errorf("Title = %q; want %q", got, want)
	}
}

// A language-model scenario is named for the mode, never for its text.
func TestTitleOfALanguageModel(t *testing.T) {
	s := scenario.Default()
	s.LM = &scenario.LMSpec{Text: "Call me <b>Ishmael</b>."}
	if got, want := Title(&s), "TTT Explainer: a TTT language model reading a text"; got != want {
		t.Errorf("Title = %q; want %q", got, want)
	}
}
