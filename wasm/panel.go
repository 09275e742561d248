//go:build js

package main

import (
	"fmt"
	"image"
	"math"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/vector"

	"tttexplainer/demo"
	"tttexplainer/ttt"
)

// narrTicks is how long the slow step dwells on each part of the panel, in
// updates (ebiten's 60 a second). Counted, not timed: a clock read on the
// API's goroutine and one read in Update disagreed by the page's age.
const narrTicks = 150

// narration is the slow step in progress: the panel lights up one part at
// a time, demo.StepParts in order, with its caption.
type narration struct {
	on    bool
	t     int // the token narrated; moving away ends it
	ticks int // updates since it began
}

// part is the index into demo.StepParts being narrated, or −1.
func (n *narration) part() int {
	if !n.on {
		return -1
	}
	return min(n.ticks/narrTicks, len(demo.StepParts)-1)
}

// tick advances the walk by one update; it ends after dwelling on the last part.
func (n *narration) tick() {
	if n.on {
		n.ticks++
		n.on = n.ticks < narrTicks*(len(demo.StepParts)+1)
	}
}

// drawPanel draws the one-step panel of the selected head for the shown
// token in the box (x0, y0, w, h): the vectors of the step, then W_{t−1},
// ΔW and W_t side by side, the loss before and after, and a line on what
// the code does (or the slow step's caption).
func (g *game) drawPanel(dst *ebiten.Image, x0, y0, w, h float64) {
	f, th := g.f, g.th
	vector.DrawFilledRect(dst, float32(x0), float32(y0), float32(w), float32(h), th.panel, false)
	pad := g.px(8)
	x0, y0, w, h = x0+pad, y0+pad, w-2*pad, h-2*pad
	fs := g.px(12)
	if len(f.Step) == 0 {
		g.drawLines(dst, "One step of the inner loop: step a token (→) to see how it changes W.", x0, y0, w, fs, th.muted, false)
		return
	}
	v := f.Step[max(0, min(g.view.Head, len(f.Step)-1))]
	part := g.narr.part()
	if g.narr.on && g.narr.t != v.T {
		g.narr.on, part = false, -1
	}
	boxes := map[string]image.Rectangle{}
	mark := func(p string, r image.Rectangle) {
		if b, ok := boxes[p]; ok {
			r = b.Union(r)
		}
		boxes[p] = r
	}
	y := y0
	title := fmt.Sprintf("One step: token %d “%s”, head %d of %d", v.T, v.Token, v.Head+1, len(f.Step))
	if v.B > 1 {
		title += fmt.Sprintf(" · token %d of %d in its mini-batch", v.I, v.B)
	}
	y += g.drawLines(dst, title, x0, y, w, fs, th.fg, true)

	// The step's vectors, one row of d cells each.
	at := "W⁰"
	if v.I == 1 {
		at = "Wₜ₋₁"
	}
	rows := []struct {
		part, name, hint string
		v                []float32
	}{
		{"k", "kₜ", "the training view", v.K},
		{"k", "vₜ", "the label view", v.V},
		{"f", "f(kₜ; " + at + ")", "the prediction", v.Pred},
		{"error", "f − vₜ", "the error", v.Err},
		{"error", "G", "∂ℓ/∂fᵣₑₛ, what the gradient uses", v.G},
	}
	vs := maxAbsVec(v.K, v.V, v.Pred, v.Err)
	gs := maxAbsVec(v.G)
	lfs := g.px(11)
	labelW := 0.0
	for _, r := range rows {
		labelW = max(labelW, g.tx.width(r.name, lfs, false))
	}
	labelW += g.px(6)
	d := len(v.K)
	scaleW := g.tx.width("±0.00e-00", g.px(10), false)
	cell := math.Floor(math.Min(g.px(14), (w-labelW-scaleW-g.px(6))/float64(d)))
	cell = math.Max(cell, 1)
	rowH := math.Max(cell, lfs*1.3) + g.px(2)
	for _, r := range rows {
		scale := vs
		if r.name == "G" {
			scale = gs
		}
		g.tx.draw(dst, r.name, x0, y+(rowH-lfs*1.3)/2, lfs, th.fg, false)
		name, vals, hint := r.name, r.v, r.hint
		rect := g.drawMap(dst, vec(name, vals), scale, x0+labelW, y+(rowH-cell)/2, cell, false, func(_, c int) string {
			return fmt.Sprintf("%s[%d] = %+.4g: %s", name, c, vals[c], hint)
		})
		g.tx.draw(dst, fmt.Sprintf("±%.2g", scale), float64(rect.Max.X)+g.px(4), y+(rowH-g.px(10)*1.3)/2, g.px(10), th.muted, false)
		mark(r.part, rect.Inset(-int(g.px(2))))
		y += rowH
	}
	y += g.px(4)

	// W_{t−1} + ΔW = W_t.
	caption := v.Note
	if part >= 0 {
		caption = v.Captions()[part].Text
	}
	capLines := g.wrap(caption, g.px(11), w, part >= 0)
	lossH := g.px(18)
	barH := g.px(26)
	mapsH := h - (y - y0) - lossH - barH - float64(len(capLines))*g.px(11)*1.35 - g.px(6)
	if mapsH < 0 && part < 0 {
		// A short canvas: the note gives way to the numbers above it.
		mapsH += float64(len(capLines)) * g.px(11) * 1.35
		capLines = nil
	}
	prevMs, dMs, curMs := mats(v.WPrev), mats(v.DW), mats(v.W)
	lm, tm := g.axisMargins()
	op := g.tx.width("=", fs, true) + g.px(8)
	cols := prevMs[0].cols
	labelH := g.px(15)
	ws := maxAbs([]*ttt.Weights{v.WPrev, v.W})
	ds := maxAbs([]*ttt.Weights{v.DW})
	// Each map with what it is: W_{t−1} + ΔW = W_t a row, or, where TTT-MLP's
	// d × 4d maps would be too small three abreast, both layers' updates.
	type entry struct {
		m           mat
		label, part string
		scale       float64
		op          string // drawn after the map
	}
	var rowsOf [][]entry
	for k := range prevMs {
		names := [3]string{"Wₜ₋₁", "ΔW", "Wₜ"}
		if len(prevMs) > 1 {
			n := prevMs[k].name
			names = [3]string{n + "ₜ₋₁", "Δ" + n, n + "ₜ"}
		}
		rowsOf = append(rowsOf, []entry{
			{prevMs[k], names[0], "w", ws, "+"},
			{dMs[k], names[1], "dw", ds, "="},
			{curMs[k], names[2], "w", ws, ""},
		})
	}
	fit := func(rows [][]entry) float64 {
		n, r := len(rows[0]), 0
		for _, row := range rows {
			r += row[0].m.rows
		}
		return math.Floor(math.Min((w-float64(n)*lm-float64(n-1)*op)/float64(n*cols), (mapsH-float64(len(rows))*(labelH+tm))/float64(r)))
	}
	mcell := fit(rowsOf)
	if len(prevMs) > 1 && mcell < 2 {
		var only []entry
		for _, row := range rowsOf {
			e := row[1]
			e.op = ""
			only = append(only, e)
		}
		rowsOf = [][]entry{only}
		mcell = fit(rowsOf)
	}
	if mcell >= 1 {
		for _, row := range rowsOf {
			x := x0
			for _, e := range row {
				g.tx.draw(dst, g.fit(e.label, g.px(11), lm+float64(e.m.cols)*mcell), x+lm, y, g.px(11), th.fg, e.part == "dw")
				e := e
				rect := g.drawMap(dst, e.m, e.scale, x+lm, y+labelH+tm, mcell, true, func(r, c int) string {
					s := fmt.Sprintf("%s[%d,%d] = %+.4g", e.label, r, c, e.m.at(r, c))
					if len(prevMs) == 1 {
						s += fmt.Sprintf(" (row: input dim %d, column: output dim %d)", r, c)
					}
					return s
				})
				mark(e.part, rect.Inset(-int(g.px(2))))
				x += lm + float64(e.m.cols)*mcell
				if e.op != "" {
					g.tx.draw(dst, e.op, x+g.px(3), y+labelH+tm+float64(e.m.rows)*mcell/2-fs*0.6, fs, th.fg, true)
				}
				x += op
			}
			y += labelH + tm + float64(row[0].m.rows)*mcell + g.px(2)
		}
		if len(rowsOf[0]) == 3 {
			half := (w - g.px(12)) / 2
			g.drawColourBar(dst, "W", ws, x0, y, half)
			g.drawColourBar(dst, "ΔW", ds, x0+half+g.px(12), y, half)
		} else {
			g.drawColourBar(dst, "ΔW", ds, x0, y, w)
		}
		y += barH
	}

	// The loss on this token before and after the step.
	ls := fmt.Sprintf("ℓ(Wₜ₋₁) = %.4g before the step → ℓ(Wₜ) = %.4g after", v.LossBefore, v.LossAfter)
	if g.tx.width(ls, fs, false) > w {
		ls = fmt.Sprintf("ℓ before %.4g → after %.4g", v.LossBefore, v.LossAfter)
	}
	lw := g.tx.draw(dst, g.fit(ls, fs, w), x0, y, fs, th.fg, false)
	mark("loss", image.Rect(int(x0), int(y), int(x0+lw), int(y+fs*1.3)).Inset(-int(g.px(2))))
	y += lossH
	col := th.muted
	if part >= 0 {
		col = th.fg
	}
	for _, l := range capLines {
		g.tx.draw(dst, l, x0, y, g.px(11), col, part >= 0)
		y += g.px(11) * 1.35
	}
	if part >= 0 {
		if r, ok := boxes[demo.StepParts[part]]; ok {
			vector.StrokeRect(dst, float32(r.Min.X), float32(r.Min.Y), float32(r.Dx()), float32(r.Dy()), float32(g.px(2.5)), th.before, false)
		}
	}
}
