//go:build js

package main

import (
	"fmt"
	"image"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/vector"

	"tttexplainer/demo"
	"tttexplainer/lm"
	"tttexplainer/ttt"
)

// draw paints the language model's frame: the text coloured by each
// character's loss, the prediction after the current character, and every
// layer's and head's W.
func (v *lmView) draw(g *game, screen *ebiten.Image) {
	f, th := v.f, g.th
	if f == nil || th == nil {
		return
	}
	sh := &v.shown
	if sh.f == f && sh.hover == v.hover && sh.th == th && sh.w == g.w && sh.h == g.h {
		return
	}
	sh.f, sh.hover, sh.th, sh.w, sh.h = f, v.hover, th, g.w, g.h
	screen.Fill(th.bg)
	v.hits = v.hits[:0]
	if f.Done == 0 {
		v.scales = v.scales[:0]
	}
	pad := g.px(10)
	W, H := float64(g.w), float64(g.h)-g.inset
	status := g.px(22)
	y := pad
	title := fmt.Sprintf("language model (%s): each character coloured by its loss −ln p, green = expected, red = a surprise", f.Model)
	if rd := f.Readings; rd != nil {
		title = fmt.Sprintf("a passage read twice: first reading %s nats/char (grey underline), second %s (cursor-colour underline) · colour = loss −ln p", lossText(rd.First), lossText(rd.Again))
	}
	g.tx.draw(screen, g.fit(title, g.px(12), W-2*pad), pad, y, g.px(12), th.muted, false)
	y += g.px(18)
	y += v.drawText(g, screen, pad, y, W-2*pad, math.Floor((H-y-status-pad)*0.36)) + g.px(10)
	predW := math.Min(g.px(260), (W-2*pad)*0.32)
	rest := H - y - status - pad
	v.drawPrediction(g, screen, pad, y, predW, rest)
	used := v.drawWeights(g, screen, pad+predW+g.px(16), y, W-2*pad-predW-g.px(16), rest*0.7)
	used = max(used, g.px(18+20+float64(demo.LMTop)*22+30))
	v.drawLossChart(g, screen, pad, y+used+g.px(8), W-2*pad, rest-used-g.px(8))
	s := v.hover
	if s == "" {
		s = fmt.Sprintf("character %d of %d · %s", f.Pos, len(f.Text), backendLabel(f.Backend, f.Adapter))
		if len(f.Loss) > 0 {
			s += fmt.Sprintf(" · %.3f bits per character", f.BitsPerChar)
		}
		s += " · ← → move · hover a character or a weight"
	}
	if f.Error != "" {
		s = "error: " + f.Error
	}
	g.tx.draw(screen, g.fit(s, g.px(12), W-2*pad), pad, H-status+g.px(3), g.px(12), th.fg, false)
}

// lossTopLM is the loss of a uniform guess over the characters, ln V: the
// red end of the colour scale.
var lossTopLM = math.Log(float64(utf8.RuneCountInString(lm.Vocab)))

// drawText lays the text out in monospaced cells, line by line, and shows
// the lines around the current character in at most h device pixels. It
// returns the height it used.
func (v *lmView) drawText(g *game, dst *ebiten.Image, x0, y0, w, h float64) float64 {
	f, th := v.f, g.th
	fs := g.px(14)
	cw, lh := math.Ceil(g.tx.width("M", fs, false)*0.95), math.Ceil(fs*1.45)
	cols := max(8, int(w/cw))
	// Wrap at spaces: a newline, a full line, or a word that does not fit
	// what is left of the line starts the next (a word longer than a line
	// is broken).
	type cell struct{ i, row, col int }
	cells := make([]cell, 0, len(f.Text))
	row, col := 0, 0
	gap := func(ch string) bool { return ch == " " || ch == "\n" }
	for i, ch := range f.Text {
		if col > 0 && !gap(ch) && (i == 0 || gap(f.Text[i-1])) {
			n := 0
			for n < cols && i+n < len(f.Text) && !gap(f.Text[i+n]) {
				n++
			}
			if col+n > cols {
				row, col = row+1, 0
			}
		}
		if col >= cols {
			row, col = row+1, 0
		}
		cells = append(cells, cell{i, row, col})
		col++
		if ch == "\n" {
			row, col = row+1, 0
		}
	}
	rows := max(1, min(int(h/lh), row+1))
	cur := max(0, f.Pos-1)
	first := 0
	if len(cells) > 0 && cells[min(cur, len(cells)-1)].row >= rows-1 {
		first = cells[min(cur, len(cells)-1)].row - rows + 2
	}
	for _, c := range cells {
		r := c.row - first
		if r < 0 || r >= rows {
			continue
		}
		x, y := x0+float64(c.col)*cw, y0+float64(r)*lh
		bg, fg := th.upcoming, th.muted
		if c.i > 0 && c.i < f.Done {
			bg = lossColor(float64(f.Loss[c.i-1]), lossTopLM)
			fg = textOn(bg)
		} else if c.i == 0 && f.Done > 0 {
			bg, fg = th.panel, th.fg
		}
		vector.DrawFilledRect(dst, float32(x), float32(y), float32(cw-1), float32(lh-1), bg, false)
		ch := f.Text[c.i]
		switch ch {
		case "\n":
			ch = "↵"
		case " ":
			ch = ""
		}
		if ch != "" {
			g.tx.draw(dst, ch, x+(cw-g.tx.width(ch, fs, false))/2, y+(lh-fs*1.3)/2, fs, fg, false)
		}
		if rd := f.Readings; rd != nil {
			// The two readings of a passage read twice, underlined in two colours.
			if c.i < rd.Len {
				vector.DrawFilledRect(dst, float32(x), float32(y+lh-g.px(4)), float32(cw-1), float32(g.px(3)), th.w0, false)
			} else if c.i >= rd.Second {
				vector.DrawFilledRect(dst, float32(x), float32(y+lh-g.px(4)), float32(cw-1), float32(g.px(3)), th.cursor, false)
			}
		}
		if c.i == f.Pos-1 {
			vector.StrokeRect(dst, float32(x), float32(y), float32(cw-1), float32(lh-1), float32(g.px(2)), th.cursor, false)
		}
		i := c.i
		v.hits = append(v.hits, hit{image.Rect(int(x), int(y), int(x+cw), int(y+lh)), func(int, int) string { return v.charInfo(i) }})
	}
	return float64(rows) * lh
}

// charInfo is the hover text of character i.
func (v *lmView) charInfo(i int) string {
	f := v.f
	s := fmt.Sprintf("character %d %q", i+1, f.Text[i])
	switch {
	case i >= f.Done:
		return s + ": not read yet"
	case i == 0:
		return s + ": the first, read but not predicted"
	}
	l := float64(f.Loss[i-1])
	s += fmt.Sprintf(": loss −ln p = %.3f nats (%.2f bits); the model expected", l, l/math.Ln2)
	for _, p := range f.Top[i-1] {
		s += fmt.Sprintf(" %s %.0f%%", showChar(p.Char), 100*p.P)
	}
	return s
}

func showChar(c string) string {
	switch c {
	case "\n":
		return "↵"
	case " ":
		return "␣"
	}
	return c
}

// drawPrediction shows the next character's most likely candidates after
// the current character, and the one that came.
func (v *lmView) drawPrediction(g *game, dst *ebiten.Image, x0, y0, w, h float64) {
	f, th := v.f, g.th
	if f.Pos == 0 {
		g.tx.draw(dst, "nothing read yet", x0, y0, g.px(12), th.muted, false)
		return
	}
	i := f.Pos - 1
	ctx := strings.Join(f.Text[max(0, f.Pos-16):f.Pos], "")
	ctx = strings.ReplaceAll(ctx, "\n", "↵")
	g.tx.draw(dst, g.fit("after “"+ctx+"”", g.px(12), w), x0, y0, g.px(12), th.fg, true)
	y := y0 + g.px(18)
	next := ""
	if f.Pos < f.Done {
		next = f.Text[f.Pos]
	}
	g.tx.draw(dst, "the next character:", x0, y, g.px(12), th.muted, false)
	y += g.px(20)
	barH := math.Min(g.px(22), (h-g.px(80))/float64(demo.LMTop))
	for _, p := range f.Top[i] {
		label := showChar(p.Char)
		g.tx.draw(dst, label, x0, y+(barH-g.px(13)*1.3)/2, g.px(13), th.fg, p.Char == next)
		bx, bw := x0+g.px(24), w-g.px(24)-g.px(48)
		vector.DrawFilledRect(dst, float32(bx), float32(y+2), float32(bw), float32(barH-4), th.panel, false)
		c := th.after
		if p.Char == next {
			c = th.before
		}
		vector.DrawFilledRect(dst, float32(bx), float32(y+2), float32(bw*float64(p.P)), float32(barH-4), c, false)
		g.tx.draw(dst, fmt.Sprintf("%.1f%%", 100*p.P), bx+bw+g.px(4), y+(barH-g.px(12)*1.3)/2, g.px(12), th.fg, false)
		y += barH
	}
	y += g.px(8)
	if next != "" {
		l := float64(f.Loss[i])
		g.tx.draw(dst, g.fit(fmt.Sprintf("came: %s, loss %.2f nats = %.2f bits", showChar(next), l, l/math.Ln2), g.px(12), w), x0, y, g.px(12), th.fg, false)
	}
}

// drawWeights draws every layer's and head's W as heat maps, a row of
// heads per layer, with the heat-map code of the layer view, in at most h
// device pixels; it returns the height it used.
func (v *lmView) drawWeights(g *game, dst *ebiten.Image, x0, y0, w, h float64) float64 {
	f, th := v.f, g.th
	if len(f.W) == 0 || len(f.W[0]) == 0 {
		return 0
	}
	for len(v.scales) < len(f.W)*len(f.W[0]) {
		v.scales = append(v.scales, 0)
	}
	heads := "heads"
	if f.H == 1 {
		heads = "head"
	}
	title := fmt.Sprintf("hidden states W after character %d: %d layers × %d %s, d = %d, each on its own colour scale", f.Pos, f.Layers, f.H, heads, f.D)
	g.tx.draw(dst, g.fit(title, g.px(12), w), x0, y0, g.px(12), th.muted, false)
	y0 += g.px(18)
	h -= g.px(18)
	label, gap := g.px(16), g.px(12)
	L, Hh, d := len(f.W), len(f.W[0]), float64(f.D)
	// The maps in reading order (layer by layer), in the grid of columns
	// that gives the largest cells: one head per layer sits side by side.
	n := L * Hh
	cell, cols := 0.0, 1
	for c := 1; c <= n; c++ {
		r := (n + c - 1) / c
		if s := math.Min((w-float64(c-1)*gap)/float64(c)/d, (h-float64(r)*label-float64(r-1)*g.px(8))/float64(r)/d); s > cell {
			cell, cols = s, c
		}
	}
	cell = math.Max(1, math.Floor(cell))
	rows := (n + cols - 1) / cols
	for l, layer := range f.W {
		for hd, wt := range layer {
			k := l*Hh + hd
			px := x0 + float64(k%cols)*(d*cell+gap)
			py := y0 + float64(k/cols)*(label+d*cell+g.px(8))
			v.scales[k] = max(v.scales[k], maxAbs([]*ttt.Weights{wt}))
			name := fmt.Sprintf("layer %d head %d ±%.2g", l+1, hd+1, v.scales[k])
			if Hh == 1 {
				name = fmt.Sprintf("layer %d ±%.2g", l+1, v.scales[k])
			}
			g.tx.draw(dst, g.fit(name, g.px(12), d*cell), px, py, g.px(12), th.fg, true)
			py += label
			m := mats(wt)[0]
			g.fillMap(dst, m, v.scales[k], px, py, cell)
			ll, hh, c0, r0 := l, hd, px, py
			v.hits = append(v.hits, hit{image.Rect(int(px), int(py), int(px+d*cell), int(py+d*cell)), func(x, y int) string {
				r, c := int((float64(y)-r0)/cell), int((float64(x)-c0)/cell)
				r, c = min(r, m.rows-1), min(c, m.cols-1)
				return fmt.Sprintf("layer %d head %d W[%d,%d] = %.5f after character %d", ll+1, hh+1, r, c, mats(f.W[ll][hh])[0].at(r, c), f.Pos)
			}})
		}
	}
	return g.px(18) + float64(rows)*(label+d*cell+g.px(8))
}

// drawLossChart draws the next character's loss over the text, smoothed
// over 8 characters: where the model reads a phrase it has learnt, the
// curve dips.
func (v *lmView) drawLossChart(g *game, dst *ebiten.Image, x0, y0, w, h float64) {
	f, th := v.f, g.th
	if h < g.px(60) || len(f.Loss) < 2 {
		return
	}
	const k = 8
	g.tx.draw(dst, g.fit(fmt.Sprintf("loss of each character −ln p (nats), smoothed over %d characters; the grey line is a uniform guess, ln %d", k, utf8.RuneCountInString(lm.Vocab)), g.px(12), w), x0, y0, g.px(12), th.muted, false)
	top := y0 + g.px(20)
	ch := h - g.px(20) - g.px(6)
	axis := g.px(30)
	cx0, cw := x0+axis, w-axis
	vector.DrawFilledRect(dst, float32(cx0), float32(top), float32(cw), float32(ch), th.panel, false)
	sm := smooth(f.Loss, k)
	ymax := niceCeil(lossTopLM * 1.15)
	for i := 0; i <= 2; i++ {
		val := ymax * float64(i) / 2
		yy := top + ch - ch*float64(i)/2
		vector.StrokeLine(dst, float32(cx0), float32(yy), float32(cx0+cw), float32(yy), float32(g.px(1)), th.grid, false)
		g.tx.draw(dst, fmt.Sprintf("%.2g", val), x0, yy-g.px(8), g.px(11), th.muted, false)
	}
	n := len(f.Text) - 1 // losses of characters 1 … n
	xOf := func(i int) float64 { return cx0 + cw*float64(i)/float64(max(1, n-1)) }
	yOf := func(val float64) float64 { return top + ch - ch*math.Min(val, ymax)/ymax }
	yu := yOf(lossTopLM)
	vector.StrokeLine(dst, float32(cx0), float32(yu), float32(cx0+cw), float32(yu), float32(g.px(1)), th.w0, false)
	g.polyline(dst, sm, xOf, yOf, th.before)
	if f.Pos > 1 {
		xx := xOf(min(f.Pos-2, n-1))
		vector.StrokeLine(dst, float32(xx), float32(top), float32(xx), float32(top+ch), float32(g.px(1.5)), th.cursor, false)
	}
	v.hits = append(v.hits, hit{image.Rect(int(cx0), int(top), int(cx0+cw), int(top+ch)), func(x, _ int) string {
		i := int(math.Round((float64(x) - cx0) / cw * float64(max(1, n-1))))
		if i < 0 || i >= len(sm) {
			return ""
		}
		return v.charInfo(i+1) + fmt.Sprintf(" · smoothed %.3f", sm[i])
	}})
}

// lossText is a reading's mean loss, or "…" before it is read.
func lossText(l *float64) string {
	if l == nil {
		return "…"
	}
	return fmt.Sprintf("%.2f", *l)
}
