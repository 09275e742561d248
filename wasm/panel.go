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
	for i, r := range rows {
		scale := vs
		if r.name == "G" {
			scale = gs
		}
		g.tx.draw(dst, r.name, x0, y+(rowH-lfs*1.3)/2, lfs, th.fg, false)
		name, vals, hint := r.name, r.v, r.hint
		rect := g.drawMap(dst, fmt.Sprintf("step/v%d", i), vec(name, vals), scale, x0+labelW, y+(rowH-cell)/2, cell, false, func(_, c int) string {
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
	prevMs, dMs, curMs := mats(v.WPrev), mats(v.DW), mats(v.W)
	lm, tm := g.axisMargins()
	op := g.tx.width("=", fs, true) + g.px(8)
	rowsTotal, cols := 0, prevMs[0].cols
	for _, m := range prevMs {
		rowsTotal += m.rows
	}
	labelH := g.px(15)
	mcell := math.Floor(math.Min((w-3*lm-2*op)/float64(3*cols), (mapsH-float64(len(prevMs))*(labelH+tm))/float64(rowsTotal)))
	ws := maxAbs([]*ttt.Weights{v.WPrev, v.W})
	ds := maxAbs([]*ttt.Weights{v.DW})
	if mcell >= 1 {
		names := [3]string{"Wₜ₋₁", "ΔW", "Wₜ"}
		for k := range prevMs {
			x := x0
			for j, m := range [3]mat{prevMs[k], dMs[k], curMs[k]} {
				scale := ws
				if j == 1 {
					scale = ds
				}
				label := names[j]
				if len(prevMs) > 1 {
					label = [3]string{m.name + " before", "Δ" + m.name, m.name + " after"}[j]
				}
				g.tx.draw(dst, g.fit(label, g.px(11), lm+float64(m.cols)*mcell), x+lm, y, g.px(11), th.fg, j == 1)
				mm, name := m, label
				rect := g.drawMap(dst, fmt.Sprintf("step/m%d/%d", k, j), m, scale, x+lm, y+labelH+tm, mcell, true, func(r, c int) string {
					return fmt.Sprintf("%s[%d,%d] = %+.4g (row: input dim %d, column: output dim %d)", name, r, c, mm.at(r, c), r, c)
				})
				mark([3]string{"w", "dw", "w"}[j], rect.Inset(-int(g.px(2))))
				x += lm + float64(m.cols)*mcell
				if j < 2 {
					g.tx.draw(dst, [2]string{"+", "="}[j], x+g.px(3), y+labelH+tm+float64(m.rows)*mcell/2-fs*0.6, fs, th.fg, true)
					x += op
				}
			}
			y += labelH + tm + float64(prevMs[k].rows)*mcell + g.px(2)
		}
		half := (w - g.px(12)) / 2
		g.drawColourBar(dst, "W", ws, x0, y, half)
		g.drawColourBar(dst, "ΔW", ds, x0+half+g.px(12), y, half)
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
			vector.StrokeRect(dst, float32(r.Min.X), float32(r.Min.Y), float32(r.Dx()), float32(r.Dy()), float32(g.px(2.5)), th.before, true)
		}
	}
}
