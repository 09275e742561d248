//go:build js

package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"syscall/js"
)

// panelAPI adds explainStep to tttCore: the slow step, narrated on the
// canvas, and its captions and numbers for scripts and tests.
func (c *core) panelAPI(def func(string, func([]js.Value) any)) {
	c.g.onView = func(v viewOpts) {
		b, _ := json.Marshal(v)
		c.call("tttView", string(b))
	}
	// explainStep(optsJSON) → Promise of demo.StepReport's JSON.
	def("explainStep", func(args []js.Value) any {
		text := ""
		if len(args) > 0 && args[0].Type() == js.TypeString {
			text = args[0].String()
		}
		return promise(func() (string, error) {
			o := struct {
				Head    int   `json:"head"`
				Advance bool  `json:"advance"` // step one token first
				Narrate *bool `json:"narrate"` // walk the panel on the canvas (default true)
			}{}
			if text != "" {
				dec := json.NewDecoder(strings.NewReader(text))
				dec.DisallowUnknownFields()
				if err := dec.Decode(&o); err != nil {
					return "", fmt.Errorf("explainStep: %v (want {head, advance, narrate})", err)
				}
			}
			if c.ss.Frame().Playing {
				if err := c.ss.Pause(); err != nil {
					return "", err
				}
			}
			if o.Advance || c.ss.Frame().Pos == 0 {
				if err := c.ss.Step(1); err != nil {
					return "", err
				}
			}
			f := c.ss.Frame()
			if len(f.Step) == 0 {
				return "", fmt.Errorf("explainStep: no token to explain (t = %d of %d)", f.Pos, f.T)
			}
			if o.Head < 0 || o.Head >= len(f.Step) {
				return "", fmt.Errorf("explainStep: head %d, want 0..%d", o.Head, len(f.Step)-1)
			}
			c.g.view.Panel, c.g.view.Head = true, o.Head
			if o.Narrate == nil || *o.Narrate {
				c.g.narr = narration{on: true, t: f.Pos}
			}
			b, err := json.Marshal(f.Step[o.Head].Report())
			return string(b), err
		})
	})
	// labels() → JSON of every label the canvas drew last, its box in CSS
	// pixels: tests check that none is cut or left with raw markup.
	def("labels", func([]js.Value) any {
		out := []map[string]any{}
		dpr := max(c.g.dpr, 1)
		for _, l := range c.g.tx.drawn {
			out = append(out, map[string]any{"text": l.Text, "x": l.X / dpr, "y": l.Y / dpr, "w": l.W / dpr, "h": l.H / dpr})
		}
		b, _ := json.Marshal(map[string]any{"width": float64(c.g.w) / dpr, "height": float64(c.g.h) / dpr, "labels": out})
		return string(b)
	})
}
