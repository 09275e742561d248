//go:build js

// Command gpuharness runs the GPU backend inside a browser page: every
// reference case through the gpu backend (WebGPU, navigator.gpu) and the cpu
// backend, the backend's self-test, a lost device, and with ?bench=1 the
// speed race. It leaves its report as JSON in window.tttResult and sets the
// title to "ttt-done"; e2e's test drives it in headless Chromium.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"syscall/js"
	"time"

	"github.com/cogentcore/webgpu/jsx"

	"tttexplainer/e2e/report"
	"tttexplainer/gpu"
	"tttexplainer/ttt"
	"tttexplainer/ttt/golden"
)

func main() {
	r := &report.Report{}
	func() {
		defer func() {
			if p := recover(); p != nil {
				r.Error = fmt.Sprintf("panic: %v", p)
			}
		}()
		run(r, strings.Contains(js.Global().Get("location").Get("search").String(), "bench=1"))
	}()
	data, err := json.Marshal(r)
	if err != nil {
		data = []byte(fmt.Sprintf(`{"Error": %q}`, err.Error()))
	}
	js.Global().Set("tttResult", string(data))
	js.Global().Get("document").Set("title", "ttt-done")
	// Stay alive: the browser still calls back into Go (device.lost of the
	// devices released above) after the report is out.
	select {}
}

func run(r *report.Report, bench bool) {
	adapterInfo(r)
	be, err := gpu.New()
	if err != nil {
		r.Error = err.Error()
		return
	}
	defer be.Close()
	r.Adapter = be.Adapter()
	cases, err := golden.Cases()
	if err != nil {
		r.Error = err.Error()
		return
	}
	for _, c := range cases {
		for _, form := range gpu.GoldenForms(c.Case) {
			for _, b := range []ttt.Backend{be, ttt.CPU{}} {
				r.Cases = append(r.Cases, replay(c.Name, c.Case, b, form))
			}
		}
	}
	for _, m := range []ttt.Model{ttt.Linear, ttt.MLP} {
		r.Cases = append(r.Cases, streamAPI(be, m, 10, false))
	}
	// A long stream while the Go heap keeps growing: wgpu's WriteBuffer handed
	// WebGPU a view of the wasm memory, which a growth could detach mid-call.
	r.Cases = append(r.Cases, streamAPI(be, ttt.Linear, 400, true))
	for _, kind := range []string{"linear", "softmax"} {
		r.Cases = append(r.Cases, attention(be, kind))
	}
	if msg, err := be.SelfTest(); err != nil {
		r.SelfTest = "FAIL: " + err.Error()
	} else {
		r.SelfTest = msg
	}
	lost(r)
	if bench {
		race(r, be)
	}
}

// adapterInfo reads the adapter's identity straight from navigator.gpu.
func adapterInfo(r *report.Report) {
	g := js.Global().Get("navigator").Get("gpu")
	if !g.Truthy() {
		return
	}
	a, ok := jsx.Await(g.Call("requestAdapter"))
	if !ok || !a.Truthy() {
		return
	}
	info := a.Get("info")
	if !info.Truthy() {
		return
	}
	r.Vendor = info.Get("vendor").String()
	r.Architecture = info.Get("architecture").String()
	r.Description = info.Get("description").String()
	r.Fallback = a.Get("isFallbackAdapter").Truthy() || info.Get("isFallbackAdapter").Truthy()
}

// replay runs one case with one backend and form and compares every array
// with the float64 reference.
func replay(name string, c *ttt.Case, be ttt.Backend, form ttt.Form) report.Case {
	rc := report.Case{Name: name, Form: form.String(), Backend: be.Name()}
	start := time.Now()
	out, err := c.Run(be, form)
	rc.MS = float64(time.Since(start).Microseconds()) / 1e3
	if err != nil {
		rc.Err = err.Error()
		return rc
	}
	rc.OK = true
	for _, d := range ttt.Compare(out.Arrays(), c.Want, ttt.AbsTol, ttt.RelTol) {
		rc.Arrays++
		rc.MaxAbs = max(rc.MaxAbs, d.MaxAbs)
		if !d.OK() && rc.OK {
			rc.OK, rc.Err = false, d.String()
		}
	}
	return rc
}

// streamAPI steps 3 heads token by token through gpu.Stream and one
// ttt.StreamState per head, comparing z and the losses at every token and the
// weights read back with Stream.Weights at the end.
func streamAPI(be *gpu.Backend, m ttt.Model, T int, grow bool) report.Case {
	const H, d, b = 3, 7, 3
	rc := report.Case{Name: fmt.Sprintf("stream-api/%v/T%d", m, T), Form: "stream", Backend: "gpu"}
	var heap [][]byte
	start := time.Now()
	probs := make([]*ttt.Problem, H)
	hs := make([]*ttt.Head, H)
	w0 := make([]*ttt.Weights, H)
	cpu := make([]*ttt.StreamState, H)
	for h := range probs {
		probs[h] = ttt.RandomProblem(m, T, d, b, uint64(40+h))
		hs[h], w0[h] = &probs[h].Head, probs[h].W0
		cpu[h] = ttt.NewStreamState(hs[h], w0[h])
	}
	st, err := be.NewStream(hs, w0)
	if err != nil {
		rc.Err = err.Error()
		return rc
	}
	defer st.Close()
	q, k, v, lr := make([]float32, H*d), make([]float32, H*d), make([]float32, H*d), make([]float32, H)
	z, losses, want := make([]float32, H*d), make([]ttt.Losses, H), make([]float32, d)
	var got, exp []float64
	for t := 0; t < T; t++ {
		for h, p := range probs {
			lr[h] = p.Seq.Token(t, q[h*d:(h+1)*d], k[h*d:(h+1)*d], v[h*d:(h+1)*d])
		}
		if grow {
			heap = append(heap, make([]byte, 64<<10+t*97)) // kept: the wasm memory must grow
		}
		if err := st.Step(z, losses, q, k, v, lr); err != nil {
			rc.Err = fmt.Sprintf("token %d: %v", t, err)
			return rc
		}
		for h := range probs {
			l := cpu[h].Step(want, q[h*d:(h+1)*d], k[h*d:(h+1)*d], v[h*d:(h+1)*d], lr[h])
			got = appendF(got, z[h*d:(h+1)*d]...)
			got = appendF(got, losses[h].W0, losses[h].Start, losses[h].Before, losses[h].After)
			exp = appendF(exp, want...)
			exp = appendF(exp, l.W0, l.Start, l.Before, l.After)
		}
	}
	ws, err := st.Weights()
	if err != nil {
		rc.Err = err.Error()
		return rc
	}
	for h := range probs {
		for i, t := range ws[h].Tensors() {
			got = appendF(got, t...)
			exp = appendF(exp, cpu[h].Weights().Tensors()[i]...)
		}
	}
	rc.MS = float64(time.Since(start).Microseconds()) / 1e3
	runtime.KeepAlive(heap)
	return compareCase(rc, got, exp)
}

// attention runs one of the attention kernels over two key chunks against its CPU twin.
func attention(be *gpu.Backend, kind string) report.Case {
	const H, T, d = 2, 300, 16
	rc := report.Case{Name: "attention/" + kind, Form: "-", Backend: "gpu"}
	start := time.Now()
	p := ttt.RandomProblem(ttt.Linear, H*T, d, 1, 7)
	for i := range p.Seq.XQ { // q·k of order 1
		p.Seq.XQ[i] *= 0.5
		p.Seq.XK[i] *= 0.5
	}
	Q, K, V := p.Seq.XQ, p.Seq.XK, p.Seq.XV
	Z, want := make([]float32, H*T*d), make([]float32, H*T*d)
	var err error
	if kind == "linear" {
		err = be.LinearAttention(Z, Q, K, V, H, T, d)
	} else {
		err = be.SoftmaxAttention(Z, Q, K, V, H, T, d)
	}
	rc.MS = float64(time.Since(start).Microseconds()) / 1e3
	if err != nil {
		rc.Err = err.Error()
		return rc
	}
	for h := 0; h < H; h++ {
		a, e := h*T*d, (h+1)*T*d
		if kind == "linear" {
			ttt.LinearAttention(want[a:e], Q[a:e], K[a:e], V[a:e], T, d)
		} else {
			ttt.SoftmaxAttention(want[a:e], Q[a:e], K[a:e], V[a:e], T, d)
		}
	}
	return compareCase(rc, appendF(nil, Z...), appendF(nil, want...))
}

func appendF(dst []float64, x ...float32) []float64 {
	for _, v := range x {
		dst = append(dst, float64(v))
	}
	return dst
}

func compareCase(rc report.Case, got, want []float64) report.Case {
	d := ttt.CompareArray(rc.Name, got, want, ttt.AbsTol, ttt.RelTol)
	rc.Arrays, rc.MaxAbs, rc.OK = 1, d.MaxAbs, d.OK()
	if !d.OK() {
		rc.Err = d.String()
	}
	return rc
}

// lost destroys a second device and checks that the backend says so.
func lost(r *report.Report) {
	be, err := gpu.New()
	if err != nil {
		r.Lost = "no second device: " + err.Error()
		return
	}
	defer be.Close()
	in := []ttt.HeadInput{ttt.RandomProblem(ttt.Linear, 20, 8, 16, 1).Input()}
	if _, err := be.Run(ttt.Dual, in); err != nil {
		r.Lost = "before the loss: " + err.Error()
		return
	}
	be.Destroy()
	_, err = be.Run(ttt.Dual, in)
	if err == nil {
		r.Lost = "Run on a destroyed device returned no error"
		return
	}
	r.Lost = err.Error()
	r.LostOK = errors.Is(err, gpu.ErrDeviceLost)
}

// race times the speed race on this browser's WebGPU and on the cpu backend.
func race(r *report.Report, be *gpu.Backend) {
	const T, d, H = 2048, 64, 4
	for _, b := range []ttt.Backend{be, ttt.CPU{}} {
		for _, f := range []ttt.Form{ttt.Naive, ttt.Primal, ttt.Dual} {
			bs := 16
			if f == ttt.Naive {
				bs = 1
			}
			in := make([]ttt.HeadInput, H)
			for h := range in {
				in[h] = ttt.RandomProblem(ttt.Linear, T, d, bs, uint64(1+h)).Input()
			}
			row := report.Bench{Backend: b.Name(), Form: f.String(), T: T, D: d, Heads: H, B: bs}
			if _, err := b.Run(f, in); err != nil { // warm-up
				row.Err = err.Error()
				r.Bench = append(r.Bench, row)
				continue
			}
			s0 := be.Stats()
			var times []float64
			for range 3 {
				start := time.Now()
				if _, err := b.Run(f, in); err != nil {
					row.Err = err.Error()
					break
				}
				times = append(times, time.Since(start).Seconds())
			}
			s1 := be.Stats()
			if len(times) == 3 {
				slices.Sort(times)
				row.MedianMS = times[1] * 1e3
				row.TokensPerS = float64(T) / times[1]
				row.Runs = 3
				if b == be {
					row.SubmitsPerRun = float64(s1.Submits-s0.Submits) / 3
					row.ReadbacksPerRun = float64(s1.Readbacks-s0.Readbacks) / 3
				}
			}
			r.Bench = append(r.Bench, row)
		}
	}
	// One stream step of 4 heads, d = 64, b = 16.
	hs := make([]*ttt.Head, H)
	w0 := make([]*ttt.Weights, H)
	for h := range hs {
		p := ttt.RandomProblem(ttt.Linear, 1, d, 16, uint64(1+h))
		hs[h], w0[h] = &p.Head, p.W0
	}
	st, err := be.NewStream(hs, w0)
	if err != nil {
		r.Bench = append(r.Bench, report.Bench{Backend: "gpu", Form: "stream step", Err: err.Error()})
		return
	}
	defer st.Close()
	q := make([]float32, H*d)
	for i := range q {
		q[i] = float32(i%7) * 0.1
	}
	lr := []float32{0.01, 0.01, 0.01, 0.01}
	z := make([]float32, H*d)
	losses := make([]ttt.Losses, H)
	var times []float64
	for range 41 {
		start := time.Now()
		if err := st.Step(z, losses, q, q, q, lr); err != nil {
			r.Bench = append(r.Bench, report.Bench{Backend: "gpu", Form: "stream step", Err: err.Error()})
			return
		}
		times = append(times, time.Since(start).Seconds())
	}
	slices.Sort(times)
	r.Bench = append(r.Bench, report.Bench{Backend: "gpu", Form: "stream step", T: 1, D: d, Heads: H, B: 16, Runs: len(times), MedianMS: times[len(times)/2] * 1e3, TokensPerS: 1 / times[len(times)/2], SubmitsPerRun: 1, ReadbacksPerRun: 1})
}
