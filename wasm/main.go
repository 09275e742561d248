//go:build js

// Command wasm is the page's Go side, built with GOOS=js GOARCH=wasm into
// web/app.wasm. It runs in the page's canvas frame (web/view.html): it reads
// the scenario, starts a demo.Session, draws its frames with ebiten, and
// offers the session to the page's script as globalThis.tttCore, which
// web/page.js wraps as window.ttt. It holds no math: demo and ttt do.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"syscall/js"
	"time"

	"tttexplainer/scenario"

	"github.com/hajimehoshi/ebiten/v2"

	"tttexplainer/demo"
)

func main() {
	start := time.Now()
	global := js.Global()
	// The page that holds the controls: the parent of view.html, or
	// embed.html itself (load.js sets tttHost).
	parent := global.Get("tttHost")
	if !parent.Truthy() {
		parent = global
	}
	if tm := parent.Get("tttTimings"); tm.Truthy() {
		tm.Set("goMain", parent.Get("performance").Call("now"))
	}
	s, notice := initialScenario(parent)
	ss, err := demo.NewSession(s, demo.OpenWebGPU)
	if err != nil { // cannot happen: initialScenario validated s
		notice = err.Error()
		ss, _ = demo.NewSession(scenario.Default(), demo.OpenWebGPU)
	}
	g := &game{ss: ss, tx: newTexter(), dark: global.Call("matchMedia", "(prefers-color-scheme: dark)"), view: viewOpts{Smooth: 10, Scale: "fixed", Panel: true}}
	c := &core{ss: ss, g: g, parent: parent, notice: notice}
	g.onKey = c.key
	g.onHover = func(s string) { c.call("tttHover", s) }
	g.first = make(chan struct{})
	g.onDraw = func(n int) {
		if n == 1 {
			close(g.first)
			if fn := js.Global().Get("tttDrew"); fn.Type() == js.TypeFunction {
				fn.Invoke() // load.js's loading picture goes
			}
			c.firstFrame = time.Since(start)
			c.call("tttFirstFrame")
		}
		// What each frame drawn costs the GPU besides its draws, for the
		// page benchmark (e2e/pagebench): text images uploaded.
		if tm := c.parent.Get("tttTimings"); tm.Truthy() {
			tm.Set("draws", n)
			tm.Set("uploads", g.tx.uploads)
		}
		// The page's text shows the frame the canvas shows: one t.
		c.notify(g.shown.f)
	}
	// A command's frame (a step, a pause) reaches the text at once, even
	// before the canvas draws it; while playing, the canvas leads.
	ss.OnFrame = func(f *demo.Frame) {
		if !f.Playing {
			c.notify(f)
		}
	}
	lmv := &lmView{ls: demo.NewLMSession(ss, demo.LoadLM), c: c}
	lmv.ls.OnFrame = func(f *demo.LMFrame) { lmv.notify(f, false) }
	api := c.api()
	c.lmAPI(api, lmv) // the language model's mode (lm.go)
	global.Set("tttCore", api)
	ss.UseTicks() // Update ticks the session every frame (see Session.UseTicks)
	go ss.Loop()
	go c.probe()

	ebiten.SetRunnableOnUnfocused(true)      // keep stepping while the reader works the controls outside the frame
	ebiten.SetScreenClearedEveryFrame(false) // Draw redraws only what changed
	if err := ebiten.RunGameWithOptions(&modeGame{g, lmv}, &ebiten.RunGameOptions{InitUnfocused: true}); err != nil {
		c.fail(err)
	}
}

// initialScenario reads the scenario: from the JSON the site puts into
// /s/{id} and /e/{id} pages, else from the page's URL query. A bad one
// gives the default and a notice naming what was wrong.
func initialScenario(host js.Value) (scenario.Scenario, string) {
	doc := host.Get("document")
	if el := doc.Call("getElementById", "scenario"); el.Truthy() {
		s, err := scenario.DecodeJSON([]byte(el.Get("textContent").String()))
		if err != nil {
			return scenario.Default(), "the saved scenario is not valid (" + err.Error() + "); showing the default instead"
		}
		return s, ""
	}
	search := doc.Get("location").Get("search").String()
	q, err := url.ParseQuery(strings.TrimPrefix(search, "?"))
	if err != nil {
		return scenario.Default(), "the link's query could not be read (" + err.Error() + "); showing the default instead"
	}
	s, err := scenario.FromQuery(q)
	if err != nil {
		return scenario.Default(), "the link's scenario is not valid (" + err.Error() + "); showing the default instead"
	}
	return s, ""
}

// core is what the page's script calls (globalThis.tttCore).
type core struct {
	ss         *demo.Session
	g          *game
	parent     js.Value
	notice     string
	ready      bool
	probed     bool // the GPU probe has finished (ttt.gpuReady)
	firstFrame time.Duration
	notified   *demo.Frame // the last frame the page's text shows
	funcs      []js.Func
}

// probe makes the page ready once the first frame is up (the run starts
// on the CPU), then looks for the GPU in the background and moves the run
// to it when the scenario asks for one and its kernels pass their
// self-test (ttt.gpuReady).
func (c *core) probe() {
	<-c.g.first
	c.ready = true
	c.notify(c.ss.Frame())
	c.call("tttReady", c.readyJSON())
	c.ss.ProbeGPU()
	c.probed = true
	c.notify(c.ss.Frame())
	c.call("tttGPUReady", c.readyJSON())
}

func (c *core) readyJSON() string {
	f := c.ss.Frame()
	ok, msg := c.ss.GPUStatus()
	b, _ := json.Marshal(map[string]any{
		"backend": f.Backend, "adapter": f.Adapter, "reason": f.Reason, "probed": c.probed,
		"gpu": ok, "gpu_message": msg, "notice": c.notice, "first_frame_ms": c.firstFrame.Milliseconds(),
	})
	return string(b)
}

// call invokes a function of the parent page if it has it.
func (c *core) call(name string, args ...any) {
	if !c.parent.Truthy() {
		return
	}
	if fn := c.parent.Get(name); fn.Type() == js.TypeFunction {
		fn.Invoke(args...)
	}
}

// notify tells the page about a frame, once.
func (c *core) notify(f *demo.Frame) {
	if f == nil || f == c.notified {
		return
	}
	c.notified = f
	c.call("tttOnFrame", summary(f, c))
}

// summary is the compact state the page's text shows after every frame.
func summary(f *demo.Frame, c *core) string {
	m := map[string]any{
		"t": f.Pos, "total": f.T, "done": f.Done, "point": f.Point, "b": f.B, "playing": f.Playing,
		"backend": f.Backend, "adapter": f.Adapter, "reason": f.Reason, "scenario": f.Scenario,
		"query": f.Scenario.Query().Encode(), "input": f.Input, "tokens_per_s": f.TokensPerS, "compute_per_s": c.ss.ComputeRate(),
		"error": f.Error, "notice": c.notice, "explain": f.ExplainForm, "ready": c.ready, "top_speed": demo.TopSpeed,
	}
	if f.Pos > 0 {
		i := f.Pos - 1
		m["token"] = f.Tokens[i]
		m["loss"] = map[string]float32{"w0": f.LossW0[i], "before": f.LossBefore[i], "after": f.LossAfter[i]}
	}
	if f.Checking {
		m["check"] = map[string]float64{"last": f.DiffLast, "max": f.DiffMax}
	}
	if f.Queries != nil {
		m["recall"] = map[string]any{"right": f.RecallRight, "asked": f.RecallAsked, "total": len(f.Queries)}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func (c *core) fail(err error) {
	c.call("tttFatal", err.Error())
}

// key handles a key pressed on the canvas.
func (c *core) key(k string) {
	go func() {
		switch k {
		case "space":
			if c.ss.Frame().Playing {
				c.ss.Pause()
			} else {
				c.ss.Play()
			}
		case "token":
			c.ss.Step(1)
		case "batch":
			c.ss.Step(0)
		}
	}()
}

// promise runs fn on a new goroutine (a JavaScript callback must never wait
// on the stepping goroutine, which may itself wait on a WebGPU promise) and
// returns a Promise of its string result.
func promise(fn func() (string, error)) js.Value {
	var exec js.Func
	exec = js.FuncOf(func(_ js.Value, args []js.Value) any {
		resolve, reject := args[0], args[1]
		go func() {
			defer func() {
				if r := recover(); r != nil {
					reject.Invoke(js.Global().Get("Error").New(fmt.Sprint("internal error: ", r)))
				}
			}()
			s, err := fn()
			if err != nil {
				reject.Invoke(js.Global().Get("Error").New(err.Error()))
				return
			}
			resolve.Invoke(s)
		}()
		return nil
	})
	p := js.Global().Get("Promise").New(exec)
	exec.Release() // the executor has run
	return p
}

func (c *core) state() (string, error) {
	b, err := json.Marshal(c.ss.Frame().State(false))
	return string(b), err
}

// api builds the tttCore object. Every method but state returns a Promise;
// the page's window.ttt wraps them (web/page.js documents the API).
func (c *core) api() js.Value {
	obj := js.Global().Get("Object").New()
	def := func(name string, fn func(args []js.Value) any) {
		f := js.FuncOf(func(_ js.Value, args []js.Value) any { return fn(args) })
		c.funcs = append(c.funcs, f)
		obj.Set(name, f)
	}
	arg := func(args []js.Value, i int) js.Value {
		if i < len(args) {
			return args[i]
		}
		return js.Undefined()
	}
	after := func(do func() error) any {
		return promise(func() (string, error) {
			if err := do(); err != nil {
				return "", err
			}
			return c.state()
		})
	}
	def("state", func(args []js.Value) any {
		withW := arg(args, 0).Truthy()
		b, err := json.Marshal(c.ss.Frame().State(withW))
		if err != nil {
			return js.Null()
		}
		return string(b)
	})
	def("ready", func([]js.Value) any {
		if !c.ready {
			return js.Null()
		}
		return c.readyJSON()
	})
	def("setConfig", func(args []js.Value) any {
		patch := arg(args, 0)
		var text string
		if patch.Type() == js.TypeString {
			text = patch.String()
		} else {
			text = js.Global().Get("JSON").Call("stringify", patch).String()
		}
		return after(func() error {
			s, err := merge(c.ss.Frame().Scenario, text)
			if err != nil {
				return err
			}
			return c.ss.SetScenario(s)
		})
	})
	def("play", func([]js.Value) any { return after(c.ss.Play) })
	def("pause", func([]js.Value) any { return after(c.ss.Pause) })
	def("step", func(args []js.Value) any {
		n := 1
		if a := arg(args, 0); a.Type() == js.TypeNumber {
			n = a.Int()
		} else if a.Type() == js.TypeString && a.String() == "batch" {
			n = 0
		}
		if n < 0 || n > demo.MaxTokens {
			return after(func() error { return fmt.Errorf("step(%d): want 1..%d tokens, or \"batch\"", n, demo.MaxTokens) })
		}
		return after(func() error { return c.ss.Step(n) })
	})
	def("seek", func(args []js.Value) any {
		a := arg(args, 0)
		if a.Type() != js.TypeNumber {
			return after(func() error { return errors.New("seek(t): t must be a number of tokens") })
		}
		t := a.Int()
		return after(func() error { return c.ss.Seek(t) })
	})
	def("reset", func([]js.Value) any { return after(c.ss.Reset) })
	def("simulateDeviceLoss", func([]js.Value) any { return after(c.ss.LoseGPU) })
	def("setBackend", func(args []js.Value) any {
		name := arg(args, 0).String()
		return after(func() error { return c.ss.SetBackend(name) })
	})
	def("setCheck", func(args []js.Value) any {
		on := arg(args, 0).Truthy()
		return after(func() error { return c.ss.SetCheck(on) })
	})
	def("setView", func(args []js.Value) any {
		text := js.Global().Get("JSON").Call("stringify", arg(args, 0)).String()
		return promise(func() (string, error) {
			v := c.g.view
			dec := json.NewDecoder(strings.NewReader(text))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&v); err != nil {
				return "", fmt.Errorf("setView: %v (want {smooth, scale, delta, panel, head})", err)
			}
			if v.Head < 0 {
				return "", fmt.Errorf("setView: head %d, want 0 or more", v.Head)
			}
			if v.Smooth < 1 || v.Smooth > 256 || (v.Scale != "fixed" && v.Scale != "frame") {
				return "", fmt.Errorf("setView: smooth %d (want 1..256), scale %q (want fixed or frame)", v.Smooth, v.Scale)
			}
			c.g.view = v
			b, _ := json.Marshal(v)
			return string(b), nil
		})
	})
	def("compareOptimizers", func(args []js.Value) any {
		text := arg(args, 0)
		return promise(func() (string, error) {
			var o struct {
				Backend string `json:"backend"`
				Tokens  int    `json:"tokens"`
				Z       bool   `json:"z"`
			}
			if text.Type() == js.TypeString && text.String() != "" {
				dec := json.NewDecoder(strings.NewReader(text.String()))
				dec.DisallowUnknownFields()
				if err := dec.Decode(&o); err != nil {
					return "", fmt.Errorf("compareOptimizers: %v (want {backend, tokens, z})", err)
				}
			}
			c, err := c.ss.CompareOptimizers(o.Backend, o.Tokens, o.Z)
			if err != nil {
				return "", err
			}
			b, err := json.Marshal(c)
			return string(b), err
		})
	})
	c.experimentAPI(def) // experiment.go
	c.panelAPI(def)      // panel_api.go
	def("replay", func(args []js.Value) any {
		caseArg, backend, form := arg(args, 0), arg(args, 1), arg(args, 2)
		var data string
		if caseArg.Type() == js.TypeString {
			data = caseArg.String()
		} else {
			data = js.Global().Get("JSON").Call("stringify", caseArg).String()
		}
		be, fm := "", ""
		if backend.Type() == js.TypeString {
			be = backend.String()
		}
		if form.Type() == js.TypeString {
			fm = form.String()
		}
		return promise(func() (string, error) {
			out, err := c.ss.Replay([]byte(data), be, fm)
			return string(out), err
		})
	})
	return obj
}

// merge applies a partial scenario (JSON) to the current one; unknown or
// bad fields are errors that name the field.
func merge(cur scenario.Scenario, patch string) (scenario.Scenario, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(patch), &m); err != nil {
		return cur, fmt.Errorf("setConfig: want a JSON object of scenario fields: %v", err)
	}
	base, _ := json.Marshal(cur)
	var all map[string]json.RawMessage
	json.Unmarshal(base, &all)
	for k, v := range m {
		all[k] = v
	}
	if string(all["backend"]) == `"webgpu"` { // the name replay and setBackend take too
		all["backend"] = json.RawMessage(`"gpu"`)
	}
	b, _ := json.Marshal(all)
	s, err := scenario.DecodeJSON(b)
	if err != nil {
		return cur, fmt.Errorf("setConfig: %w", err)
	}
	return s, nil
}
