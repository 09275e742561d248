//go:build js

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"syscall/js"
	"time"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/inpututil"

	"tttexplainer/demo"
)

// lmView is the page's language-model mode: a demo.LMSession on the same
// stepping goroutine (and GPU) as the layer's session, its API on tttCore,
// and its drawing (lmdraw.go) in place of the layer's while the mode is on.
type lmView struct {
	ls     *demo.LMSession
	c      *core
	active atomic.Bool
	f      *demo.LMFrame

	shown struct {
		f     *demo.LMFrame
		hover string
		th    *theme
		w, h  int
	}
	scales     []float64 // [layer·H + head] each head's colour scale: its largest |W| seen this run
	hits       []hit
	hover      string
	lastNotify time.Time
}

// modeGame is the ebiten game: the layer's, or the language model's while
// that mode is on.
type modeGame struct {
	*game
	lm *lmView
}

func (m *modeGame) Update() error {
	// After the first frame, one size's remaining number glyphs a tick
	// (wasm/text.go); once all are in, redraw with numbers placed exactly.
	if m.game.drawn > 0 && m.game.tx.warm1() && len(m.game.tx.pending) == 0 {
		m.game.shown.f, m.lm.shown.f = nil, nil
	}
	if !m.lm.active.Load() {
		return m.game.Update()
	}
	g, v := m.game, m.lm
	v.f = v.ls.Frame()
	g.th = &lightTheme
	if g.dark.Truthy() && g.dark.Get("matches").Bool() {
		g.th = &darkTheme
	}
	if f := v.f; f != nil {
		switch {
		case inpututil.IsKeyJustPressed(ebiten.KeyArrowRight):
			go v.ls.Seek(f.Pos + 1)
		case inpututil.IsKeyJustPressed(ebiten.KeyArrowLeft):
			go v.ls.Seek(f.Pos - 1)
		}
	}
	x, y := ebiten.CursorPosition()
	prev := v.hover
	v.hover = ""
	for _, h := range v.hits {
		if h.r.Min.X <= x && x < h.r.Max.X && h.r.Min.Y <= y && y < h.r.Max.Y {
			v.hover = h.text(x, y)
		}
	}
	if v.hover != prev && g.onHover != nil {
		g.onHover(v.hover)
	}
	return nil
}

func (m *modeGame) Draw(screen *ebiten.Image) {
	if m.lm.active.Load() {
		m.lm.draw(m.game, screen)
		return
	}
	m.game.Draw(screen)
}

// setActive switches the canvas between the layer and the language model.
func (v *lmView) setActive(on bool, g *game) {
	if v.active.Swap(on) != on {
		g.shown.f = nil // the layer's view redraws when it comes back
		v.shown.f = nil
		g.hits, v.hits = g.hits[:0], v.hits[:0]
	}
}

// notify tells the page about the LM's new frame (at most about 15 times a
// second while reading).
func (v *lmView) notify(f *demo.LMFrame, force bool) {
	if !force && f.Done < len(f.Text) && time.Since(v.lastNotify) < 66*time.Millisecond {
		return
	}
	v.lastNotify = time.Now()
	m := map[string]any{
		"done": f.Done, "total": len(f.Text), "t": f.Pos, "model": f.Model,
		"backend": f.Backend, "adapter": f.Adapter, "reason": f.Reason, "error": f.Error,
	}
	if len(f.Loss) > 0 {
		m["bits_per_char"] = f.BitsPerChar
	}
	if f.Readings != nil {
		m["readings"] = f.Readings
	}
	if f.Pos > 0 {
		m["char"] = f.Text[f.Pos-1]
		m["top"] = f.Top[f.Pos-1]
		if f.Pos < f.Done {
			m["next"], m["loss"] = f.Text[f.Pos], f.Loss[f.Pos-1]
		}
	}
	b, _ := json.Marshal(m)
	v.c.call("tttOnLMFrame", string(b))
}

// lmOptions are ttt.lm's options.
type lmOptions struct {
	Backend string `json:"backend"` // "auto" (default), "webgpu"/"gpu" or "cpu"
	Model   string `json:"model"`   // "pretrained" (default) or "untrained"
	Weights bool   `json:"weights"` // include every layer's and head's W and b
}

// lmAPI adds the language model's methods to tttCore (web/page.js
// documents them as window.ttt.lm, lmState, lmSeek, setMode).
func (c *core) lmAPI(obj js.Value, v *lmView) {
	def := func(name string, fn func(args []js.Value) any) {
		f := js.FuncOf(func(_ js.Value, args []js.Value) any { return fn(args) })
		c.funcs = append(c.funcs, f)
		obj.Set(name, f)
	}
	state := func(withW bool) (string, error) {
		f := v.ls.Frame()
		if f == nil {
			return "", errors.New("lm: no text read yet")
		}
		b, err := json.Marshal(f.State(withW))
		return string(b), err
	}
	def("lm", func(args []js.Value) any {
		text, opts := "", lmOptions{Backend: "auto", Model: "pretrained"}
		var bad error
		if len(args) > 0 && args[0].Type() == js.TypeString {
			text = args[0].String()
		} else {
			bad = errors.New("lm(text, options): text must be a string")
		}
		if len(args) > 1 && args[1].Type() == js.TypeString && bad == nil {
			dec := json.NewDecoder(strings.NewReader(args[1].String()))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&opts); err != nil {
				bad = fmt.Errorf("lm(text, options): %v (want {backend, model, weights})", err)
			}
		}
		return promise(func() (string, error) {
			if bad != nil {
				return "", bad
			}
			v.setActive(true, c.g)
			if err := v.ls.Start(text, opts.Backend, opts.Model); err != nil {
				return "", err
			}
			if err := v.ls.Advance(0); err != nil {
				return "", err
			}
			return state(opts.Weights)
		})
	})
	def("lmState", func(args []js.Value) any {
		s, err := state(len(args) > 0 && args[0].Truthy())
		if err != nil {
			return js.Null()
		}
		return s
	})
	def("lmSeek", func(args []js.Value) any {
		if len(args) == 0 || args[0].Type() != js.TypeNumber {
			return promise(func() (string, error) { return "", errors.New("lmSeek(t): t must be a number of characters") })
		}
		t := args[0].Int()
		return promise(func() (string, error) {
			if err := v.ls.Seek(t); err != nil {
				return "", err
			}
			return state(false)
		})
	})
	def("setMode", func(args []js.Value) any {
		mode := ""
		if len(args) > 0 {
			mode = args[0].String()
		}
		return promise(func() (string, error) {
			if mode != "layer" && mode != "lm" {
				return "", fmt.Errorf("setMode(%q): want \"layer\" or \"lm\"", mode)
			}
			v.setActive(mode == "lm", c.g)
			return `"` + mode + `"`, nil
		})
	})
}
