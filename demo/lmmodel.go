package demo

import (
	"errors"
	"fmt"

	"tttexplainer/ttt/lm"
)

// PretrainedLM is the page's language model: the trained TTT-Linear
// weights that ttt/lm embeds (lm.Pretrained). Until they are committed it
// says so, and the page shows that instead of a model: an untrained one
// would predict noise and teach nothing.
func PretrainedLM() (*lm.Model, error) {
	return nil, errors.New("the trained language model is not in this build yet: its weights (ttt/lm/weights/ttt-linear.safetensors) are still being trained")
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
