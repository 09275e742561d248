//go:build !js

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"

	"github.com/chromedp/cdproto/cdp/jsonv2"
)

// event is one Chromium trace event (the JSON trace event format).
type event struct {
	Name string  `json:"name"`
	Ph   string  `json:"ph"`
	Ts   float64 `json:"ts"`  // µs
	Dur  float64 `json:"dur"` // µs, for complete events (ph X)
	Pid  int     `json:"pid"`
	Tid  int     `json:"tid"`
	Args struct {
		Name string `json:"name"`
	} `json:"args"`
}

// Where a renderer main thread's time goes, by the trace's event names:
// the animation frames run ebiten's Update and Draw (and the page's text,
// which the Go program updates from Draw); other script is Go resumed by
// timers and by WebGPU's promises (compute, readbacks) and the page's own
// handlers; the rest is the browser's rendering work and V8's GC.
var (
	frameNames  = []string{"FireAnimationFrame"}
	scriptNames = []string{"FunctionCall", "TimerFire", "RunMicrotasks", "EventDispatch", "v8.callFunction", "V8.Execute"}
	renderNames = []string{"UpdateLayoutTree", "Layout", "PrePaint", "Paint", "Layerize", "Commit", "UpdateLayer", "CompositeLayers", "HitTest"}
	gcNames     = []string{"MinorGC", "MajorGC", "V8.GC_SCAVENGER", "V8.GC_MARK_COMPACTOR"}
)

// byName prints each event name's time per token too (-names).
var byName bool

// extraCategories are trace categories recorded besides the main
// thread's (-categories), e.g. gpu,viz,cc to see the GPU process's work.
var extraCategories []string

// windowW, windowH are the -window flag: the browser window in CSS pixels.
var windowW, windowH int

// console is the -console flag: where the page's console messages go.
var console string

// view is the -view flag: ttt.setView's argument before playing.
var view string

// dumpTrace is where -dump writes the raw events, for tools that read
// Chromium traces (the DevTools performance panel, Perfetto).
var dumpTrace string

// writeTrace writes events as a JSON array, the trace event format.
func writeTrace(path string, events []jsonv2.Value) error {
	b, err := json.Marshal(events)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// mainThread summarises the busiest renderer main thread of a trace, in
// milliseconds per token played.
func mainThread(raw []jsonv2.Value, tokens int) string {
	var evs []event
	main := map[[2]int]bool{}
	for _, v := range raw {
		var e event
		if json.Unmarshal(v, &e) != nil {
			continue
		}
		if e.Ph == "M" && e.Name == "thread_name" && e.Args.Name == "CrRendererMain" {
			main[[2]int{e.Pid, e.Tid}] = true
		}
		if e.Ph == "X" {
			evs = append(evs, e)
		}
	}
	busy := map[[2]int]float64{}
	for _, e := range evs {
		if k := [2]int{e.Pid, e.Tid}; main[k] && e.Name == "RunTask" {
			busy[k] += e.Dur
		}
	}
	var thread [2]int
	for k, b := range busy {
		if b > busy[thread] {
			thread = k
		}
	}
	if busy[thread] == 0 || tokens == 0 {
		return "no main-thread tasks in the trace"
	}
	var mine []event
	for _, e := range evs {
		if [2]int{e.Pid, e.Tid} == thread {
			mine = append(mine, e)
		}
	}
	slices.SortFunc(mine, func(a, b event) int {
		if a.Ts != b.Ts {
			return int(a.Ts - b.Ts)
		}
		return int(b.Dur - a.Dur) // the outer event first
	})
	// Each group counts the time of its outermost events only, and an event
	// inside an animation frame belongs to the frame.
	sum := func(names []string, outside []string) float64 {
		total, end, outEnd := 0.0, 0.0, 0.0
		for _, e := range mine {
			if slices.Contains(outside, e.Name) {
				outEnd = max(outEnd, e.Ts+e.Dur)
			}
			if !slices.Contains(names, e.Name) || e.Ts < end || e.Ts < outEnd {
				continue
			}
			total += e.Dur
			end = e.Ts + e.Dur
		}
		return total
	}
	n := float64(tokens) * 1000 // µs → ms per token
	if byName {
		by := map[string]float64{}
		for _, e := range mine {
			by[e.Name] += e.Dur
		}
		var names []string
		for k := range by {
			names = append(names, k)
		}
		slices.SortFunc(names, func(a, b string) int { return int(by[b] - by[a]) })
		for _, k := range names[:min(25, len(names))] {
			fmt.Fprintf(os.Stderr, "  %-40s %8.2f ms/token\n", k, by[k]/n)
		}
	}
	b := busy[thread] / n
	frames := sum(frameNames, nil) / n
	script := sum(scriptNames, frameNames) / n
	render := sum(renderNames, frameNames) / n
	gc := sum(gcNames, append(append([]string{}, frameNames...), scriptNames...)) / n
	return fmt.Sprintf("busy %.2f ms = animation frames %.2f (ebiten Update and Draw, the page's text) + other script %.2f (Go resumed by timers and WebGPU promises: compute and readbacks; page handlers) + style, layout and paint %.2f + GC %.2f + rest %.2f",
		b, frames, script, render, gc, max(0, b-frames-script-render-gc))
}
