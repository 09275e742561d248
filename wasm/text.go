//go:build js

package main

import (
	"fmt"
	"image"
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
	warm        map[sizeKey]bool           // sizes whose number glyphs are rasterised: at phase 0 (false) or all (true)
	pending     []warmSize                 // sizes warm1 is still to finish
	buf         []byte
	cw, ch      int      // the 2D canvas's size
	font        string   // the 2D context's font
	fillRow     js.Value // fillRow(ctx, texts, xs, y, k): a row of fillText at scale k, one call from Go
	uploads     int      // images rasterised and uploaded so far (the page's tttTimings)
	drawn       []label  // every label of the last frame, for tests (tttCore.labels)
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
	// Text is drawn at refPx, scaled to its size: the browser sets up a
	// font for every size it is asked for (slow: on Linux a round trip to
	// its font service), so all labels use two fonts, 400 and 600 at refPx,
	// which web/load.js warms while the program loads. Its tttFillRow draws
	// a row of labels in one call from Go.
	fillRow := js.Global().Get("tttFillRow")
	if fillRow.Type() != js.TypeFunction {
		panic("wasm: web/load.js's tttFillRow is missing")
	}
	return &texter{canvas: c, ctx: c.Call("getContext", "2d", map[string]any{"willReadFrequently": true}), fillRow: fillRow,
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
	return t.rasteriseRow([]cell{{s, x0, w}}, size, px, y, bold)[0]
}

// cell is one run of text in a row rasterised at once: drawn at x0 in a
// box w pixels wide.
type cell struct {
	s  string
	x0 float64
	w  int
}

// rasteriseRow draws the cells side by side on the 2D canvas in one go and
// uploads them as one image, returning each cell's part of it: a size's
// number glyphs at every phase cost one upload, not 64. The canvas keeps
// its size between calls (resizing it resets its state and reallocates).
func (t *texter) rasteriseRow(cells []cell, size, px, y float64, bold bool) []*ebiten.Image {
	h := int(math.Ceil(px * 1.3))
	w := 0
	for i := range cells {
		cells[i].w = max(cells[i].w, 1)
		w += cells[i].w
	}
	if w > t.cw || h > t.ch {
		t.cw, t.ch = max(w, t.cw, 1024), max(h, t.ch, 64)
		t.canvas.Set("width", t.cw)
		t.canvas.Set("height", t.ch)
		t.ctx.Set("fillStyle", "#fff")
		t.ctx.Set("textBaseline", "alphabetic")
		t.font = ""
	}
	t.ctx.Call("clearRect", 0, 0, w, h)
	t.setFont(font(refPx, bold))
	texts, xs := make([]any, len(cells)), make([]any, len(cells))
	x := 0
	for i, c := range cells {
		texts[i], xs[i] = c.s, float64(x)+c.x0
		x += c.w
	}
	t.fillRow.Invoke(t.ctx, texts, xs, y, size/refPx)
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
	if len(cells) == 1 {
		return []*ebiten.Image{img} // whole, so that Deallocate frees it
	}
	out := make([]*ebiten.Image, len(cells))
	x = 0
	for i, c := range cells {
		out[i] = img.SubImage(image.Rect(x, 0, x+c.w, h)).(*ebiten.Image)
		x += c.w
	}
	return out
}

// setFont sets the 2D context's font when it differs: the browser parses
// the string on every set.
func (t *texter) setFont(f string) {
	if f != t.font {
		t.ctx.Set("font", f)
		t.font = f
	}
}

// width1 is the advance of s at size in device pixels. Advances are
// measured once at refPx and scaled (the 2D canvas lays text out without
// hinting, so they scale with the size): measuring is slow the first time
// at each font, and a view uses a dozen sizes.
func (t *texter) width1(s string, size float64, key sizeKey) float64 {
	k := pieceKey{s, sizeKey{refPx, key.bold}, 0}
	w, ok := t.widths[k]
	if !ok {
		t.setFont(font(refPx, key.bold))
		w = t.ctx.Call("measureText", s).Get("width").Float()
		t.widths[k] = w
	}
	return w * size / refPx
}

// refPx is the size advances are measured at.
const refPx = 100

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

// glyph returns the white image of the number character r at phase ph,
// and how many whole pixels to its right to draw it. The first number
// drawn at a size rasterises every number character at phase 0 at once,
// in one row; the other phases wait for warm, after the first frame, and
// until then a glyph is drawn at the nearest whole pixel. A playing run
// then never uploads one, and the first frame does a quarter of the work.
func (t *texter) glyph(r rune, sub bool, px float64, bold bool, ph int) (*ebiten.Image, float64) {
	p := piece{string(r), sub, true}
	size, key := p.size(px, bold)
	if _, ok := t.warm[key]; !ok {
		t.warm[key] = false
		t.rasteriseGlyphs(key, size, px, sub, bold, 0, 1)
		t.pending = append(t.pending, warmSize{key, size, px, sub, bold})
	}
	if img, ok := t.glyphs[pieceKey{p.s, key, ph}]; ok {
		return img, 0
	}
	if ph >= phases/2 {
		return t.glyphs[pieceKey{p.s, key, 0}], 1
	}
	return t.glyphs[pieceKey{p.s, key, 0}], 0
}

// warmSize is a size whose number glyphs at phases 1.. are still to come.
type warmSize struct {
	key       sizeKey
	size, px  float64
	sub, bold bool
}

// rasteriseGlyphs rasterises every number character at phases from..to−1
// at one size, as one row.
func (t *texter) rasteriseGlyphs(key sizeKey, size, px float64, sub, bold bool, from, to int) {
	var cells []cell
	var keys []pieceKey
	for _, c := range numeric {
		adv := t.width1(string(c), size, key)
		for f := from; f < to; f++ {
			cells = append(cells, cell{string(c), 1 + float64(f)/phases, int(math.Ceil(adv)) + 3})
			keys = append(keys, pieceKey{string(c), key, f})
		}
	}
	for i, img := range t.rasteriseRow(cells, size, px, piece{sub: sub, num: true}.baseline(px), bold) {
		t.glyphs[keys[i]] = img
	}
}

// warm rasterises the remaining phases of one size drawn so far and
// reports whether it did (the caller redraws, to place numbers exactly).
func (t *texter) warm1() bool {
	if len(t.pending) == 0 {
		return false
	}
	w := t.pending[0]
	t.pending = t.pending[1:]
	t.rasteriseGlyphs(w.key, w.size, w.px, w.sub, w.bold, 1, phases)
	t.warm[w.key] = true
	return true
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
				img, shift := t.glyph(r, p.sub, px, bold, ph)
				put(img, fx-1+shift)
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
