package demo

import (
	"fmt"

	"tttexplainer/lm"
)

// PretrainedLM is the page's language model: the trained TTT-Linear
// weights that lm embeds (weights/MODEL_CARD.md describes them).
func PretrainedLM() (*lm.Model, error) {
	m, err := lm.Pretrained()
	if err != nil {
		return nil, fmt.Errorf("the trained language model does not load: %w", err)
	}
	return m, nil
}

// UntrainedSeed is the seed of the "untrained" model.
const UntrainedSeed = 1

// LoadLM gives a language model by name: "pretrained" (the page's, trained
// on Moby-Dick) or "untrained" (the same shape at its initialisation, seed
// UntrainedSeed: its TTT layers still learn the text as they read it, but
// nothing was learnt before, which is the comparison it is there for).
func LoadLM(name string) (*lm.Model, error) {
	switch name {
	case "pretrained", "":
		return PretrainedLM()
	case "untrained":
		return lm.New(lm.DefaultConfig(lm.TTTLinear), UntrainedSeed)
	}
	return nil, fmt.Errorf("lm: unknown model %q (want pretrained or untrained)", name)
}
