package demo

import (
	"errors"

	"tttexplainer/ttt/lm"
)

// PretrainedLM is the page's language model: the trained TTT-Linear
// weights that ttt/lm embeds (lm.Pretrained). Until they are committed it
// says so, and the page shows that instead of a model: an untrained one
// would predict noise and teach nothing.
func PretrainedLM() (*lm.Model, error) {
	return nil, errors.New("the trained language model is not in this build yet: its weights (ttt/lm/weights/ttt-linear.safetensors) are still being trained")
}
