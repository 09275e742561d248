package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"unicode"

	"tttexplainer/scenario"
)

// MaxTokens bounds the sequence the page streams: the reader's own text is
// cut there (and the page says so).
const MaxTokens = 2048

// Input is a tokenised sequence with what the page needs to grade it.
type Input struct {
	Name   string   // the preset, or "text"
	Tokens []string // what the token strip shows, one entry per token
	Cut    bool     // the text was longer than MaxTokens and was cut

	// Occurrence is, for the repeated-phrase preset, 0 on the tokens of a
	// phrase's first appearance, n on its (n+1)-th, and −1 elsewhere.
	Occurrence []int
	// Queries are the recall preset's test positions: at each, the layer has
	// seen the key and must produce the value that followed it earlier.
	Queries []Query
	// Values are the recall preset's candidate answers.
	Values []string
}

// Query is one associative-recall question: after token Pos (a key), z_Pos
// should point at the value Want.
type Query struct {
	Pos  int
	Want string
}

// Tokenize splits text into lower-case words (letters, digits, apostrophes)
// and single punctuation marks, dropping white space. It keeps at most
// MaxTokens and reports whether it cut.
func Tokenize(text string) ([]string, bool) {
	var out []string
	var word strings.Builder
	flush := func() {
		if word.Len() > 0 {
			out = append(out, word.String())
			word.Reset()
		}
	}
	for _, r := range text {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'' || r == '’':
			word.WriteRune(unicode.ToLower(r))
		case unicode.IsSpace(r):
			flush()
		case unicode.IsPrint(r):
			flush()
			out = append(out, string(r))
		}
	}
	flush()
	if len(out) > MaxTokens {
		return out[:MaxTokens], true
	}
	return out, false
}

// BuildInput turns a scenario's input choice into tokens. The presets are
// seeded by the scenario's seed, so a link reproduces them.
func BuildInput(s *scenario.Scenario) (*Input, error) {
	rng := rand.New(rand.NewPCG(s.Seed, 0x696e_7075_74))
	var in *Input
	switch s.Input {
	case "repeat":
		in = repeatInput(rng)
	case "recall":
		in = recallInput(rng)
	case "random":
		in = randomInput(rng)
	case "prose":
		toks, _ := Tokenize(proseText)
		in = &Input{Tokens: toks}
	case "text":
		toks, cut := Tokenize(s.Text)
		in = &Input{Tokens: toks, Cut: cut}
	default:
		return nil, scenario.Errorf("input", "%q, want one of %s", s.Input, strings.Join(scenario.Inputs, ", "))
	}
	in.Name = s.Input
	if len(in.Tokens) < 2 {
		return nil, scenario.Errorf("text", "%d token(s) after splitting into words, want at least 2", len(in.Tokens))
	}
	return in, nil
}

// repeatInput strings together short phrases drawn from a small set, so that
// most phrases come back several times. The first appearance of a phrase is
// new to the layer; later ones can be predicted from what it memorised.
func repeatInput(rng *rand.Rand) *Input {
	const target = 400
	in := &Input{}
	seen := make([]int, len(phrases))
	// The first pass shows every phrase once, in a shuffled order; then
	// phrases come back at random.
	order := rng.Perm(len(phrases))
	for len(in.Tokens) < target {
		var p int
		if len(order) > 0 {
			p, order = order[0], order[1:]
		} else {
			p = rng.IntN(len(phrases))
		}
		toks, _ := Tokenize(phrases[p])
		for _, tok := range toks {
			in.Tokens = append(in.Tokens, tok)
			in.Occurrence = append(in.Occurrence, seen[p])
		}
		seen[p]++
	}
	return in
}

// recallInput lists key–value pairs, then asks for the keys again in a new
// order, each followed by its value: the associative-recall task of the
// Zoology benchmarks (MQAR). The layer sees a key and must already point at
// the value it followed before.
func recallInput(rng *rand.Rand) *Input {
	const pairs = 12
	in := &Input{}
	keyIdx := rng.Perm(len(recallKeys))[:pairs]
	valIdx := rng.Perm(len(recallValues))[:pairs]
	for i := 0; i < pairs; i++ {
		in.Tokens = append(in.Tokens, recallKeys[keyIdx[i]], recallValues[valIdx[i]])
		in.Values = append(in.Values, recallValues[valIdx[i]])
	}
	// Two rounds of questions, each in its own order.
	for range 2 {
		in.Tokens = append(in.Tokens, ".")
		for _, i := range rng.Perm(pairs) {
			in.Queries = append(in.Queries, Query{Pos: len(in.Tokens), Want: recallValues[valIdx[i]]})
			in.Tokens = append(in.Tokens, recallKeys[keyIdx[i]], recallValues[valIdx[i]])
		}
	}
	return in
}

// randomInput draws words uniformly from a list: nothing in it repeats in a
// way that can be learned, so it is the control.
func randomInput(rng *rand.Rand) *Input {
	const n = 400
	in := &Input{Tokens: make([]string, n)}
	for i := range in.Tokens {
		in.Tokens[i] = randomWords[rng.IntN(len(randomWords))]
	}
	return in
}

// Describe is a one-line description of an input for the page.
func (in *Input) Describe() string {
	switch in.Name {
	case "repeat":
		return fmt.Sprintf("%d tokens: short phrases that come back again and again", len(in.Tokens))
	case "recall":
		return fmt.Sprintf("%d tokens: %d key–value pairs, then every key asked twice", len(in.Tokens), len(in.Values))
	case "random":
		return fmt.Sprintf("%d random words: nothing to learn (the control)", len(in.Tokens))
	case "prose":
		return fmt.Sprintf("%d tokens of Dickens, A Tale of Two Cities (1859)", len(in.Tokens))
	}
	if in.Cut {
		return fmt.Sprintf("your text, cut to its first %d tokens", len(in.Tokens))
	}
	return fmt.Sprintf("your text: %d tokens", len(in.Tokens))
}
