//go:build js

package main

import (
	"image/color"
	"math"
)

// theme holds the page's colours in light or dark mode (prefers-color-scheme).
type theme struct {
	bg, panel, fg, muted, grid, zero color.RGBA
	neg, pos                         color.RGBA // ends of the diverging W scale
	w0, before, after                color.RGBA // the three loss curves
	cursor, upcoming                 color.RGBA
}

var (
	lightTheme = theme{
		bg: rgb(0xff, 0xff, 0xff), panel: rgb(0xf5, 0xf6, 0xf8), fg: rgb(0x1f, 0x23, 0x28), muted: rgb(0x65, 0x6d, 0x76),
		grid: rgb(0xdd, 0xe1, 0xe6), zero: rgb(0xf7, 0xf7, 0xf7),
		neg: rgb(0x21, 0x66, 0xac), pos: rgb(0xb2, 0x18, 0x2b),
		w0: rgb(0x8c, 0x95, 0x9f), before: rgb(0xd9, 0x5f, 0x02), after: rgb(0x1b, 0x6e, 0xc2),
		cursor: rgb(0x1f, 0x23, 0x28), upcoming: rgb(0xea, 0xec, 0xef),
	}
	darkTheme = theme{
		bg: rgb(0x0d, 0x11, 0x17), panel: rgb(0x16, 0x1b, 0x22), fg: rgb(0xe6, 0xed, 0xf3), muted: rgb(0x9d, 0xa7, 0xb3),
		grid: rgb(0x30, 0x36, 0x3d), zero: rgb(0x1c, 0x21, 0x28),
		neg: rgb(0x6c, 0xb4, 0xff), pos: rgb(0xff, 0x7b, 0x72),
		w0: rgb(0x8b, 0x94, 0x9e), before: rgb(0xff, 0xa6, 0x57), after: rgb(0x58, 0xa6, 0xff),
		cursor: rgb(0xf0, 0xf6, 0xfc), upcoming: rgb(0x21, 0x26, 0x2d),
	}
)

func rgb(r, g, b uint8) color.RGBA { return color.RGBA{r, g, b, 0xff} }

func mix(a, b color.RGBA, t float64) color.RGBA {
	t = max(0, min(1, t))
	f := func(x, y uint8) uint8 { return uint8(math.Round(float64(x) + (float64(y)-float64(x))*t)) }
	return color.RGBA{f(a.R, b.R), f(a.G, b.G), f(a.B, b.B), f(a.A, b.A)}
}

// diverging maps v/scale in [−1, 1] to neg … zero … pos. A square-root
// ramp keeps small weights visible next to large ones.
func (th *theme) diverging(v, scale float64) color.RGBA {
	if scale <= 0 || math.IsNaN(v) {
		return th.zero
	}
	x := max(-1, min(1, v/scale))
	if x < 0 {
		return mix(th.zero, th.neg, math.Sqrt(-x))
	}
	return mix(th.zero, th.pos, math.Sqrt(x))
}

// lossRamp is the token strip's scale: low loss (well predicted) teal,
// high loss (a surprise) magenta, through amber.
var lossRamp = []color.RGBA{rgb(0x1a, 0x98, 0x50), rgb(0x91, 0xcf, 0x60), rgb(0xfe, 0xe0, 0x8b), rgb(0xfc, 0x8d, 0x59), rgb(0xd7, 0x30, 0x27)}

func lossColor(v, top float64) color.RGBA {
	if top <= 0 || math.IsNaN(v) {
		return lossRamp[len(lossRamp)-1]
	}
	x := max(0, min(1, v/top)) * float64(len(lossRamp)-1)
	i := min(int(x), len(lossRamp)-2)
	return mix(lossRamp[i], lossRamp[i+1], x-float64(i))
}

// textOn picks black or white text for a background.
func textOn(c color.RGBA) color.RGBA {
	if 0.299*float64(c.R)+0.587*float64(c.G)+0.114*float64(c.B) > 150 {
		return rgb(0x11, 0x11, 0x11)
	}
	return rgb(0xff, 0xff, 0xff)
}
