package lm

import _ "embed"

// pretrained is the TTT-Linear model `make train` produces (see
// weights/MODEL_CARD.md): 2 blocks, D = 64, one TTT-Linear head of d = 64, b = 16.
//
//go:embed weights/ttt-linear.safetensors
var pretrained []byte

// Pretrained returns the embedded, trained TTT-Linear model. Each call
// parses a fresh copy, so callers may not share state by accident.
func Pretrained() (*Model, error) {
	m, _, err := Load(pretrained)
	return m, err
}

// PretrainedMetadata is the embedded weights' __metadata__: the config, the
// training settings and the recorded validation loss.
func PretrainedMetadata() (map[string]string, error) {
	_, meta, err := ReadSafetensors(pretrained)
	return meta, err
}
