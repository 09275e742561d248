//go:build js

package main

import (
	"fmt"
	"image/color"
	"math"
	"syscall/js"

	"github.com/hajimehoshi/ebiten/v2"
)

// Text is drawn by the browser: a 2D canvas rasterises each label with the
// reader's own system font at the screen's device pixels, and ebiten draws
// the result as an image. That keeps text crisp on high-DPI screens and costs
// the wasm nothing (a font rasteriser in Go would add half a megabyte).
type texter struct {
	canvas, ctx js.Value
	cache       map[textKey]*ebiten.Image
	buf         []byte
	drawn       []label // every label of the last frame, for tests (tttCore.labels)
}

// label is a string drawn on the canvas and its box in device pixels.
type label struct {
	Text       string
	X, Y, W, H float64
}

type textKey struct {
	s    string
	px   float64
	c    color.RGBA
	bold bool
}

func newTexter() *texter {
	c := js.Global().Get("document").Call("createElement", "canvas")
	return &texter{canvas: c, ctx: c.Call("getContext", "2d", map[string]any{"willReadFrequently": true}), cache: map[textKey]*ebiten.Image{}}
}

func font(px float64, bold bool) string {
	w := "400"
	if bold {
		w = "600"
	}
	return fmt.Sprintf("%s %.1fpx system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", w, px)
}

// image returns s rendered at px device pixels in colour c; its height is
// about 1.3·px and its baseline sits at px.
func (t *texter) image(s string, px float64, c color.RGBA, bold bool) *ebiten.Image {
	k := textKey{s, px, c, bold}
	if img, ok := t.cache[k]; ok {
		return img
	}
	if len(t.cache) > 4000 {
		for _, img := range t.cache {
			img.Deallocate()
		}
		clear(t.cache)
	}
	segs := segments(s)
	w := int(math.Ceil(t.measure(segs, px, bold))) + 2
	h := int(math.Ceil(px * 1.3))
	if w < 1 || s == "" {
		w = 1
	}
	t.canvas.Set("width", w)
	t.canvas.Set("height", h)
	// Resizing the canvas resets its state.
	t.ctx.Set("fillStyle", fmt.Sprintf("rgba(%d,%d,%d,%g)", c.R, c.G, c.B, float64(c.A)/255))
	t.ctx.Set("textBaseline", "alphabetic")
	x := 1.0
	for _, sg := range segs {
		size, y := px, px
		if sg.sub {
			size, y = px*subScale, px*subDrop
		}
		t.ctx.Set("font", font(size, bold))
		t.ctx.Call("fillText", sg.s, x, y)
		x += t.ctx.Call("measureText", sg.s).Get("width").Float()
	}
	data := t.ctx.Call("getImageData", 0, 0, w, h).Get("data")
	if cap(t.buf) < 4*w*h {
		t.buf = make([]byte, 4*w*h)
	}
	buf := t.buf[:4*w*h]
	js.CopyBytesToGo(buf, data)
	// The canvas gives straight alpha; ebiten wants premultiplied.
	for i := 0; i < len(buf); i += 4 {
		a := uint32(buf[i+3])
		buf[i] = byte(uint32(buf[i]) * a / 255)
		buf[i+1] = byte(uint32(buf[i+1]) * a / 255)
		buf[i+2] = byte(uint32(buf[i+2]) * a / 255)
	}
	img := ebiten.NewImage(w, h)
	img.WritePixels(buf)
	t.cache[k] = img
	return img
}

// width is the width of s in device pixels.
func (t *texter) width(s string, px float64, bold bool) float64 {
	return t.measure(segments(s), px, bold)
}

func (t *texter) measure(segs []segment, px float64, bold bool) float64 {
	w := 0.0
	for _, sg := range segs {
		size := px
		if sg.sub {
			size = px * subScale
		}
		t.ctx.Set("font", font(size, bold))
		w += t.ctx.Call("measureText", sg.s).Get("width").Float()
	}
	return w
}

// draw puts s with its top-left at (x, y).
func (t *texter) draw(dst *ebiten.Image, s string, x, y, px float64, c color.RGBA, bold bool) float64 {
	img := t.image(s, px, c, bold)
	op := &ebiten.DrawImageOptions{}
	op.GeoM.Translate(math.Round(x), math.Round(y-0.15*px))
	dst.DrawImage(img, op)
	b := img.Bounds()
	if len(t.drawn) > 4000 { // a view that does not reset it (the LM's) must not grow it forever
		t.drawn = t.drawn[:0]
	}
	t.drawn = append(t.drawn, label{s, x, y - 0.15*px, float64(b.Dx()), float64(b.Dy())})
	return float64(img.Bounds().Dx())
}
