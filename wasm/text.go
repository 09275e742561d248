//go:build js

package main

import (
	"fmt"
	"image/color"
	"math"
	"strings"
	"syscall/js"

	"github.com/hajimehoshi/ebiten/v2"
)

// Text is drawn by the browser: a 2D canvas rasterises each label with the
// reader's own system font at the screen's device pixels, and ebiten draws
// the result as an image. That keeps text crisp on high-DPI screens and costs
// the wasm nothing (a font rasteriser in Go would add half a megabyte).
//
// Images are rasterised in white, once, and tinted as they are drawn, and a
// label is drawn in pieces: its numbers (t = 41, ±0.31), which change as
// the run plays, glyph by glyph from digits rasterised at four sub-pixel
// offsets, the words around them each as one image. A frame of a playing
// run then uploads no text at all: on a software-rendered page every image
// uploaded between two draws splits the frame's render pass, and the
// browser's compositor waits for all of them (docs/BENCHMARKS.md).
type texter struct {
	canvas, ctx js.Value
	words       map[pieceKey]*ebiten.Image // white runs of text without digits
	glyphs      map[pieceKey]*ebiten.Image // white number glyphs, at each phase
	widths      map[pieceKey]float64       // a piece's advance in device pixels
	warm        map[sizeKey]bool           // sizes whose number glyphs are all rasterised
	buf         []byte
	uploads     int     // images rasterised and uploaded so far (the page's tttTimings)
	drawn       []label // every label of the last frame, for tests (tttCore.labels)
}

// label is a string drawn on the canvas and its box in device pixels.
type label struct {
	Text       string
	X, Y, W, H float64
}

// sizeKey is a font size and weight; a subscript is keyed by its negated px.
type sizeKey struct {
	px   float64
	bold bool
}

// pieceKey is a run of text at a size (phase: the quarter pixel a glyph is
// rasterised at, 0 for words and widths).
type pieceKey struct {
	s     string
	size  sizeKey
	phase int
}

const (
	phases  = 4                  // sub-pixel offsets a number glyph is rasterised at
	numeric = "0123456789.,−+-e" // the characters of numbers, drawn glyph by glyph
)

func newTexter() *texter {
	c := js.Global().Get("document").Call("createElement", "canvas")
	return &texter{canvas: c, ctx: c.Call("getContext", "2d", map[string]any{"willReadFrequently": true}),
		words: map[pieceKey]*ebiten.Image{}, glyphs: map[pieceKey]*ebiten.Image{}, widths: map[pieceKey]float64{}, warm: map[sizeKey]bool{}}
}

func font(px float64, bold bool) string {
	w := "400"
	if bold {
		w = "600"
	}
	return fmt.Sprintf("%s %.1fpx system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", w, px)
}

// piece is a run of a label drawn one way: a number glyph by glyph, or
// words as one image.
type piece struct {
	s        string
	sub, num bool
}

// pieces splits s into its subscript and plain runs and those into
// numbers and words. A number is a digit run with the signs, points and
// exponents around it; an "e" or a sign alone is a word's.
func pieces(s string) []piece {
	var out []piece
	for _, sg := range segments(s) {
		rs := []rune(sg.s)
		isNum := make([]bool, len(rs))
		for i, r := range rs {
			isNum[i] = r >= '0' && r <= '9'
		}
		// Grow each digit run over the number characters beside it.
		for changed := true; changed; {
			changed = false
			for i, r := range rs {
				if isNum[i] || !strings.ContainsRune(numeric, r) {
					continue
				}
				if (i > 0 && isNum[i-1]) || (i+1 < len(rs) && isNum[i+1] && rs[i+1] >= '0' && rs[i+1] <= '9') {
					isNum[i], changed = true, true
				}
			}
		}
		for i := 0; i < len(rs); {
			j := i
			for j < len(rs) && isNum[j] == isNum[i] {
				j++
			}
			out = append(out, piece{string(rs[i:j]), sg.sub, isNum[i]})
			i = j
		}
	}
	return out
}

// size is a piece's font size in device pixels and its cache key.
func (p piece) size(px float64, bold bool) (float64, sizeKey) {
	if p.sub {
		return px * subScale, sizeKey{-px, bold}
	}
	return px, sizeKey{px, bold}
}

// rasterise draws s in white at size at x offset x0 (y: the baseline from
// the top of px·1.3) and returns it as an ebiten image w wide.
func (t *texter) rasterise(s string, size, px, y, x0 float64, w int, bold bool) *ebiten.Image {
	h := int(math.Ceil(px * 1.3))
	w = max(w, 1)
	t.canvas.Set("width", w)
	t.canvas.Set("height", h)
	// Resizing the canvas resets its state.
	t.ctx.Set("fillStyle", "#fff")
	t.ctx.Set("textBaseline", "alphabetic")
	t.ctx.Set("font", font(size, bold))
	t.ctx.Call("fillText", s, x0, y)
	data := t.ctx.Call("getImageData", 0, 0, w, h).Get("data")
	if cap(t.buf) < 4*w*h {
		t.buf = make([]byte, 4*w*h)
	}
	buf := t.buf[:4*w*h]
	js.CopyBytesToGo(buf, data)
	// The canvas gives straight alpha; ebiten wants premultiplied: white
	// at alpha a is (a, a, a, a).
	for i := 0; i < len(buf); i += 4 {
		a := buf[i+3]
		buf[i], buf[i+1], buf[i+2] = a, a, a
	}
	img := ebiten.NewImage(w, h)
	img.WritePixels(buf)
	t.uploads++
	return img
}

// width1 is the advance of s at size in device pixels.
func (t *texter) width1(s string, size float64, key sizeKey) float64 {
	k := pieceKey{s, key, 0}
	if w, ok := t.widths[k]; ok {
		return w
	}
	t.ctx.Set("font", font(size, key.bold))
	w := t.ctx.Call("measureText", s).Get("width").Float()
	t.widths[k] = w
	return w
}

// baseline is where a piece's baseline sits, from the top of its image.
func (p piece) baseline(px float64) float64 {
	if p.sub {
		return px * subDrop
	}
	return px
}

// word returns the white image of a run of words.
func (t *texter) word(p piece, px float64, bold bool) *ebiten.Image {
	size, key := p.size(px, bold)
	k := pieceKey{p.s, key, 0}
	if img, ok := t.words[k]; ok {
		return img
	}
	if len(t.words) > 4000 {
		for _, img := range t.words {
			img.Deallocate()
		}
		clear(t.words)
	}
	img := t.rasterise(p.s, size, px, p.baseline(px), 1, int(math.Ceil(t.width1(p.s, size, key)))+3, bold)
	t.words[k] = img
	return img
}

// glyph returns the white image of the number character r at phase ph.
// The first number drawn at a size rasterises every number character at
// every phase at once, so that a playing run never uploads one.
func (t *texter) glyph(r rune, sub bool, px float64, bold bool, ph int) *ebiten.Image {
	p := piece{string(r), sub, true}
	size, key := p.size(px, bold)
	if !t.warm[key] {
		t.warm[key] = true
		for _, c := range numeric {
			q := piece{string(c), sub, true}
			adv := t.width1(q.s, size, key)
			for f := range phases {
				t.glyphs[pieceKey{q.s, key, f}] = t.rasterise(q.s, size, px, q.baseline(px), 1+float64(f)/phases, int(math.Ceil(adv))+3, bold)
			}
		}
	}
	if img, ok := t.glyphs[pieceKey{p.s, key, ph}]; ok {
		return img
	}
	img := t.rasterise(p.s, size, px, p.baseline(px), 1+float64(ph)/phases, int(math.Ceil(t.width1(p.s, size, key)))+3, bold)
	t.glyphs[pieceKey{p.s, key, ph}] = img
	return img
}

// layout walks the pieces of s from x and calls put (when not nil) with
// each image to draw and its left edge; it returns the pen's advance.
func (t *texter) layout(s string, x, px float64, bold bool, put func(img *ebiten.Image, left float64)) float64 {
	pen := x
	for _, p := range pieces(s) {
		size, key := p.size(px, bold)
		if !p.num {
			if put != nil {
				put(t.word(p, px, bold), math.Round(pen)-1)
			}
			pen += t.width1(p.s, size, key)
			continue
		}
		for _, r := range p.s {
			c := string(r)
			if put != nil {
				fx := math.Floor(pen)
				ph := int(math.Round((pen - fx) * phases))
				if ph == phases {
					fx, ph = fx+1, 0
				}
				put(t.glyph(r, p.sub, px, bold, ph), fx-1)
			}
			pen += t.width1(c, size, key)
		}
	}
	return pen - x
}

// width is the width of s in device pixels, as draw lays it out.
func (t *texter) width(s string, px float64, bold bool) float64 {
	return t.layout(s, 0, px, bold, nil)
}

// draw puts s with its top-left at (x, y) in colour c and returns its width.
func (t *texter) draw(dst *ebiten.Image, s string, x, y, px float64, c color.RGBA, bold bool) float64 {
	top := math.Round(y - 0.15*px)
	op := &ebiten.DrawImageOptions{}
	op.ColorScale.ScaleWithColor(c)
	w := t.layout(s, x, px, bold, func(img *ebiten.Image, left float64) {
		op.GeoM.Reset()
		op.GeoM.Translate(left, top)
		dst.DrawImage(img, op)
	}) + 2
	if len(t.drawn) > 4000 { // a view that does not reset it (the LM's) must not grow it forever
		t.drawn = t.drawn[:0]
	}
	t.drawn = append(t.drawn, label{s, x, y - 0.15*px, w, math.Ceil(px * 1.3)})
	return w
}
