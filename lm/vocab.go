package lm

import "tttexplainer/lm/vocab"

// Vocab is the model's character set (package vocab); a token is a
// character's index in it.
const Vocab = vocab.Vocab

// Encode maps text to tokens; a character outside Vocab is an error naming it.
func Encode(text string) ([]int, error) { return vocab.Encode(text) }

// Decode maps tokens back to text.
func Decode(tokens []int) string { return vocab.Decode(tokens) }

var vocabRunes = []rune(Vocab)
