//go:build js

package main

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"syscall/js"
	"time"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/inpututil"
	"github.com/hajimehoshi/ebiten/v2/vector"

	"tttexplainer/demo"
	"tttexplainer/gpu"
	"tttexplainer/ttt"
)

// viewOpts are the drawing settings that are not part of the scenario.
type viewOpts struct {
	Smooth int    `json:"smooth"` // moving-average window of the loss chart, in tokens
	Scale  string `json:"scale"`  // "fixed": one colour scale for the whole run; "frame": each map its own
	Delta  bool   `json:"delta"`  // show ΔW, the last update, instead of W
}

// game draws the latest Frame. It never steps the layer: the session's
// goroutine does, and hands frames over a channel.
type game struct {
	ss   *demo.Session
	f    *demo.Frame
	tx   *texter
	dark js.Value // the prefers-color-scheme MediaQueryList
	th   *theme
	view viewOpts

	w, h  int     // screen in device pixels
	inset float64 // device pixels at the bottom covered by the page (embed bar)
	dpr   float64 // device pixels per CSS pixel
	fixed float64 // the fixed colour scale: the largest |W| seen this run
	runID string  // the scenario query, to reset `fixed` on a new run
	frame *demo.Frame

	// What the last Draw showed: Draw skips the frame when none of it
	// changed, so an idle page leaves the (often software) GPU to WebGPU.
	shown struct {
		f     *demo.Frame
		hover string
		view  viewOpts
		th    *theme
		w, h  int
		inset float64
	}

	drewAt time.Time

	heat    map[string]*ebiten.Image
	hits    []hit // hover targets of the last Draw
	hover   string
	onKey   func(k string)
	onHover func(s string) // the page shows the hovered value as text too
	drawn   int            // frames drawn, for the page's first-frame timing
	first   chan struct{}  // closed after the first frame
	onDraw  func(n int)
}

type hit struct {
	r    image.Rectangle
	text func(x, y int) string
}

var white = func() *ebiten.Image {
	img := ebiten.NewImage(3, 3)
	img.Fill(color.White)
	return img.SubImage(image.Rect(1, 1, 2, 2)).(*ebiten.Image)
}()

func (g *game) Update() error {
	g.ss.Tick()
	select {
	case f := <-g.ss.Frames():
		g.f = f
	default:
	}
	if g.f == nil {
		g.f = g.ss.Frame()
	}
	g.th = &lightTheme
	if g.dark.Truthy() && g.dark.Get("matches").Bool() {
		g.th = &darkTheme
	}
	// Keys pressed while the canvas has focus (the page handles the rest).
	if g.onKey != nil {
		shift := ebiten.IsKeyPressed(ebiten.KeyShift)
		switch {
		case inpututil.IsKeyJustPressed(ebiten.KeySpace):
			g.onKey("space")
		case inpututil.IsKeyJustPressed(ebiten.KeyArrowRight) && shift:
			g.onKey("batch")
		case inpututil.IsKeyJustPressed(ebiten.KeyArrowRight):
			g.onKey("token")
		}
	}
	x, y := ebiten.CursorPosition()
	prev := g.hover
	g.hover = ""
	for _, h := range g.hits {
		if image.Pt(x, y).In(h.r) {
			g.hover = h.text(x, y)
		}
	}
	if g.hover != prev && g.onHover != nil {
		g.onHover(g.hover)
	}
	return nil
}

func (g *game) Layout(ow, oh int) (int, int) {
	g.dpr = ebiten.Monitor().DeviceScaleFactor()
	g.w, g.h = int(float64(ow)*g.dpr), int(float64(oh)*g.dpr)
	// embed.html's control bar covers the bottom of the canvas.
	g.inset = 0
	if v := js.Global().Get("tttInset"); v.Type() == js.TypeNumber {
		g.inset = v.Float() * g.dpr
	}
	return max(g.w, 1), max(g.h, 1)
}

// px converts CSS pixels to device pixels.
func (g *game) px(v float64) float64 { return v * g.dpr }

func (g *game) Draw(screen *ebiten.Image) {
	f, th := g.f, g.th
	if f == nil || th == nil {
		return
	}
	sh := &g.shown
	if sh.f == f && sh.hover == g.hover && sh.view == g.view && sh.th == th && sh.w == g.w && sh.h == g.h && sh.inset == g.inset {
		return
	}
	// While the run plays, a new frame arrives with every step: redraw at
	// most 20 times a second then, and twice a second on a software
	// adapter, where the canvas, the page's compositing and the WebGPU
	// kernels share one emulated GPU (SwiftShader) and every frame drawn
	// delays the next step.
	gap := 50 * time.Millisecond
	if gpu.Software(f.Adapter) {
		gap = 500 * time.Millisecond
	}
	if sh.f != nil && sh.f != f && f.Playing && time.Since(g.drewAt) < gap && sh.hover == g.hover && sh.view == g.view && sh.th == th && sh.w == g.w && sh.h == g.h {
		return
	}
	sh.f, sh.hover, sh.view, sh.th, sh.w, sh.h, sh.inset = f, g.hover, g.view, th, g.w, g.h, g.inset
	g.drewAt = time.Now()
	screen.Fill(th.bg)
	g.hits = g.hits[:0]
	if id := f.Scenario.Query().Encode(); id != g.runID || f.Done == 0 {
		g.runID, g.fixed = id, 0
	}
	pad := g.px(10)
	W, H := float64(g.w), float64(g.h)-g.inset
	y := pad
	y = g.drawStrip(screen, pad, y, W-2*pad)
	status := g.px(22)
	rest := H - y - status - pad
	heatH := math.Floor(rest * 0.52)
	heatH = g.drawHeat(screen, pad, y, W-2*pad, heatH)
	g.drawChart(screen, pad, y+heatH+g.px(8), W-2*pad, rest-heatH-g.px(8))
	g.drawStatus(screen, pad, H-status, W-2*pad)
	g.drawn++
	if g.onDraw != nil {
		g.onDraw(g.drawn)
	}
}

// lossTop is the scale of the token colours: the run's typical ℓ(W0).
func lossTop(f *demo.Frame) float64 {
	if len(f.LossW0) == 0 {
		return 1
	}
	s := 0.0
	for _, v := range f.LossW0 {
		s += float64(v)
	}
	return s / float64(len(f.LossW0))
}

// drawStrip draws the tokens around the current one, each coloured by the
// loss the layer had on it before its step, and under them the whole
// sequence as a thin bar. It returns the next free y.
func (g *game) drawStrip(dst *ebiten.Image, x0, y0, w float64) float64 {
	f, th := g.f, g.th
	fs := g.px(13)
	chipH, gap := g.px(24), g.px(4)
	top := lossTop(f)
	caption := "tokens, coloured by the loss ℓ(W_{t−1}; x_t) before each step: green = predicted, red = a surprise"
	if g.tx.width(caption, g.px(12), false) > w {
		caption = "tokens by loss before their step: green predicted, red surprise"
	}
	g.tx.draw(dst, g.fit(caption, g.px(12), w), x0, y0, g.px(12), th.muted, false)
	y := y0 + g.px(18)
	// Lay out backwards from the current token, leaving about a quarter of
	// the row for the tokens still to come.
	cur := f.Pos - 1
	type chip struct {
		i    int
		w, x float64
	}
	widthOf := func(i int) float64 { return g.tx.width(f.Tokens[i], fs, false) + g.px(12) }
	avail := w * 0.75
	var left []chip
	used := 0.0
	for i := cur; i >= 0; i-- {
		cw := widthOf(i)
		if used+cw > avail && len(left) > 0 {
			break
		}
		left = append(left, chip{i: i, w: cw})
		used += cw + gap
	}
	x := x0
	for k := len(left) - 1; k >= 0; k-- {
		c := left[k]
		g.drawChip(dst, c.i, x, y, c.w, chipH, fs, top)
		x += c.w + gap
	}
	for i := cur + 1; i < f.T; i++ {
		cw := widthOf(i)
		if x+cw > x0+w {
			break
		}
		g.drawChip(dst, i, x, y, cw, chipH, fs, top)
		x += cw + gap
	}
	y += chipH + g.px(6)
	// The whole sequence.
	barH := g.px(8)
	vector.DrawFilledRect(dst, float32(x0), float32(y), float32(w), float32(barH), th.upcoming, false)
	if f.T > 0 {
		cw := w / float64(f.T)
		for i := 0; i < f.Pos; i++ {
			vector.DrawFilledRect(dst, float32(x0+float64(i)*cw), float32(y), float32(math.Max(cw, 1)), float32(barH), lossColor(float64(f.LossBefore[i]), top), false)
		}
		cx := x0 + float64(f.Pos)*cw
		vector.StrokeLine(dst, float32(cx), float32(y-g.px(2)), float32(cx), float32(y+barH+g.px(2)), float32(g.px(2)), th.cursor, true)
		g.hits = append(g.hits, hit{image.Rect(int(x0), int(y), int(x0+w), int(y+barH)), func(px, _ int) string {
			return g.tokenInfo(int(float64(px-int(x0)) / cw))
		}})
	}
	return y + barH + g.px(10)
}

func (g *game) drawChip(dst *ebiten.Image, i int, x, y, w, h, fs, top float64) {
	f, th := g.f, g.th
	bg, fg := th.upcoming, th.muted
	if i < f.Pos {
		bg = lossColor(float64(f.LossBefore[i]), top)
		fg = textOn(bg)
	}
	vector.DrawFilledRect(dst, float32(x), float32(y), float32(w), float32(h), bg, true)
	if i == f.Pos-1 {
		vector.StrokeRect(dst, float32(x), float32(y), float32(w), float32(h), float32(g.px(2.5)), th.cursor, true)
	}
	g.tx.draw(dst, f.Tokens[i], x+g.px(6), y+(h-fs*1.3)/2+g.px(1), fs, fg, i == f.Pos-1)
	g.hits = append(g.hits, hit{image.Rect(int(x), int(y), int(x+w), int(y+h)), func(int, int) string { return g.tokenInfo(i) }})
}

// tokenInfo is the hover text of token i.
func (g *game) tokenInfo(i int) string {
	f := g.f
	if i < 0 || i >= f.T {
		return ""
	}
	if i >= f.Done {
		return fmt.Sprintf("token %d %q: not read yet", i+1, f.Tokens[i])
	}
	s := fmt.Sprintf("token %d %q: ℓ(W0) = %.3f, ℓ(W_{t−1}) = %.3f, ℓ(W_t) = %.3f", i+1, f.Tokens[i], f.LossW0[i], f.LossBefore[i], f.LossAfter[i])
	if i < len(f.Occurrence) && f.Occurrence[i] >= 0 {
		s += fmt.Sprintf(" · phrase seen %d time(s) before", f.Occurrence[i])
	}
	return s
}

// fit shortens s with an ellipsis until it fits in w device pixels.
func (g *game) fit(s string, px, w float64) string {
	if g.tx.width(s, px, false) <= w {
		return s
	}
	r := []rune(s)
	lo, hi := 0, len(r)
	for lo < hi { // the longest prefix that fits with the ellipsis
		mid := (lo + hi + 1) / 2
		if g.tx.width(string(r[:mid])+"…", px, false) <= w {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return string(r[:lo]) + "…"
}

// mats lists what the heat maps show for one head: W for TTT-Linear,
// W1 and W2ᵀ (both d × 4d) for TTT-MLP.
type mat struct {
	name       string
	rows, cols int
	at         func(r, c int) float64
}

func mats(w *ttt.Weights) []mat {
	d := w.D
	if w.Model == ttt.MLP {
		h := ttt.Hidden(d)
		return []mat{
			{"W1", d, h, func(r, c int) float64 { return float64(w.W1[r*h+c]) }},
			{"W2ᵀ", d, h, func(r, c int) float64 { return float64(w.W2[c*d+r]) }},
		}
	}
	return []mat{{"W", d, d, func(r, c int) float64 { return float64(w.W[r*d+c]) }}}
}

func maxAbs(ws []*ttt.Weights) float64 {
	m := 0.0
	for _, w := range ws {
		for _, mt := range mats(w) {
			for r := 0; r < mt.rows; r++ {
				for c := 0; c < mt.cols; c++ {
					m = max(m, math.Abs(mt.at(r, c)))
				}
			}
		}
	}
	return m
}

// drawHeat draws every head's hidden state as heat maps in at most h
// device pixels and returns the height it used.
func (g *game) drawHeat(dst *ebiten.Image, x0, y0, w, h float64) float64 {
	f, th := g.f, g.th
	ws := f.W
	what := "W"
	if g.view.Delta {
		ws, what = f.DW, "ΔW (the last update)"
	}
	if len(ws) == 0 {
		return 0
	}
	top := y0
	g.fixed = max(g.fixed, maxAbs(f.W))
	scale := g.fixed
	scaleName := "fixed scale ±%.3g (largest |W| so far)"
	if g.view.Scale == "frame" || g.view.Delta {
		scale, scaleName = maxAbs(ws), "scale ±%.3g (this frame)"
	}
	pointNote := fmt.Sprintf("after token %d", f.Point)
	if f.Point != f.Pos {
		pointNote = fmt.Sprintf("at the last mini-batch end, token %d (the %s form builds W only there)", f.Point, f.Scenario.Form)
	}
	title := fmt.Sprintf("the hidden state: each head's %s, %s · %s", what, pointNote, fmt.Sprintf(scaleName, scale))
	if g.tx.width(title, g.px(12), false) > w {
		title = fmt.Sprintf("%s after token %d · ±%.3g", what, f.Point, scale)
	}
	g.tx.draw(dst, g.fit(title, g.px(12), w), x0, y0, g.px(12), th.muted, false)
	y0 += g.px(18)
	h -= g.px(18)
	ms := mats(ws[0])
	// One panel per head: its maps stacked. Pick the grid that gives the
	// largest cells.
	pw, ph := float64(ms[0].cols), float64(len(ms)*ms[0].rows)
	label := g.px(16)
	n := len(ws)
	best, bestCols := 0.0, 1
	for cols := 1; cols <= n; cols++ {
		rows := (n + cols - 1) / cols
		cell := math.Min((w-float64(cols-1)*g.px(16))/float64(cols)/pw, (h-float64(rows)*label-float64(rows-1)*g.px(8))/float64(rows)/(ph+float64(len(ms)-1)*2))
		if cell > best {
			best, bestCols = cell, cols
		}
	}
	cell := math.Max(1, math.Floor(best))
	bottom := y0
	for i, wt := range ws {
		col, row := i%bestCols, i/bestCols
		px := x0 + float64(col)*(pw*cell+g.px(16))
		py := y0 + float64(row)*(label+(ph+2)*cell+g.px(8))
		head := fmt.Sprintf("head %d", i+1)
		if len(ms) > 1 {
			head += fmt.Sprintf(": W1 (%d×%d) above, W2ᵀ below", ms[0].rows, ms[0].cols)
		}
		g.tx.draw(dst, g.fit(head, g.px(12), pw*cell), px, py, g.px(12), th.fg, true)
		py += label
		for k, m := range mats(wt) {
			key := fmt.Sprintf("%d/%d", i, k)
			img := g.heatImage(key, m, scale)
			op := &ebiten.DrawImageOptions{}
			op.GeoM.Scale(cell, cell)
			op.GeoM.Translate(px, py)
			dst.DrawImage(img, op)
			head, mm, c0, r0 := i, m, px, py
			g.hits = append(g.hits, hit{image.Rect(int(px), int(py), int(px+float64(m.cols)*cell), int(py+float64(m.rows)*cell)), func(x, y int) string {
				r, c := int((float64(y)-r0)/cell), int((float64(x)-c0)/cell)
				r, c = min(r, mm.rows-1), min(c, mm.cols-1)
				s := fmt.Sprintf("head %d %s[%d,%d] = %.5f", head+1, mm.name, r, c, mats(f.W[head])[k].at(r, c))
				return s + fmt.Sprintf(", last update ΔW = %+.2e", mats(f.DW[head])[k].at(r, c))
			}})
			py += float64(m.rows)*cell + 2*cell
		}
		bottom = max(bottom, py)
	}
	return bottom - top
}

// heatImage paints a map into a cached image, one pixel per weight; it is
// scaled up without filtering, so every cell stays crisp.
func (g *game) heatImage(key string, m mat, scale float64) *ebiten.Image {
	if g.heat == nil {
		g.heat = map[string]*ebiten.Image{}
	}
	img := g.heat[key]
	if img == nil || img.Bounds().Dx() != m.cols || img.Bounds().Dy() != m.rows {
		if img != nil {
			img.Deallocate()
		}
		img = ebiten.NewImage(m.cols, m.rows)
		g.heat[key] = img
	}
	pix := make([]byte, 4*m.rows*m.cols)
	for r := 0; r < m.rows; r++ {
		for c := 0; c < m.cols; c++ {
			col := g.th.diverging(m.at(r, c), scale)
			i := 4 * (r*m.cols + c)
			pix[i], pix[i+1], pix[i+2], pix[i+3] = col.R, col.G, col.B, 0xff
		}
	}
	img.WritePixels(pix)
	return img
}

// smooth is a trailing moving average over k tokens.
func smooth(v []float32, k int) []float64 {
	out := make([]float64, len(v))
	s := 0.0
	for i, x := range v {
		s += float64(x)
		if i >= k {
			s -= float64(v[i-k])
		}
		out[i] = s / float64(min(i+1, k))
	}
	return out
}

// drawChart draws the three losses over t, as in the paper's figure.
func (g *game) drawChart(dst *ebiten.Image, x0, y0, w, h float64) {
	f, th := g.f, g.th
	k := max(1, g.view.Smooth)
	legend := []struct {
		name string
		c    color.RGBA
		v    []float32
	}{
		{"ℓ(W0; x_t): the initial weights, never updated", th.w0, f.LossW0},
		{"ℓ(W_{t−1}; x_t): before the step on token t", th.before, f.LossBefore},
		{"ℓ(W_t; x_t): after it", th.after, f.LossAfter},
	}
	// The legend flows onto more lines on a narrow screen.
	lx, ly := x0, y0
	for i, l := range legend {
		name := l.name
		if w < g.px(700) {
			name = []string{"ℓ(W0; x_t)", "ℓ(W_{t−1}; x_t) before the step", "ℓ(W_t; x_t) after"}[i]
		}
		iw := g.px(18) + g.tx.width(name, g.px(12), false) + g.px(14)
		if lx > x0 && lx+iw > x0+w {
			lx, ly = x0, ly+g.px(17)
		}
		vector.DrawFilledRect(dst, float32(lx), float32(ly+g.px(6)), float32(g.px(14)), float32(g.px(3)), l.c, true)
		g.tx.draw(dst, name, lx+g.px(18), ly, g.px(12), th.fg, false)
		lx += iw
	}
	if k > 1 {
		sm := fmt.Sprintf("smoothed over %d tokens", k)
		if lx+g.tx.width(sm, g.px(12), false) > x0+w {
			lx, ly = x0, ly+g.px(17)
		}
		g.tx.draw(dst, sm, lx, ly, g.px(12), th.muted, false)
	}
	h -= ly - y0
	top := ly + g.px(22)
	axis := g.px(34)
	cx0, cw, ch := x0+axis, w-axis, h-g.px(22)-g.px(16)
	if ch < g.px(20) || f.T == 0 {
		return
	}
	vector.DrawFilledRect(dst, float32(cx0), float32(top), float32(cw), float32(ch), th.panel, false)
	ymax := 0.0
	sm := make([][]float64, len(legend))
	for i, l := range legend {
		sm[i] = smooth(l.v[:f.Pos], k)
		for _, v := range sm[i] {
			if !math.IsInf(v, 0) && !math.IsNaN(v) {
				ymax = max(ymax, v)
			}
		}
	}
	ymax = niceCeil(ymax * 1.05)
	if ymax <= 0 {
		ymax = 1
	}
	for i := 0; i <= 4; i++ {
		v := ymax * float64(i) / 4
		yy := top + ch - ch*float64(i)/4
		vector.StrokeLine(dst, float32(cx0), float32(yy), float32(cx0+cw), float32(yy), float32(g.px(1)), th.grid, false)
		g.tx.draw(dst, fmt.Sprintf("%.2g", v), x0, yy-g.px(8), g.px(11), th.muted, false)
	}
	xOf := func(t int) float64 { return cx0 + cw*float64(t)/float64(max(1, f.T-1)) }
	yOf := func(v float64) float64 { return top + ch - ch*math.Min(v, ymax)/ymax }
	for i, l := range legend {
		g.polyline(dst, sm[i], xOf, yOf, l.c)
	}
	// Mini-batch boundaries under the chart, and the current token.
	if f.B > 1 && cw/float64(f.T)*float64(f.B) > g.px(4) {
		for t := f.B; t < f.T; t += f.B {
			vector.StrokeLine(dst, float32(xOf(t)), float32(top+ch), float32(xOf(t)), float32(top+ch+g.px(4)), float32(g.px(1)), th.muted, false)
		}
	}
	if f.Pos > 0 {
		xx := xOf(f.Pos - 1)
		vector.StrokeLine(dst, float32(xx), float32(top), float32(xx), float32(top+ch), float32(g.px(1.5)), th.cursor, true)
	}
	g.tx.draw(dst, g.fit(fmt.Sprintf("token t → (%d in all; ticks mark mini-batches of b = %d)", f.T, f.B), g.px(11), cw), cx0, top+ch+g.px(4), g.px(11), th.muted, false)
	g.hits = append(g.hits, hit{image.Rect(int(cx0), int(top), int(cx0+cw), int(top+ch)), func(x, _ int) string {
		t := int(math.Round((float64(x) - cx0) / cw * float64(max(1, f.T-1))))
		if t >= f.Pos {
			return ""
		}
		return g.tokenInfo(t) + fmt.Sprintf(" · smoothed: %.3f, %.3f, %.3f", sm[0][t], sm[1][t], sm[2][t])
	}})
}

func niceCeil(v float64) float64 {
	if v <= 0 {
		return 0
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// polyline strokes a curve with one draw call.
func (g *game) polyline(dst *ebiten.Image, v []float64, xOf func(int) float64, yOf func(float64) float64, c color.RGBA) {
	if len(v) < 2 {
		return
	}
	var p vector.Path
	// At most one vertex per device pixel column.
	step := max(1, len(v)/max(1, int(xOf(len(v)-1)-xOf(0))))
	p.MoveTo(float32(xOf(0)), float32(yOf(v[0])))
	for i := step; i < len(v); i += step {
		if !math.IsNaN(v[i]) && !math.IsInf(v[i], 0) {
			p.LineTo(float32(xOf(i)), float32(yOf(v[i])))
		}
	}
	p.LineTo(float32(xOf(len(v)-1)), float32(yOf(v[len(v)-1])))
	vs, is := p.AppendVerticesAndIndicesForStroke(nil, nil, &vector.StrokeOptions{Width: float32(g.px(1.75)), LineJoin: vector.LineJoinRound})
	for i := range vs {
		vs[i].SrcX, vs[i].SrcY = 1, 1
		vs[i].ColorR, vs[i].ColorG, vs[i].ColorB, vs[i].ColorA = float32(c.R)/255, float32(c.G)/255, float32(c.B)/255, 1
	}
	dst.DrawTriangles(vs, is, white, &ebiten.DrawTrianglesOptions{AntiAlias: true})
}

// drawStatus is the bottom line: what the pointer is over, or the numbers.
func (g *game) drawStatus(dst *ebiten.Image, x0, y0, w float64) {
	f, th := g.f, g.th
	s := g.hover
	if s == "" {
		s = fmt.Sprintf("t = %d of %d · %s · %.0f tokens/s", f.Pos, f.T, backendLabel(f), f.TokensPerS)
		if f.Checking {
			s += fmt.Sprintf(" · max |GPU − CPU| = %.1e", f.DiffLast)
		}
		if f.RecallAsked > 0 {
			s += fmt.Sprintf(" · recall %d/%d", f.RecallRight, f.RecallAsked)
		}
		s += " · hover a token, a weight or the chart for its values"
	}
	if f.Error != "" {
		s = "error: " + f.Error
	}
	g.tx.draw(dst, g.fit(s, g.px(12), w), x0, y0+g.px(3), g.px(12), th.fg, false)
}

func backendLabel(f *demo.Frame) string {
	if f.Backend == "cpu" {
		return "CPU backend"
	}
	a := f.Adapter
	if gpu.Software(a) {
		a += " (software)"
	}
	return "WebGPU on " + a
}
