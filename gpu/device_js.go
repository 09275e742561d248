//go:build js

package gpu

import (
	"errors"
	"fmt"
	"strings"
	"syscall/js"
	"unsafe"

	"github.com/cogentcore/webgpu/jsx"
	"github.com/cogentcore/webgpu/wgpu"
)

// device is one WebGPU device of the page (navigator.gpu) and its queue. The
// adapter and device are requested here rather than through wgpu, so that
// the adapter's info, the device's lost promise and its error scopes are at
// hand; wgpu.NewDevice then wraps the same device.
type device struct {
	dev   *wgpu.Device
	queue *wgpu.Queue
	js    js.Value // the GPUDevice
	name  string
	lost  string
}

func openDevice() (d *device, err error) {
	defer func() {
		if r := recover(); r != nil {
			d, err = nil, fmt.Errorf("gpu: WebGPU failed while starting: %v", r)
		}
	}()
	gpu := js.Global().Get("navigator").Get("gpu")
	if !gpu.Truthy() {
		return nil, fmt.Errorf("%w: this browser has no navigator.gpu (WebGPU is off or unsupported)", ErrNoAdapter)
	}
	a, ok := jsx.Await(gpu.Call("requestAdapter"))
	if !ok || !a.Truthy() {
		return nil, fmt.Errorf("%w: navigator.gpu.requestAdapter() returned no adapter", ErrNoAdapter)
	}
	name := "WebGPU"
	if info := a.Get("info"); info.Truthy() {
		name = strings.TrimSpace(info.Get("vendor").String() + " " + info.Get("architecture").String())
		if desc := info.Get("description").String(); desc != "" {
			name += " (" + desc + ")"
		}
		if a.Get("isFallbackAdapter").Truthy() || info.Get("isFallbackAdapter").Truthy() {
			name += ", fallback adapter"
		}
	}
	dv, ok := jsx.Await(a.Call("requestDevice"))
	if !ok || !dv.Truthy() {
		return nil, fmt.Errorf("gpu: the adapter %q gave no device", name)
	}
	w := wgpu.NewDevice(dv)
	d = &device{dev: &w, queue: w.GetQueue(), js: dv, name: name}
	dv.Get("lost").Call("then", js.FuncOf(func(_ js.Value, args []js.Value) any {
		msg := "device lost"
		if len(args) > 0 && args[0].Truthy() {
			msg = fmt.Sprintf("device lost (%s): %s", args[0].Get("reason").String(), args[0].Get("message").String())
		}
		d.lost = msg
		return nil
	}))
	return d, nil
}

func (d *device) release() {
	if d.dev == nil {
		return
	}
	d.js.Call("destroy")
	d.dev = nil
}

func (d *device) lostErr() error {
	if d.dev == nil {
		return errors.New("gpu: the backend is closed")
	}
	if d.lost != "" {
		return fmt.Errorf("%w: %s", ErrDeviceLost, d.lost)
	}
	return nil
}

func (d *device) pushScopes() {
	for _, f := range []string{"out-of-memory", "validation"} {
		d.js.Call("pushErrorScope", f)
	}
}

func (d *device) popScopes() error {
	var first error
	for range 2 {
		e, ok := jsx.Await(d.js.Call("popErrorScope"))
		if !ok {
			if first == nil {
				first = errors.New("gpu: popErrorScope was rejected")
			}
			continue
		}
		if e.Truthy() && first == nil {
			first = fmt.Errorf("gpu: %s: %s", e.Get("constructor").Get("name").String(), e.Get("message").String())
		}
	}
	return first
}

// destroy destroys the device; the browser then resolves device.lost, which
// is how the loss is noticed.
func (d *device) destroy() { d.js.Call("destroy") }

// awaitLost waits up to ms milliseconds for device.lost to resolve, so that
// a failed call can tell a lost device from another failure.
func (d *device) awaitLost(ms int) error {
	if err := d.lostErr(); err != nil {
		return err
	}
	start := js.FuncOf(func(_ js.Value, args []js.Value) any {
		js.Global().Call("setTimeout", args[0], ms)
		return nil
	})
	defer start.Release()
	timeout := js.Global().Get("Promise").New(start)
	jsx.Await(js.Global().Get("Promise").Call("race", []any{d.js.Get("lost"), timeout}))
	return d.lostErr()
}

func (d *device) endPass(p *wgpu.ComputePassEncoder) error {
	p.End()
	p.Release()
	return nil
}

func (d *device) submit(cb *wgpu.CommandBuffer) { d.queue.Submit(cb) }

// dropBuffer destroys a buffer that is being replaced: in the browser Release
// does nothing, and a GPUBuffer's memory otherwise waits for the JS collector.
func (d *device) dropBuffer(b *wgpu.Buffer) { b.Destroy() }

// writeBuffer copies data into a fresh JS Uint8Array and hands that to
// queue.writeBuffer. wgpu's own WriteBuffer passes a view of the wasm memory
// instead, which Go can detach by growing the memory before the call lands
// ("Number of bytes to write is too large" in a long-running page).
func (d *device) writeBuffer(buf *wgpu.Buffer, off uint64, data []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("queue.writeBuffer: %v", r)
		}
	}()
	if len(data) == 0 {
		return nil
	}
	src := js.Global().Get("Uint8Array").New(len(data))
	js.CopyBytesToJS(src, data)
	// wgpu.Buffer is struct{ jsValue js.Value } on the web: its GPUBuffer.
	gb := *(*js.Value)(unsafe.Pointer(buf))
	d.js.Get("queue").Call("writeBuffer", gb, off, src)
	return nil
}

// read maps the staging buffer (MapAsync waits on the promise here), copies
// size bytes out and unmaps it. A rejected map leaves getMappedRange to throw:
// that comes back as an error.
func (d *device) read(stage *wgpu.Buffer, size uint64) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			if e := d.awaitLost(200); e != nil {
				out, err = nil, e
				return
			}
			out, err = nil, fmt.Errorf("gpu: reading back: %v", r)
		}
	}()
	if err := stage.MapAsync(wgpu.MapModeRead, 0, size, func(wgpu.BufferMapAsyncStatus) {}); err != nil {
		return nil, err
	}
	out = stage.GetMappedRange(0, uint(size))
	if uint64(len(out)) != size {
		return nil, fmt.Errorf("gpu: read %d bytes back, want %d", len(out), size)
	}
	stage.Unmap()
	return out, nil
}
