package demo

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"tttexplainer/scenario"

	"tttexplainer/ttt"
)

// OpenGPU opens the GPU device (OpenWebGPU); it returns the device, a line
// saying which adapter opened, or why there is no usable GPU. The kernels
// are self-tested later, per model and form, when a run first needs them.
type OpenGPU func() (Device, string, error)

// Session is the page's one run, owned by a stepping goroutine (Loop):
// every change is a command that the goroutine runs in order, so a GPU
// round trip never runs in the drawing loop, and readers take Frames
// without locking.
type Session struct {
	openGPU OpenGPU
	gpu     Device // opened once, on first need
	gpuMsg  string // which adapter opened, or why there is no GPU
	gpuTry  bool
	probed  bool // ProbeGPU has run: until then every run starts on the CPU
	tests   map[string]selfTest

	r       *Runner
	playing bool
	check   bool
	err     string

	cmds     chan func()
	ticks    chan struct{}
	external bool // playing steps on Tick, not on the session's own timer
	frame    atomic.Pointer[Frame]
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

// device picks the backend a scenario asks for: the CPU; the GPU or auto
// give the GPU when it opens, else the CPU with the reason (deviceFor adds
// the self-test).
func (ss *Session) device(want scenario.Backend) (Device, string) {
	if want == scenario.BackendCPU {
		return CPU{}, "the CPU backend was chosen"
	}
	if !ss.probed {
		return CPU{}, "looking for a WebGPU adapter; the CPU runs meanwhile"
	}
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
	if ss.gpu != nil {
		return ss.gpu, ss.gpuMsg
	}
	return CPU{}, "WebGPU is unavailable: " + ss.gpuMsg
}

// ProbeGPU opens the GPU (the first frame comes before this: opening an
// adapter and running the self-test takes a while) and moves the run to it
// if its scenario asks for one, keeping its history.
func (ss *Session) ProbeGPU() error {
	return ss.Do(func() error {
		ss.probed = true
		dev, reason := ss.deviceFor(ss.r.Scenario)
		if dev.Name() == ss.r.dev.Name() {
			ss.r.reason = reason
			return nil
		}
		return ss.r.SetDevice(dev, reason)
	})
}

// selfTester is a device that tests its kernels against the CPU before a
// run uses them (GPUDevice, by gpu.Backend's self-test).
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
	key := s.Model + "/" + s.Form
	if ss.tests == nil {
		ss.tests = map[string]selfTest{}
	}
	res, done := ss.tests[key]
	if !done {
		msg, err := st.SelfTestForm(m, f)
		res = selfTest{msg, err}
		ss.tests[key] = res
	}
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
	key := m.String() + "/stream+opt"
	if ss.tests == nil {
		ss.tests = map[string]selfTest{}
	}
	res, done := ss.tests[key]
	if !done {
		msg, err := st.SelfTestOptimisers(m)
		res = selfTest{msg, err}
		ss.tests[key] = res
	}
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
		ss.gpu, ss.gpuMsg = nil, "the GPU device was lost"
		return nil
	})
}

// GPUStatus reports whether a GPU opened, and its message.
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

// Frame returns the latest frame.
func (ss *Session) Frame() *Frame { return ss.frame.Load() }

// Frames delivers new frames (the latest one only) to the drawing loop.
func (ss *Session) Frames() <-chan *Frame { return ss.frames }

// Loop runs the session's commands and, while playing, steps the layer at
// the scenario's speed. It never returns.
func (ss *Session) Loop() {
	last := time.Now()
	due := 0.0
	for {
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
			c() // publishes its own frame before it answers
			last, due = time.Now(), 0
		case <-frame:
			ss.playTick(&last, &due)
		case <-tick:
			ss.playTick(&last, &due)
		}
	}
}

// playTick steps the tokens that are due at the scenario's speed.
func (ss *Session) playTick(last *time.Time, due *float64) {
	// The time the goroutine runs, not the time the tick was sent: a busy
	// page (drawing) can run it later.
	now := time.Now()
	*due += now.Sub(*last).Seconds() * ss.r.Scenario.Speed
	*last = now
	budget := now.Add(40 * time.Millisecond) // keep commands and drawing responsive
	for *due >= 1 && ss.playing && time.Now().Before(budget) {
		ok, err := ss.r.Step()
		if err != nil {
			ss.err, ss.playing = err.Error(), false
		}
		if !ok {
			ss.playing = false
		}
		*due--
	}
	*due = min(*due, 1) // do not race to catch up after a slow step
	ss.publish()
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
		if err != nil {
			ss.err = err.Error()
		} else {
			ss.err = ""
		}
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

// Replay runs a case on a backend (pickDevice: "" for the current one) and form ("" for the case's scheme), on the stepping goroutine.
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
// backend (pickDevice: "" for the run's own), on the stepping
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
