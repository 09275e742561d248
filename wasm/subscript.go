//go:build js

package main

import "strings"

// Labels are written with Unicode subscripts (Wₜ₋₁, kₜ, sᵢ), which read
// well in the page's own text and in window.ttt's strings. Many fonts lack
// some of those glyphs (ₜ above all), so the canvas draws each run of them
// as the plain characters, smaller and lowered: a real subscript.
var subscripts = map[rune]rune{
	'₀': '0', '₁': '1', '₂': '2', '₃': '3', '₄': '4', '₅': '5', '₆': '6', '₇': '7', '₈': '8', '₉': '9',
	'₋': '−', '₊': '+', '₌': '=', '₍': '(', '₎': ')',
	'ₐ': 'a', 'ₑ': 'e', 'ₒ': 'o', 'ₓ': 'x', 'ₕ': 'h', 'ₖ': 'k', 'ₗ': 'l', 'ₘ': 'm', 'ₙ': 'n', 'ₚ': 'p', 'ₛ': 's', 'ₜ': 't',
	'ᵢ': 'i', 'ⱼ': 'j', 'ᵣ': 'r', 'ᵤ': 'u', 'ᵥ': 'v',
}

const (
	subScale = 0.72 // a subscript's size, of the text's
	subDrop  = 1.18 // its baseline, in the text's px from the top (the text's own is at 1.0)
)

// segment is a run of text drawn at one size: plain, or a subscript.
type segment struct {
	s   string
	sub bool
}

// segments splits s into plain runs and subscript runs (as plain characters).
func segments(s string) []segment {
	var out []segment
	var b strings.Builder
	sub := false
	flush := func() {
		if b.Len() > 0 {
			out = append(out, segment{b.String(), sub})
			b.Reset()
		}
	}
	for _, r := range s {
		p, isSub := subscripts[r]
		if isSub != sub {
			flush()
			sub = isSub
		}
		if isSub {
			r = p
		}
		b.WriteRune(r)
	}
	flush()
	return out
}
