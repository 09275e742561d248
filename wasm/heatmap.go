//go:build js

package main

import (
	"fmt"
	"image"
	"math"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/vector"
)

// A heat map's axes follow z = x W: row j of W is input dimension j,
// column i output dimension i.
const axisNote = "rows: input dim j ↓ · columns: output dim i →"

// axisMargins are the device pixels left of and above a map that its tick
// labels take.
func (g *game) axisMargins() (left, top float64) {
	return g.tx.width("000", g.px(9), false) + g.px(3), g.px(11)
}

// drawMap draws m with its top-left cell at (x, y), cell device pixels a
// weight, and with axes its first, middle and last row and column indices
// in the margins. hover gives the text for the cell (r, c).
func (g *game) drawMap(dst *ebiten.Image, m mat, scale, x, y, cell float64, axes bool, hover func(r, c int) string) image.Rectangle {
	g.fillMap(dst, m, scale, x, y, cell)
	rect := image.Rect(int(x), int(y), int(x+float64(m.cols)*cell), int(y+float64(m.rows)*cell))
	if axes && float64(m.cols)*cell >= g.px(40) {
		fs := g.px(9)
		for _, r := range ticks(m.rows, cell, fs) {
			s := fmt.Sprint(r)
			g.tx.draw(dst, s, x-g.px(2)-g.tx.width(s, fs, false), y+(float64(r)+0.5)*cell-fs*0.6, fs, g.th.muted, false)
		}
		for _, c := range ticks(m.cols, cell, g.tx.width("000", fs, false)) {
			s := fmt.Sprint(c)
			g.tx.draw(dst, s, x+(float64(c)+0.5)*cell-g.tx.width(s, fs, false)/2, y-g.px(11), fs, g.th.muted, false)
		}
	}
	if hover != nil {
		g.hits = append(g.hits, hit{rect, func(px, py int) string {
			r, c := int((float64(py)-y)/cell), int((float64(px)-x)/cell)
			return hover(min(max(r, 0), m.rows-1), min(max(c, 0), m.cols-1))
		}})
	}
	return rect
}

// ticks picks the indices to label along n cells: first, last and evenly
// between, as many as fit at least 2·room apart.
func ticks(n int, cell, room float64) []int {
	if n == 1 {
		return nil
	}
	k := 1
	for k < n && float64(k)*cell < 2*room {
		k *= 2
	}
	var out []int
	for i := 0; i < n-1; i += k {
		if (n-1-i)*int(math.Ceil(cell)) >= int(room) || i == 0 {
			out = append(out, i)
		}
	}
	return append(out, n-1)
}

// drawColourBar draws the diverging scale from −scale to +scale in w
// device pixels, its three values under it, and name before it; it returns
// the height used.
func (g *game) drawColourBar(dst *ebiten.Image, name string, scale, x, y, w float64) float64 {
	fs := g.px(10)
	nw := g.tx.draw(dst, name, x, y, fs, g.th.muted, false) + g.px(4)
	bx, bw, bh := x+nw, w-nw, g.px(8)
	if bw < g.px(40) {
		return 0
	}
	const steps = 48
	for i := range steps {
		v := (float64(i)+0.5)/steps*2 - 1
		vector.DrawFilledRect(dst, float32(bx+bw*float64(i)/steps), float32(y+g.px(2)), float32(bw/steps+1), float32(bh), g.th.diverging(v*scale, scale), false)
	}
	for i, s := range []string{fmt.Sprintf("−%.2g", scale), "0", fmt.Sprintf("+%.2g", scale)} {
		tw := g.tx.width(s, fs, false)
		tx := bx + bw*float64(i)/2 - tw*float64(i)/2
		g.tx.draw(dst, s, tx, y+bh+g.px(3), fs, g.th.muted, false)
	}
	return bh + g.px(3) + fs*1.3
}

// vec is a vector as a one-row map.
func vec(name string, v []float32) mat {
	return mat{name, 1, len(v), func(_, c int) float64 { return float64(v[c]) }}
}

func maxAbsVec(vs ...[]float32) float64 {
	m := 0.0
	for _, v := range vs {
		for _, x := range v {
			m = max(m, math.Abs(float64(x)))
		}
	}
	return m
}
