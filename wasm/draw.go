//go:build js

package main

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"strings"
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
	Panel  bool   `json:"panel"`  // show the one-step panel
	Head   int    `json:"head"`   // the head whose step the panel shows, from 0
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
		part  int // the slow step's part
		hover string
		view  viewOpts
		th    *theme
		w, h  int
		inset float64
	}

	drewAt time.Time

	verts   []ebiten.Vertex // fillMap's quads
	idx     []uint16
	hits    []hit    // hover targets of the last Draw
	buttons []button // click targets of the last Draw
	narr    narration
	cx, cy  int // the cursor
	hover   string
	onKey   func(k string)
	onHover func(s string) // the page shows the hovered value as text too
	onView  func(viewOpts) // a click on the canvas changed the view: the page's controls follow
	drawn   int            // frames drawn, for the page's first-frame timing
	first   chan struct{}  // closed after the first frame
	onDraw  func(n int)
}

type hit struct {
	r    image.Rectangle
	text func(x, y int) string
}

// button is a click target drawn on the canvas.
type button struct {
	r  image.Rectangle
	do func()
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
	g.cx, g.cy = x, y
	if inpututil.IsMouseButtonJustPressed(ebiten.MouseButtonLeft) {
		for _, b := range g.buttons {
			if image.Pt(x, y).In(b.r) {
				b.do()
			}
		}
	}
	g.narr.tick()
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
	part := g.narr.part()
	if sh.f == f && sh.part == part && sh.hover == g.hover && sh.view == g.view && sh.th == th && sh.w == g.w && sh.h == g.h && sh.inset == g.inset {
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
	sh.f, sh.part, sh.hover, sh.view, sh.th, sh.w, sh.h, sh.inset = f, part, g.hover, g.view, th, g.w, g.h, g.inset
	g.drewAt = time.Now()
	screen.Fill(th.bg)
	g.hits, g.buttons, g.tx.drawn = g.hits[:0], g.buttons[:0], g.tx.drawn[:0]
	if id := f.Scenario.Query().Encode(); id != g.runID || f.Done == 0 {
		g.runID, g.fixed = id, 0
	}
	pad := g.px(10)
	W, H := float64(g.w), float64(g.h)-g.inset
	y := pad
	y = g.drawStrip(screen, pad, y, W-2*pad)
	status := g.px(22)
	rest := H - y - status - pad
	midH := math.Floor(rest * 0.52)
	switch {
	case !g.view.Panel:
		midH = g.drawHeat(screen, pad, y, W-2*pad, midH)
	case W >= g.px(640):
		// The heads' maps on the left, the selected head's step beside them.
		midH = math.Floor(rest * 0.62)
		hw := math.Floor((W - 2*pad) * 0.4)
		g.drawHeat(screen, pad, y, hw, midH)
		g.drawPanel(screen, pad+hw+g.px(12), y, W-2*pad-hw-g.px(12), midH)
	default:
		// A phone: the panel, which has W in it, instead of every head's map;
		// on a short one (the first screen at 360×740) the panel alone, and
		// the loss chart waits for a wider or taller canvas.
		midH = math.Floor(rest * 0.72)
		if rest < g.px(460) {
			midH = rest
		}
		g.drawPanel(screen, pad, y, W-2*pad, midH)
	}
	if rest-midH > g.px(40) {
		g.drawChart(screen, pad, y+midH+g.px(8), W-2*pad, rest-midH-g.px(8))
	}
	g.drawStatus(screen, pad, H-status, W-2*pad)
	g.drawTooltip(screen)
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
	caption := "tokens, coloured by the loss ℓ(Wₜ₋₁; xₜ) before each step: green = predicted, red = a surprise"
	y := y0 + g.drawLines(dst, caption, x0, y0, w, g.px(12), th.muted, false) + g.px(1)
	// Lay out backwards from the current token, leaving about a quarter of
	// the row for the tokens still to come.
	cur := f.Pos - 1
	type chip struct {
		i    int
		w, x float64
	}
	widthOf := func(i int) float64 {
		return max(g.tx.width(f.Tokens[i], fs, false)+g.px(12), g.tx.width(g.tag(i), g.px(9.5), false)+g.px(4))
	}
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
	if g.tagged() {
		y += g.px(12) // the chips' tags
	}
	// The whole sequence.
	barH := g.px(8)
	vector.DrawFilledRect(dst, float32(x0), float32(y), float32(w), float32(barH), th.upcoming, false)
	if f.T > 0 {
		cw := w / float64(f.T)
		for i := 0; i < f.Pos; i++ {
			vector.DrawFilledRect(dst, float32(x0+float64(i)*cw), float32(y), float32(math.Max(cw, 1)), float32(barH), lossColor(float64(f.LossBefore[i]), top), false)
		}
		cx := x0 + float64(f.Pos)*cw
		vector.StrokeLine(dst, float32(cx), float32(y-g.px(2)), float32(cx), float32(y+barH+g.px(2)), float32(g.px(2)), th.cursor, false)
		g.hits = append(g.hits, hit{image.Rect(int(x0), int(y), int(x0+w), int(y+barH)), func(px, _ int) string {
			return g.tokenInfo(int(float64(px-int(x0)) / cw))
		}})
	}
	y += barH + g.px(4)
	if s := g.readingLine(); s != "" {
		y += g.drawLines(dst, s, x0, y, w, g.px(11), th.fg, false)
	}
	return y + g.px(6)
}

// tagged reports whether the strip's chips carry tags: the reading of a
// repeated phrase, or the recall preset's roles.
func (g *game) tagged() bool {
	f := g.f
	if f.Roles != nil {
		return true
	}
	for _, n := range f.Readings {
		if n > 0 {
			return true
		}
	}
	return false
}

// tag is the label under token i's chip.
func (g *game) tag(i int) string {
	f := g.f
	if f.Roles != nil {
		return map[string]string{"key": "key", "value": "value", "question": "asked", "answer": "answer"}[f.Roles[i]]
	}
	if i < len(f.Readings) && f.Readings[i] > 0 {
		return ordinal(f.Readings[i])
	}
	return ""
}

func ordinal(n int) string {
	switch {
	case n%100 >= 11 && n%100 <= 13:
		return fmt.Sprintf("%dth", n)
	case n%10 == 1:
		return fmt.Sprintf("%dst", n)
	case n%10 == 2:
		return fmt.Sprintf("%dnd", n)
	case n%10 == 3:
		return fmt.Sprintf("%drd", n)
	}
	return fmt.Sprintf("%dth", n)
}

// readingLine sums up the marks: the mean loss per reading of the repeated
// phrases, or what the recall preset's tags mean.
func (g *game) readingLine() string {
	f := g.f
	if f.Roles != nil {
		return "key, value: the pairs to memorise · asked: a key again; the answer, its value, should be predicted"
	}
	if len(f.ReadingLoss) == 0 {
		return ""
	}
	s := "mean loss before the step, per reading of a repeated phrase:"
	for i, r := range f.ReadingLoss {
		if i == 4 {
			break
		}
		s += fmt.Sprintf(" %s %.3f (%d tokens)", ordinal(r.N), r.Mean, r.Tokens)
		if i < min(len(f.ReadingLoss), 4)-1 {
			s += " ·"
		}
	}
	return s
}

func (g *game) drawChip(dst *ebiten.Image, i int, x, y, w, h, fs, top float64) {
	f, th := g.f, g.th
	bg, fg := th.upcoming, th.muted
	if i < f.Pos {
		bg = lossColor(float64(f.LossBefore[i]), top)
		fg = textOn(bg)
	}
	vector.DrawFilledRect(dst, float32(x), float32(y), float32(w), float32(h), bg, false)
	if i == f.Pos-1 {
		vector.StrokeRect(dst, float32(x), float32(y), float32(w), float32(h), float32(g.px(2.5)), th.cursor, false)
	}
	g.tx.draw(dst, f.Tokens[i], x+g.px(6), y+(h-fs*1.3)/2+g.px(1), fs, fg, i == f.Pos-1)
	if t := g.tag(i); t != "" {
		g.tx.draw(dst, t, x+g.px(2), y+h+g.px(1), g.px(9.5), th.muted, false)
	}
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
	s := fmt.Sprintf("token %d %q: ℓ(W₀) = %.3f, ℓ(Wₜ₋₁) = %.3f, ℓ(Wₜ) = %.3f", i+1, f.Tokens[i], f.LossW0[i], f.LossBefore[i], f.LossAfter[i])
	if t := g.tag(i); t != "" && f.Roles == nil {
		s += fmt.Sprintf(" · %s reading of a repeated phrase", t)
	} else if t != "" {
		s += " · " + f.Roles[i]
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

// wrap breaks s at spaces into lines no wider than w device pixels; a
// word wider than w is cut with fit.
func (g *game) wrap(s string, px, w float64, bold bool) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		next := word
		if line != "" {
			next = line + " " + word
		}
		if line != "" && g.tx.width(next, px, bold) > w {
			lines = append(lines, line)
			next = word
		}
		line = next
	}
	if line != "" {
		lines = append(lines, line)
	}
	for i, l := range lines {
		lines[i] = g.fit(l, px, w)
	}
	return lines
}

// drawLines draws s wrapped to w and returns the height it used.
func (g *game) drawLines(dst *ebiten.Image, s string, x, y, w, px float64, c color.RGBA, bold bool) float64 {
	lines := g.wrap(s, px, w, bold)
	for i, l := range lines {
		g.tx.draw(dst, l, x, y+float64(i)*px*1.35, px, c, bold)
	}
	return float64(len(lines))*px*1.35 + g.px(3)
}

// drawTooltip shows the hover text in a box beside the pointer: the value
// under it, on the canvas itself.
func (g *game) drawTooltip(dst *ebiten.Image) {
	if g.hover == "" {
		return
	}
	th, fs := g.th, g.px(11)
	maxW := math.Min(g.px(340), float64(g.w)-g.px(16))
	lines := g.wrap(g.hover, fs, maxW-g.px(12), false)
	bw := 0.0
	for _, l := range lines {
		bw = max(bw, g.tx.width(l, fs, false))
	}
	bw += g.px(12)
	bh := float64(len(lines))*fs*1.35 + g.px(8)
	x, y := float64(g.cx)+g.px(14), float64(g.cy)+g.px(16)
	if x+bw > float64(g.w)-g.px(4) {
		x = float64(g.cx) - g.px(8) - bw
	}
	if y+bh > float64(g.h)-g.inset-g.px(4) {
		y = float64(g.cy) - g.px(8) - bh
	}
	x, y = max(x, g.px(4)), max(y, g.px(4))
	vector.DrawFilledRect(dst, float32(x), float32(y), float32(bw), float32(bh), th.fg, false)
	for i, l := range lines {
		g.tx.draw(dst, l, x+g.px(6), y+g.px(4)+float64(i)*fs*1.35, fs, th.bg, false)
	}
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
// device pixels, with axes and a colour bar, and returns the height it used.
// A click on the title's switch shows ΔW instead of W; a click on a head
// shows its step in the panel.
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
	scaleName := "fixed for the run"
	if g.view.Scale == "frame" || g.view.Delta {
		scale, scaleName = maxAbs(ws), "this frame"
	}
	// The W / ΔW switch, one click away.
	fs := g.px(12)
	sw := "show ΔW"
	if g.view.Delta {
		sw = "show W"
	}
	bw := g.tx.width(sw, g.px(11), true) + g.px(12)
	br := image.Rect(int(x0+w-bw), int(y0), int(x0+w), int(y0+g.px(17)))
	vector.DrawFilledRect(dst, float32(br.Min.X), float32(br.Min.Y), float32(br.Dx()), float32(br.Dy()), th.upcoming, false)
	vector.StrokeRect(dst, float32(br.Min.X), float32(br.Min.Y), float32(br.Dx()), float32(br.Dy()), float32(g.px(1)), th.muted, false)
	g.tx.draw(dst, sw, float64(br.Min.X)+g.px(6), y0+g.px(2), g.px(11), th.fg, true)
	g.buttons = append(g.buttons, button{br, func() {
		g.view.Delta = !g.view.Delta
		if g.onView != nil {
			g.onView(g.view)
		}
	}})
	g.hits = append(g.hits, hit{br, func(int, int) string { return "click to switch between W, the hidden state, and ΔW, its last update" }})
	pointNote := fmt.Sprintf("after token %d", f.Point)
	if f.Point != f.Pos {
		pointNote = fmt.Sprintf("at the last mini-batch end, token %d (the %s form builds W only there)", f.Point, f.Scenario.Form)
	}
	y0 += g.drawLines(dst, fmt.Sprintf("the hidden state: each head's %s, %s", what, pointNote), x0, y0, w-bw-g.px(8), fs, th.muted, false)
	y0 += g.drawColourBar(dst, "colour ("+scaleName+")", scale, x0, y0, math.Min(w, g.px(320))) + g.px(2)
	h -= y0 - top
	ms := mats(ws[0])
	// One panel per head: its maps stacked. Pick the grid that gives the
	// largest cells.
	pw, ph := float64(ms[0].cols), float64(len(ms)*ms[0].rows)
	label := g.px(16)
	lm, tm := g.axisMargins()
	n := len(ws)
	best, bestCols := 0.0, 1
	for cols := 1; cols <= n; cols++ {
		rows := (n + cols - 1) / cols
		cell := math.Min((w-float64(cols)*(lm+g.px(8)))/float64(cols)/pw, (h-float64(rows)*(label+tm*float64(len(ms)))-float64(rows-1)*g.px(8)-g.px(14))/float64(rows)/(ph+float64(len(ms)-1)*2))
		if cell > best {
			best, bestCols = cell, cols
		}
	}
	cell := math.Max(1, math.Floor(best))
	bottom := y0
	for i, wt := range ws {
		col, row := i%bestCols, i/bestCols
		px := x0 + lm + float64(col)*(pw*cell+lm+g.px(8))
		py := y0 + float64(row)*(label+float64(len(ms))*tm+(ph+2)*cell+g.px(8))
		head := fmt.Sprintf("head %d", i+1)
		hc := th.fg
		if g.view.Panel && i == g.view.Head {
			head += " ◂"
			hc = th.before
		}
		g.tx.draw(dst, g.fit(head, g.px(12), pw*cell+lm), px-lm, py, g.px(12), hc, true)
		py += label
		for k, m := range mats(wt) {
			py += tm
			hd, kk := i, k
			r := g.drawMap(dst, m, scale, px, py, cell, true, func(r, c int) string {
				s := fmt.Sprintf("head %d %s[%d,%d] = %.5f", hd+1, m.name, r, c, mats(f.W[hd])[kk].at(r, c))
				return s + fmt.Sprintf(", last update ΔW = %+.2e (row: input dim %d, column: output dim %d)", mats(f.DW[hd])[kk].at(r, c), r, c)
			})
			g.buttons = append(g.buttons, button{r, func() { g.view.Head = hd }})
			py += float64(m.rows)*cell + 2*cell
		}
		bottom = max(bottom, py)
	}
	note := axisNote
	if len(ms) > 1 {
		note = fmt.Sprintf("each head: W1 (%d×%d) above, rows input dim j, columns hidden unit; W2ᵀ below, rows output dim i", ms[0].rows, ms[0].cols)
	}
	return bottom + g.drawLines(dst, note, x0, bottom, w, g.px(10), th.muted, false) - top
}

// fillMap draws m with its top-left cell at (x, y), cell device pixels a
// weight, as one coloured quad per weight in one batch. Quads, not an image
// written every frame: on a software-rendered page (SwiftShader) each
// texture upload between two draws splits the frame's render pass, and the
// browser's compositor waits for all of them.
func (g *game) fillMap(dst *ebiten.Image, m mat, scale, x, y, cell float64) {
	n := m.rows * m.cols
	if cap(g.verts) < 4*n {
		g.verts, g.idx = make([]ebiten.Vertex, 4*n), make([]uint16, 6*n)
	}
	vs, is := g.verts[:0], g.idx[:0]
	flush := func() {
		if len(is) > 0 {
			dst.DrawTriangles(vs, is, white, &ebiten.DrawTrianglesOptions{})
		}
		vs, is = vs[:0], is[:0]
	}
	for r := 0; r < m.rows; r++ {
		for c := 0; c < m.cols; c++ {
			if len(vs)+4 > math.MaxUint16 {
				flush()
			}
			col := g.th.diverging(m.at(r, c), scale)
			cr, cg, cb := float32(col.R)/255, float32(col.G)/255, float32(col.B)/255
			x0, y0 := float32(x+float64(c)*cell), float32(y+float64(r)*cell)
			x1, y1 := x0+float32(cell), y0+float32(cell)
			i := uint16(len(vs))
			for _, p := range [4][2]float32{{x0, y0}, {x1, y0}, {x0, y1}, {x1, y1}} {
				vs = append(vs, ebiten.Vertex{DstX: p[0], DstY: p[1], SrcX: 1, SrcY: 1, ColorR: cr, ColorG: cg, ColorB: cb, ColorA: 1})
			}
			is = append(is, i, i+1, i+2, i+1, i+3, i+2)
		}
	}
	flush()
	g.verts, g.idx = vs, is
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
		{"ℓ(W₀; xₜ): the initial weights, never updated", th.w0, f.LossW0},
		{"ℓ(Wₜ₋₁; xₜ): before the step on token t", th.before, f.LossBefore},
		{"ℓ(Wₜ; xₜ): after it", th.after, f.LossAfter},
	}
	// The legend flows onto more lines on a narrow screen.
	lx, ly := x0, y0
	for i, l := range legend {
		name := l.name
		if w < g.px(700) {
			name = []string{"ℓ(W₀; xₜ)", "ℓ(Wₜ₋₁; xₜ) before the step", "ℓ(Wₜ; xₜ) after"}[i]
		}
		iw := g.px(18) + g.tx.width(name, g.px(12), false) + g.px(14)
		if lx > x0 && lx+iw > x0+w {
			lx, ly = x0, ly+g.px(17)
		}
		vector.DrawFilledRect(dst, float32(lx), float32(ly+g.px(6)), float32(g.px(14)), float32(g.px(3)), l.c, false)
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
		vector.StrokeLine(dst, float32(xx), float32(top), float32(xx), float32(top+ch), float32(g.px(1.5)), th.cursor, false)
	}
	xl := fmt.Sprintf("token t → (%d in all; ticks mark mini-batches of b = %d)", f.T, f.B)
	if g.tx.width(xl, g.px(11), false) > cw {
		xl = fmt.Sprintf("token t → (%d; b = %d)", f.T, f.B)
	}
	g.tx.draw(dst, g.fit(xl, g.px(11), cw), cx0, top+ch+g.px(4), g.px(11), th.muted, false)
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
	// The curves are the only anti-aliased drawing: ebiten draws each
	// anti-aliased call through a screen-sized offscreen image at twice the
	// resolution, three render passes that cost a software-rendered page
	// (SwiftShader) several milliseconds each. Rectangles and straight
	// lines on whole pixels look the same without.
	dst.DrawTriangles(vs, is, white, &ebiten.DrawTrianglesOptions{AntiAlias: true})
}

// drawStatus is the bottom line: what the pointer is over, or the numbers.
func (g *game) drawStatus(dst *ebiten.Image, x0, y0, w float64) {
	f, th := g.f, g.th
	parts := []string{fmt.Sprintf("t = %d of %d", f.Pos, f.T), backendLabel(f.Backend, f.Adapter), fmt.Sprintf("%.0f tokens/s", f.TokensPerS)}
	if f.Checking {
		parts = append(parts, fmt.Sprintf("max |GPU − CPU| = %.1e", f.DiffLast))
	}
	if f.RecallAsked > 0 {
		parts = append(parts, fmt.Sprintf("recall %d/%d", f.RecallRight, f.RecallAsked))
	}
	parts = append(parts, "hover a token, a weight or the chart for its values")
	// As many parts as fit, whole: the hover hint goes first on a phone.
	s := parts[0]
	for _, p := range parts[1:] {
		if g.tx.width(s+" · "+p, g.px(12), false) > w {
			break
		}
		s += " · " + p
	}
	if f.Error != "" {
		s = "error: " + f.Error
	}
	g.tx.draw(dst, g.fit(s, g.px(12), w), x0, y0+g.px(3), g.px(12), th.fg, false)
}

// backendLabel names where a run computes, for the canvas's status lines.
func backendLabel(backend, adapter string) string {
	if backend == "cpu" {
		return "CPU backend"
	}
	a := adapter
	if gpu.Software(a) {
		a += " (software)"
	}
	return "WebGPU on " + a
}
