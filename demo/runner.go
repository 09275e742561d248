package demo

import (
	"fmt"
	"hash/crc32"
	"math"
	"time"
	"unsafe"

	"tttexplainer/lm"
	"tttexplainer/scenario"
	"tttexplainer/ttt"
)

// SnapshotBudget bounds the memory the scrubber's weight snapshots may use.
// Small layers keep W after every token; large ones keep it every few
// mini-batches and recompute the rest on the CPU when the reader scrubs.
const SnapshotBudget = 24 << 20

// Runner steps one scenario's layer through its input and records what the
// page shows: per-token z and losses, weight snapshots, and metrics. It is
// not safe for concurrent use (Session serialises it).
type Runner struct {
	Scenario scenario.Scenario
	Input    *Input
	Layer    *ttt.Layer
	Views    *Views
	Form     ttt.Form
	T        int
	Opt      ttt.Opt // the stream's inner optimiser (the zero Opt is plain GD)
	// Readings and Roles mark the input's tokens (readings.go): fixed by
	// the input, so made once here rather than for every frame.
	Readings []int
	Roles    []string

	dev    Device
	eng    Engine
	twin   Engine // the CPU, in lockstep, while checking a GPU
	check  bool
	reason string // why the device is what it is (fallbacks)

	W0     []*ttt.Weights
	lossW0 [][]float32 // [H][T] ℓ(W0; x_t) on the CPU, for streams started late

	Z    [][]float32    // [done][D] z_t, heads side by side
	L    [][]ttt.Losses // [done][H]
	done int            // tokens computed
	t    int            // tokens shown (≤ done); the scrubber moves it

	snaps    map[int][]*ttt.Weights // weights after p tokens
	every    int                    // keep a snapshot every `every` points (1: all)
	curW     []*ttt.Weights         // the engine's weights after `done` tokens, when fetched
	curAt    int
	lastDiff float64 // max |GPU − CPU| over the last chunk's z and losses (checking)
	maxDiff  float64

	busy, busyTokens float64 // seconds and tokens of recent Advance calls, decayed
	inflight         bool    // a chunk is being computed on another goroutine: leave the engines alone

	vview [][]float32 // recall: the label views u θ_V of the candidate values
}

// build validates a scenario and makes its input and layer.
func build(s *scenario.Scenario) (*Input, *ttt.Layer, error) {
	if err := s.Validate(); err != nil {
		return nil, nil, err
	}
	in, err := BuildInput(s)
	if err != nil {
		return nil, nil, err
	}
	l, err := NewLayer(s)
	if err != nil {
		return nil, nil, err
	}
	return in, l, nil
}

// NewRunner builds the layer and input of a scenario on a device.
func NewRunner(s scenario.Scenario, dev Device) (*Runner, error) {
	in, l, err := build(&s)
	if err != nil {
		return nil, err
	}
	form, err := ttt.ParseForm(s.Form)
	if err != nil {
		return nil, scenario.Errorf("form", "%v", err)
	}
	T := len(in.Tokens)
	U := Embed(in.Tokens, l.D, s.Seed)
	r := &Runner{Scenario: s, Input: in, Layer: l, Views: NewViews(l, U, T), Form: form, T: T, Opt: InnerOpt(&s), W0: l.W0, snaps: map[int][]*ttt.Weights{}, Readings: Readings(in), Roles: Roles(in)}
	// ℓ(W0; x_t) on the CPU: a frozen stream (every lr zero) never leaves W0.
	for _, hi := range r.Views.Heads {
		st := ttt.NewStreamState(hi.Head, hi.W0)
		out := ttt.NewResult(hi.Head.Model, T, hi.Head.D)
		seq := *hi.Seq
		seq.LR = make([]float32, T)
		st.Run(out, &seq)
		r.lossW0 = append(r.lossW0, out.LossBefore)
	}
	size := 0
	for _, w := range r.W0 {
		size += w.Size()
	}
	r.every = 1
	if bytes := 4 * size * (T + 1); bytes > SnapshotBudget {
		// Keep every k-th mini-batch boundary only.
		r.every = l.B * int(math.Ceil(float64(bytes)/float64(l.B)/SnapshotBudget))
	}
	r.keep(0, r.W0)
	if in.Name == "recall" {
		Uv := Embed(in.Values, l.D, s.Seed)
		for i := range in.Values {
			v := make([]float32, l.D)
			ttt.Project(v, Uv[i*l.D:(i+1)*l.D], l.ThetaV, 1, l.D, l.D) // u θ_V   [1,D] @ [D,D] -> [1,D]
			r.vview = append(r.vview, v)
		}
	}
	if err := r.SetDevice(dev, ""); err != nil {
		return nil, err
	}
	return r, nil
}

func clone(ws []*ttt.Weights) []*ttt.Weights {
	out := make([]*ttt.Weights, len(ws))
	for i, w := range ws {
		out[i] = w.Clone()
	}
	return out
}

// keep stores the weights after p tokens if the snapshot policy wants them.
func (r *Runner) keep(p int, W []*ttt.Weights) {
	if p%r.every == 0 || p == r.T {
		r.snaps[p] = clone(W)
	}
}

// Device is the backend the runner steps on, and why (after a fallback).
func (r *Runner) Device() (Device, string) { return r.dev, r.reason }

// SetDevice moves the run to another device and keeps its history: the new
// engine starts at the last mini-batch boundary and catches up to the
// tokens already computed (their results are already recorded).
func (r *Runner) SetDevice(dev Device, reason string) error {
	start := r.restart()
	W, err := r.WeightsAt(start)
	if err != nil {
		return err
	}
	eng, err := newEngine(dev, r.Form, r.Views, start, W, r.W0, r.lossW0, r.Opt)
	if err != nil {
		return err
	}
	if err := catchUp(eng, start, r.done, r.Views); err != nil {
		eng.Close()
		return err
	}
	if r.eng != nil {
		r.eng.Close()
	}
	r.dev, r.eng, r.reason, r.curW = dev, eng, reason, nil
	return r.setTwin()
}

// restart is the token a new engine starts from to reach the tokens done:
// the last mini-batch boundary, where the weights are the whole state, or
// token 0 for momentum and Adam, whose moments the snapshots do not keep.
func (r *Runner) restart() int {
	if r.Opt.Stateful() {
		return 0
	}
	return r.done - r.done%r.Layer.B
}

// catchUp advances an engine over tokens [from, to), discarding results.
func catchUp(e Engine, from, to int, v *Views) error {
	for t := from; t < to; {
		n := min(e.Next(t), to-t)
		Z, L := chunkBuffers(n, v)
		if err := e.Advance(t, n, Z, L); err != nil {
			return err
		}
		t += n
	}
	return nil
}

func chunkBuffers(n int, v *Views) ([][]float32, [][]ttt.Losses) {
	Z, L := make([][]float32, n), make([][]ttt.Losses, n)
	for i := range Z {
		Z[i] = make([]float32, v.H*v.D)
		L[i] = make([]ttt.Losses, v.H)
	}
	return Z, L
}

// SetCheck turns on or off the CPU twin that checks a GPU step by step.
func (r *Runner) SetCheck(on bool) error {
	r.check = on
	return r.setTwin()
}

func (r *Runner) setTwin() error {
	if r.twin != nil {
		r.twin.Close()
		r.twin = nil
	}
	if !r.check || r.dev.Name() == "cpu" {
		return nil
	}
	start := r.restart()
	W, err := r.WeightsAt(start)
	if err != nil {
		return err
	}
	twin, err := newEngine(CPU{}, r.Form, r.Views, start, W, r.W0, r.lossW0, r.Opt)
	if err != nil {
		return err
	}
	if err := catchUp(twin, start, r.done, r.Views); err != nil {
		return err
	}
	r.twin = twin
	return nil
}

// Done is the number of tokens computed; Pos the number shown.
func (r *Runner) Done() int { return r.done }

// Pos is the number of tokens shown (the scrubber's position).
func (r *Runner) Pos() int { return r.t }

// Step shows one more token, computing the next chunk first when every
// computed token is already shown. It returns false at the end.
func (r *Runner) Step() (bool, error) {
	if r.t >= r.T {
		return false, nil
	}
	if r.t == r.done {
		if err := r.advance(); err != nil {
			return false, err
		}
	}
	r.t++
	return true, nil
}

// StepBatch shows tokens up to the end of the current mini-batch.
func (r *Runner) StepBatch() error {
	b := r.Layer.B
	end := min(r.T, (r.t/b+1)*b)
	for r.t < end {
		if _, err := r.Step(); err != nil {
			return err
		}
	}
	return nil
}

// Seek moves the shown position to t (clamped to the tokens computed).
func (r *Runner) Seek(t int) { r.t = max(0, min(t, r.done)) }

// advance computes the next chunk on the device and records it.
func (r *Runner) advance() error {
	c := r.nextChunk()
	r.compute(c)
	return r.commit(c)
}

// A chunk is one Advance of the runner's engine (and of its twin, when
// checking): computed by compute, which touches nothing but the engines,
// so that it may run on another goroutine while the page shows the tokens
// already recorded, then recorded by commit.
type chunk struct {
	t0, n int
	Z     [][]float32
	L     [][]ttt.Losses
	W     []*ttt.Weights // the weights after the chunk
	tz    [][]float32    // the CPU twin's, when checking
	tl    [][]ttt.Losses
	took  time.Duration
	err   error
}

// nextChunk is the chunk after the tokens computed.
func (r *Runner) nextChunk() *chunk {
	n := r.eng.Next(r.done)
	Z, L := chunkBuffers(n, r.Views)
	return &chunk{t0: r.done, n: n, Z: Z, L: L}
}

// compute runs the chunk on the engine (and the twin). A panic in a device
// call becomes the chunk's error.
func (r *Runner) compute(c *chunk) {
	start := time.Now()
	c.err = guard(func() error {
		if err := r.eng.Advance(c.t0, c.n, c.Z, c.L); err != nil {
			return err
		}
		W, err := r.eng.Weights()
		c.W = W
		return err
	})
	c.took = time.Since(start)
	if c.err != nil || r.twin == nil {
		return
	}
	c.tz, c.tl = chunkBuffers(c.n, r.Views)
	c.err = r.twin.Advance(c.t0, c.n, c.tz, c.tl)
}

// commit records a computed chunk. If the device failed (a lost GPU), the
// run falls back to the CPU, keeps its history, and computes the chunk
// again there.
func (r *Runner) commit(c *chunk) error {
	if c.err != nil && r.dev.Name() != "cpu" {
		reason := fmt.Sprintf("the %s backend failed at token %d, so the run moved to the CPU: %v", r.dev.Name(), c.t0, c.err)
		if ferr := r.SetDevice(CPU{}, reason); ferr != nil {
			return fmt.Errorf("%s; and the CPU could not take over: %w", reason, ferr)
		}
		c = r.nextChunk()
		r.compute(c)
	}
	if c.err != nil {
		return c.err
	}
	// Decay old timings so tokens/s follows the current settings.
	r.busy = 0.9*r.busy + c.took.Seconds()
	r.busyTokens = 0.9*r.busyTokens + float64(c.n)
	if c.tz != nil {
		r.lastDiff = 0
		for i := range c.Z {
			for j := range c.Z[i] {
				r.lastDiff = max(r.lastDiff, math.Abs(float64(c.Z[i][j]-c.tz[i][j])))
			}
			for h := range c.L[i] {
				a, b := c.L[i][h], c.tl[i][h]
				for _, d := range []float32{a.W0 - b.W0, a.Start - b.Start, a.Before - b.Before, a.After - b.After} {
					r.lastDiff = max(r.lastDiff, math.Abs(float64(d)))
				}
			}
		}
		r.maxDiff = max(r.maxDiff, r.lastDiff)
	}
	r.Z = append(r.Z, c.Z...)
	r.L = append(r.L, c.L...)
	r.done += c.n
	r.curW, r.curAt = c.W, r.done
	if r.done%r.Layer.B == 0 || r.done == r.T {
		r.keep(r.done, c.W)
	}
	return nil
}

// guard turns a panic in a device call into an error, so that a GPU that
// breaks in an unexpected way (a JavaScript exception inside WebGPU, say)
// moves the run to the CPU instead of stopping the page.
func guard(f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("the device failed: %v", p)
		}
	}()
	return f()
}

// TokensPerSecond is the recent compute rate of the device (not the
// playback speed).
func (r *Runner) TokensPerSecond() float64 {
	if r.busy <= 0 {
		return 0
	}
	return r.busyTokens / r.busy
}

// Diff returns the last chunk's and the run's max |GPU − CPU| (0 when not checking).
func (r *Runner) Diff() (last, worst float64, checking bool) {
	return r.lastDiff, r.maxDiff, r.twin != nil
}

// Point is the token count at which the page shows weights for position t:
// t itself for the forms that have W after every token (stream, naive),
// the last mini-batch end for primal and dual.
func (r *Runner) Point(t int) int {
	if r.Form == ttt.Stream || r.Form == ttt.Naive || t == r.T {
		return t
	}
	if t == r.done && r.done%r.Layer.B != 0 { // a partial last mini-batch that is done
		return t
	}
	return t - t%r.Layer.B
}

// WeightsAt returns every head's weights after p tokens (p ≤ done): a
// snapshot, the engine's own current weights, or a recomputation on the
// CPU from the last snapshot at a mini-batch boundary. Any form's weights
// at a point where it has them equal the stream form's there.
func (r *Runner) WeightsAt(p int) ([]*ttt.Weights, error) {
	if p < 0 || p > r.done {
		return nil, fmt.Errorf("demo: weights after %d tokens asked, %d computed", p, r.done)
	}
	if w, ok := r.snaps[p]; ok {
		return w, nil
	}
	if p == r.done {
		if r.curW != nil && r.curAt == p {
			return r.curW, nil
		}
		var W []*ttt.Weights
		if r.inflight {
			// The engine is busy: recompute on the CPU below.
		} else if err := guard(func() (err error) { W, err = r.eng.Weights(); return err }); err == nil {
			r.curW, r.curAt = W, p
			return W, nil
		}
		// A failing device: recompute on the CPU below.
	}
	b := r.Layer.B
	s := p - p%b
	for ; s > 0; s -= b {
		if _, ok := r.snaps[s]; ok {
			break
		}
	}
	if r.Opt.Stateful() {
		s = 0 // the snapshots hold W, not the moments
	}
	heads := make([]*ttt.Head, r.Views.H)
	for h, hi := range r.Views.Heads {
		heads[h] = hi.Head
	}
	st, err := lm.NewCPUOptStream(heads, r.snaps[s], r.Opt)
	if err != nil {
		return nil, err
	}
	// Keep the mini-batch ends passed on the way (as the policy wants
	// them), so that a playhead moving forward replays less than b tokens.
	e := newStreamEngine("cpu", r.Views, st)
	for t := s; t < p; {
		n := min(b-t%b, p-t)
		Z, L := chunkBuffers(n, r.Views)
		if err := e.Advance(t, n, Z, L); err != nil {
			return nil, err
		}
		if t += n; t%b == 0 && !r.Opt.Stateful() {
			W, err := e.Weights()
			if err != nil {
				return nil, err
			}
			r.keep(t, W)
		}
	}
	return st.Weights()
}

// Previous is the point before p where the page has weights (for ΔW).
func (r *Runner) Previous(p int) int {
	if p == 0 {
		return 0
	}
	if r.Form == ttt.Stream || r.Form == ttt.Naive {
		return p - 1
	}
	return (p - 1) - (p-1)%r.Layer.B
}

// Checksum is a CRC-32 of the bytes of every head's weights after p tokens:
// a cheap fingerprint that tests and hosts compare across backends and runs.
func Checksum(W []*ttt.Weights) uint32 {
	h := crc32.NewIEEE()
	for _, w := range W {
		for _, t := range w.Tensors() {
			if len(t) > 0 {
				h.Write(unsafe.Slice((*byte)(unsafe.Pointer(&t[0])), 4*len(t)))
			}
		}
	}
	return h.Sum32()
}

// Recall grades the recall preset over the first t tokens: at each query
// key shown, the guess is the candidate value whose label view u θ_V lies
// nearest to z_t. It returns the number right, the number asked, and each
// asked query's guess.
func (r *Runner) Recall(t int) (right, asked int, guesses []string) {
	for _, q := range r.Input.Queries {
		if q.Pos >= t {
			break
		}
		z := r.Z[q.Pos]
		best, bestD := -1, math.Inf(1)
		for i, v := range r.vview {
			d := 0.0
			for j := range v {
				e := float64(z[j] - v[j])
				d += e * e
			}
			if d < bestD {
				best, bestD = i, d
			}
		}
		g := "?" // z_t is not finite: the inner loop diverged
		if best >= 0 {
			g = r.Input.Values[best]
		}
		guesses = append(guesses, g)
		asked++
		if g == q.Want {
			right++
		}
	}
	return right, asked, guesses
}

// MeanLoss returns the per-token loss averaged over the heads.
func MeanLoss(L []ttt.Losses) (w0, start, before, after float64) {
	for _, l := range L {
		w0 += float64(l.W0)
		start += float64(l.Start)
		before += float64(l.Before)
		after += float64(l.After)
	}
	n := float64(len(L))
	return w0 / n, start / n, before / n, after / n
}

// Close releases the engines.
func (r *Runner) Close() {
	if r.eng != nil {
		r.eng.Close()
	}
	if r.twin != nil {
		r.twin.Close()
	}
}
