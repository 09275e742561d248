package demo

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"tttexplainer/gpu"
	"tttexplainer/scenario"
	"tttexplainer/ttt"
)

// OpenGPU opens the GPU device and runs its self-test; it returns the
// device, the self-test's summary, or why there is no usable GPU.
type OpenGPU func() (Device, string, error)

// Session is the page's one run, owned by a stepping goroutine (Loop):
// every change is a command that the goroutine runs in order, so a GPU
// round trip never runs in the drawing loop, and readers take Frames
// without locking.
type Session struct {
	openGPU OpenGPU
	gpu     Device // opened once, on first need
	gpuMsg  string // the self-test's summary, or why there is no GPU
	gpuTry  bool
	openMu  sync.Mutex // held while the GPU opens
	probed  bool       // ProbeGPU has run: until then every run starts on the CPU
	testsMu sync.Mutex
	tests   map[string]selfTest

	r       *Runner
	playing bool
	check   bool
	err     string

	cmds     chan func()
	flight   chan *chunk // the chunk being computed ahead, if any
	yielded  time.Time   // when the chunk goroutine last gave the browser a turn (only it uses this)
	shown    rate        // tokens shown while playing, for the rate the reader sees
	ticks    chan struct{}
	external bool // playing steps on Tick, not on the session's own timer
	frame    atomic.Pointer[Frame]
	compute  atomic.Uint64 // the device's recent tokens/s (float64 bits), as published
	frames   chan *Frame
	// OnFrame, if set, is called from the stepping goroutine after every
	// new frame (the page uses it to update its text).
	OnFrame func(*Frame)
}

// NewSession starts with a scenario. openGPU may be nil (no GPU here).
func NewSession(s scenario.Scenario, openGPU OpenGPU) (*Session, error) {
	ss := &Session{openGPU: openGPU, cmds: make(chan func()), ticks: make(chan struct{}, 1), frames: make(chan *Frame, 1)}
	if err := ss.configure(s); err != nil {
		return nil, err
	}
	ss.publish()
	return ss, nil
}

// device picks the backend a run asks for: "cpu"; "gpu" gives the GPU
// when it opens; "auto" gives it when it opens and is not a software
// (fallback) adapter, which emulates a GPU on the processor more slowly than
// the CPU backend runs the same Go code. Otherwise the CPU, with the reason.
// Until ProbeGPU has run, every run starts on the CPU.
func (ss *Session) device(want scenario.Backend) (Device, string) {
	if want == scenario.BackendCPU {
		return CPU{}, "the CPU backend was chosen"
	}
	if !ss.probed {
		return CPU{}, "looking for a WebGPU adapter; the CPU runs meanwhile"
	}
	dev, why := ss.gpuDevice()
	if dev == nil {
		return CPU{}, "WebGPU is unavailable: " + why
	}
	if want == scenario.BackendAuto && gpu.Software(dev.Adapter()) {
		return CPU{}, "auto chose the CPU: the only WebGPU adapter here (" + dev.Adapter() + ") is a software one, which emulates a GPU on this processor and runs the kernels slower than the same Go code runs on the CPU. Choose WebGPU under Run on to use it anyway"
	}
	return dev, why
}

// gpuDevice opens the GPU on first need (once: a caller on another
// goroutine waits for the first) and returns it, or nil and why there is none.
func (ss *Session) gpuDevice() (Device, string) {
	ss.openMu.Lock()
	defer ss.openMu.Unlock()
	if !ss.gpuTry {
		ss.gpuTry = true
		if ss.openGPU == nil {
			ss.gpuMsg = "this build has no GPU backend"
		} else if dev, msg, err := ss.openGPU(); err != nil {
			ss.gpuMsg = err.Error()
		} else {
			ss.gpu, ss.gpuMsg = dev, msg
		}
	}
	return ss.gpu, ss.gpuMsg
}

// ProbeGPU opens the GPU, self-tests the kernels the run needs, and moves
// the run to it if its scenario asks for one, keeping its history. It runs
// after the page is ready, off the stepping goroutine: the reader can play
// on the CPU while an adapter opens and its kernels are tested (seconds on
// a software adapter), and the run moves only when the test passes.
func (ss *Session) ProbeGPU() error {
	ss.gpuDevice()
	var s scenario.Scenario
	ss.Do(func() error { ss.probed, s = true, ss.r.Scenario; return nil })
	dev, reason := ss.deviceFor(s) // the self-test, off the stepping goroutine
	return ss.Do(func() error {
		cur := ss.r.Scenario
		s.Speed = cur.Speed
		if s != cur {
			return nil // the reader changed the run meanwhile: it picked its own device
		}
		if dev.Name() == ss.r.dev.Name() {
			ss.r.reason = reason
			return nil
		}
		return ss.r.SetDevice(dev, reason)
	})
}

// selfTester is a device that tests its kernels against the CPU before a
// run uses them (GPUDevice).
type selfTester interface {
	SelfTestForm(m ttt.Model, f ttt.Form) (string, error)
	SelfTestOptimisers(m ttt.Model) (string, error)
}

type selfTest struct {
	msg string
	err error
}

// deviceFor picks the device of a scenario: device's choice, provided the
// GPU's kernels for the scenario's model and form pass their self-test
// (once per model and form).
func (ss *Session) deviceFor(s scenario.Scenario) (Device, string) {
	dev, reason := ss.device(s.Backend)
	st, ok := dev.(selfTester)
	if !ok {
		return dev, reason
	}
	m, err1 := ttt.ParseModel(s.Model)
	f, err2 := ttt.ParseForm(s.Form)
	if err1 != nil || err2 != nil {
		return dev, reason
	}
	res := ss.selfTest(s.Model+"/"+s.Form, func() (string, error) { return st.SelfTestForm(m, f) })
	if InnerOpt(&s) != (ttt.Opt{}) && res.err == nil {
		res = ss.optSelfTest(st, m)
	}
	if res.err != nil {
		return CPU{}, "the GPU failed its self-test, so this runs on the CPU: " + res.err.Error()
	}
	return dev, res.msg
}

// optSelfTest self-tests the stream kernels of model m with optimisers, once per model.
func (ss *Session) optSelfTest(st selfTester, m ttt.Model) selfTest {
	return ss.selfTest(m.String()+"/stream+opt", func() (string, error) { return st.SelfTestOptimisers(m) })
}

// selfTest runs a self-test once per key (from any goroutine) and keeps its result.
func (ss *Session) selfTest(key string, run func() (string, error)) selfTest {
	ss.testsMu.Lock()
	res, done := ss.tests[key]
	ss.testsMu.Unlock()
	if done {
		return res
	}
	msg, err := run()
	res = selfTest{msg, err}
	ss.testsMu.Lock()
	if ss.tests == nil {
		ss.tests = map[string]selfTest{}
	}
	ss.tests[key] = res
	ss.testsMu.Unlock()
	return res
}

// LoseGPU releases the GPU device as a lost device would be, for tests and
// demonstrations: the run notices at its next step and moves to the CPU,
// keeping its history; later runs stay on the CPU.
func (ss *Session) LoseGPU() error {
	return ss.Do(func() error {
		c, ok := ss.gpu.(interface{ Close() })
		if !ok {
			return errors.New("there is no GPU device to lose")
		}
		c.Close()
		ss.openMu.Lock()
		ss.gpu, ss.gpuMsg = nil, "the GPU device was lost"
		ss.openMu.Unlock()
		return nil
	})
}

// GPUStatus reports whether a GPU passed its self-test, and its message.
func (ss *Session) GPUStatus() (bool, string) { return ss.gpu != nil, ss.gpuMsg }

func (ss *Session) configure(s scenario.Scenario) error {
	dev, reason := ss.deviceFor(s)
	r, err := NewRunner(s, dev)
	if err != nil && dev.Name() != "cpu" {
		reason = fmt.Sprintf("the GPU could not start this run, so it runs on the CPU: %v", err)
		r, err = NewRunner(s, CPU{})
	}
	if err != nil {
		return err
	}
	r.reason = reason
	if ss.r != nil {
		ss.r.Close()
	}
	ss.r, ss.playing, ss.err = r, false, ""
	ss.shown.reset()
	if ss.check {
		if err := r.SetCheck(true); err != nil {
			return err
		}
	}
	return nil
}

// publish makes a new frame and hands it over.
func (ss *Session) publish() {
	f, err := ss.r.frame()
	if err != nil {
		ss.err = err.Error()
		old := ss.frame.Load()
		if old == nil {
			return
		}
		c := *old
		f = &c
	}
	f.Playing, f.Error = ss.playing, ss.err
	ss.compute.Store(math.Float64bits(f.TokensPerS))
	// The rate the reader sees while playing (and after, the last one);
	// before any playing, the device's compute rate.
	if p := ss.shown.perSecond(); p > 0 {
		f.TokensPerS = p
	}
	ss.frame.Store(f)
	select {
	case <-ss.frames:
	default:
	}
	ss.frames <- f
	if ss.OnFrame != nil {
		ss.OnFrame(f)
	}
}

// ComputeRate is the device's recent compute rate in tokens per second
// (the frames' TokensPerS is the rate the reader sees).
func (ss *Session) ComputeRate() float64 { return math.Float64frombits(ss.compute.Load()) }

// Frame returns the latest frame.
func (ss *Session) Frame() *Frame { return ss.frame.Load() }

// Frames delivers new frames (the latest one only) to the drawing loop.
func (ss *Session) Frames() <-chan *Frame { return ss.frames }

// TopSpeed is the speed (tokens per second) that plays as fast as the
// device computes: the playhead shows every token as soon as it is there.
const TopSpeed = 1000

// Loop runs the session's commands and, while playing, computes ahead of
// the playhead and moves it at the scenario's speed. It never returns.
//
// Computing and showing are apart: a chunk of tokens is computed on a
// goroutine of its own (one submit and one readback on a GPU), while this
// one keeps moving the playhead over the tokens already computed and
// publishing frames, so neither the drawing nor the playhead waits on the
// device. A command waits for the chunk in flight to land first: the
// engines belong to one goroutine at a time.
func (ss *Session) Loop() {
	last := time.Now()
	due := 0.0
	for {
		if ss.flight == nil && ss.playing && ss.wantAhead() {
			ss.launch()
		}
		var tick <-chan time.Time
		var frame <-chan struct{}
		switch {
		case ss.playing && ss.external:
			frame = ss.ticks
		case ss.playing:
			tick = time.After(max(time.Second/60, time.Duration(float64(time.Second)/ss.r.Scenario.Speed)))
		}
		select {
		case c := <-ss.cmds:
			ss.land()
			c() // publishes its own frame before it answers
			last, due = time.Now(), 0
		case c := <-ss.flight:
			ss.flight, ss.r.inflight = nil, false
			if err := ss.r.commit(c); err != nil {
				ss.err, ss.playing = err.Error(), false
				ss.publish()
			}
		case <-frame:
			ss.playTick(&last, &due)
		case <-tick:
			ss.playTick(&last, &due)
		}
	}
}

// wantAhead reports whether the playhead is near enough the tokens
// computed to compute more: two seconds of playing ahead, at least two chunks.
func (ss *Session) wantAhead() bool {
	r := ss.r
	ahead := max(2*ChunkTokens, int(2*r.Scenario.Speed))
	return r.done < r.T && r.done-r.t < ahead
}

// launch computes the next chunk on a goroutine of its own.
func (ss *Session) launch() {
	c := ss.r.nextChunk()
	done := make(chan *chunk, 1)
	ss.flight, ss.r.inflight = done, true
	go func() {
		ss.r.compute(c)
		// In the browser a chunk on the CPU backend never waits on
		// anything: give the event loop a turn now and then, so that the
		// page draws while the run computes ahead, not after the last
		// chunk. Not after every chunk: on a software-rendered page each
		// frame drawn costs far more than a chunk (docs/BENCHMARKS.md).
		if time.Since(ss.yielded) > 16*time.Millisecond {
			Yield()
			ss.yielded = time.Now()
		}
		done <- c
	}()
}

// land waits for the chunk in flight, if any, and records it.
func (ss *Session) land() {
	if ss.flight == nil {
		return
	}
	c := <-ss.flight
	ss.flight, ss.r.inflight = nil, false
	if err := ss.r.commit(c); err != nil {
		ss.err, ss.playing = err.Error(), false
	}
}

// playTick moves the playhead over the tokens that are due at the
// scenario's speed (all computed ones at TopSpeed), and publishes a frame
// when it moved.
func (ss *Session) playTick(last *time.Time, due *float64) {
	// The time the goroutine runs, not the time the tick was sent: a busy
	// page (drawing) can run it later.
	now := time.Now()
	r := ss.r
	*due += now.Sub(*last).Seconds() * r.Scenario.Speed
	*last = now
	n := min(int(*due), r.done-r.t)
	if r.Scenario.Speed >= TopSpeed {
		n = r.done - r.t
	}
	if r.t+n >= r.T {
		ss.playing = false
	}
	if n == 0 && ss.playing {
		// Waiting for the device: do not race to catch up when it lands.
		*due = min(*due, 1)
		return
	}
	r.t += n
	*due = max(0, *due-float64(n))
	ss.shown.add(now, r.t)
	ss.publish()
}

// rate is the playback rate the reader sees: tokens shown over about the
// last second.
type rate struct {
	at []time.Time
	t  []int
}

func (p *rate) add(now time.Time, t int) {
	p.at, p.t = append(p.at, now), append(p.t, t)
	i := 0
	for i < len(p.at)-2 && now.Sub(p.at[i+1]) >= time.Second {
		i++
	}
	p.at, p.t = p.at[i:], p.t[i:]
}

func (p *rate) reset() { p.at, p.t = p.at[:0], p.t[:0] }

// perSecond is the tokens shown per second over the samples kept.
func (p *rate) perSecond() float64 {
	n := len(p.at)
	if n < 2 {
		return 0
	}
	dt := p.at[n-1].Sub(p.at[0]).Seconds()
	if dt <= 0 {
		return 0
	}
	return float64(p.t[n-1]-p.t[0]) / dt
}

// UseTicks makes playing step on Tick instead of the session's own timer.
// The page ticks the session from every animation frame, so that stepping
// and drawing take turns on the one wasm thread instead of competing (in
// headless Chromium, Go's own timers were measured firing 0.3–1 s late
// while the canvas was drawn). Call it before Loop.
func (ss *Session) UseTicks() { ss.external = true }

// Tick asks a playing session to step what is due; it never blocks.
func (ss *Session) Tick() {
	select {
	case ss.ticks <- struct{}{}:
	default:
	}
}

// Do runs f on the stepping goroutine and waits for it. It must not be
// called from the goroutine itself, nor from a JavaScript callback.
func (ss *Session) Do(f func() error) error {
	done := make(chan error, 1)
	ss.cmds <- func() {
		err := f()
		ss.err = errText(err)
		// The caller's next read of Frame sees what it asked for.
		ss.publish()
		done <- err
	}
	return <-done
}

// SetScenario restarts the run with a new scenario. A change of speed or
// backend alone keeps the run: the speed only paces playing, and a new
// backend continues from where the old one stopped.
func (ss *Session) SetScenario(s scenario.Scenario) error {
	if err := s.Validate(); err != nil {
		return err
	}
	return ss.Do(func() error {
		cur := ss.r.Scenario
		same := s
		same.Speed, same.Backend = cur.Speed, cur.Backend
		if same != cur {
			return ss.configure(s)
		}
		ss.r.Scenario.Speed = s.Speed
		if s.Backend == cur.Backend {
			return nil
		}
		ss.r.Scenario.Backend = s.Backend
		dev, reason := ss.deviceFor(ss.r.Scenario)
		return ss.r.SetDevice(dev, reason)
	})
}

// Play and Pause start and stop the stepping.
func (ss *Session) Play() error {
	return ss.Do(func() error {
		if ss.r.Pos() >= ss.r.T {
			return errors.New("the run is at its end: reset it or scrub back")
		}
		ss.playing = true
		ss.shown.reset()
		ss.shown.add(time.Now(), ss.r.Pos())
		return nil
	})
}

// Pause stops the stepping.
func (ss *Session) Pause() error { return ss.Do(func() error { ss.playing = false; return nil }) }

// Step shows n more tokens (n ≤ 0: to the end of the current mini-batch).
func (ss *Session) Step(n int) error {
	return ss.Do(func() error {
		ss.playing = false
		if n <= 0 {
			return ss.r.StepBatch()
		}
		for range n {
			if ok, err := ss.r.Step(); err != nil || !ok {
				return err
			}
		}
		return nil
	})
}

// Seek moves the scrubber.
func (ss *Session) Seek(t int) error {
	return ss.Do(func() error { ss.playing = false; ss.r.Seek(t); return nil })
}

// Reset starts the same scenario again.
func (ss *Session) Reset() error {
	return ss.Do(func() error { return ss.configure(ss.r.Scenario) })
}

// SetCheck turns on or off the step-by-step comparison with the CPU.
func (ss *Session) SetCheck(on bool) error {
	return ss.Do(func() error { ss.check = on; return ss.r.SetCheck(on) })
}

// SetBackend moves the run to a backend (scenario.ParseBackend: "cpu",
// "gpu"/"webgpu" or "auto"), keeping its history.
func (ss *Session) SetBackend(name string) error {
	b, err := scenario.ParseBackend(name)
	if err != nil {
		return err
	}
	s := ss.Frame().Scenario
	s.Backend = b
	return ss.SetScenario(s)
}

// Replay runs a case on a backend (pickDevice: "" for the current one) and
// form ("" for the case's scheme), on the stepping goroutine.
func (ss *Session) Replay(caseJSON []byte, backend, form string) ([]byte, error) {
	var out []byte
	err := ss.Do(func() error {
		dev, err := ss.pickDevice("replay", backend, ss.r.dev)
		if err != nil {
			return err
		}
		out, err = Replay(dev, caseJSON, form)
		return err
	})
	return out, err
}

// CompareOptimizers runs CompareOptimizers for the current scenario on a
// backend ("cpu", "gpu", or "" for the run's own), on the stepping
// goroutine, over the first n tokens (all when n ≤ 0).
func (ss *Session) CompareOptimizers(backend string, n int, withZ bool) (*Comparison, error) {
	var out *Comparison
	err := ss.Do(func() error {
		dev, err := ss.pickDevice("compareOptimizers", backend, ss.r.dev)
		if err != nil {
			return err
		}
		if st, ok := dev.(selfTester); ok {
			if res := ss.optSelfTest(st, ss.r.Layer.Model); res.err != nil {
				return fmt.Errorf("compareOptimizers: the GPU failed its self-test: %w", res.err)
			}
		}
		out, err = CompareOptimizers(ss.r.Scenario, dev, n, withZ)
		return err
	})
	return out, err
}

// errText is what the page shows of an error: nothing for none.
func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
