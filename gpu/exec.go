package gpu

import (
	"fmt"
	"unsafe"

	"github.com/cogentcore/webgpu/wgpu"

	"tttexplainer/shaders"
)

// The buffers of the shared bind group layout, in binding order, then the
// staging buffer that carries every result back in one map.
const (
	bufUni = iota
	bufSeq
	bufHP
	bufW0
	bufSt
	bufScr
	bufOut
	bufStage
	nbufs
)

var bufNames = [nbufs]string{"uniforms", "seq", "hp", "w0", "state", "scratch", "out", "staging"}

var bufUsage = [nbufs]wgpu.BufferUsage{
	wgpu.BufferUsageUniform | wgpu.BufferUsageCopyDst,
	wgpu.BufferUsageStorage | wgpu.BufferUsageCopyDst | wgpu.BufferUsageCopySrc, // CopySrc: LMStream reads back the head inputs lm_mix_in wrote
	wgpu.BufferUsageStorage | wgpu.BufferUsageCopyDst,
	wgpu.BufferUsageStorage | wgpu.BufferUsageCopyDst,
	wgpu.BufferUsageStorage | wgpu.BufferUsageCopyDst | wgpu.BufferUsageCopySrc,
	wgpu.BufferUsageStorage,
	wgpu.BufferUsageStorage | wgpu.BufferUsageCopyDst | wgpu.BufferUsageCopySrc,
	wgpu.BufferUsageMapRead | wgpu.BufferUsageCopyDst,
}

// Limits the backend keeps to: WebGPU's defaults, so that any adapter runs it.
const (
	maxBindingBytes = 128 << 20 // maxStorageBufferBindingSize
	maxWorkgroups   = 65535     // maxComputeWorkgroupsPerDimension
)

// workspace is a set of buffers and the bind group over them. Buffers grow
// and are then reused; the bind group is rebuilt only when one is replaced.
type workspace struct {
	be   *Backend
	bufs [nbufs]*wgpu.Buffer
	caps [nbufs]uint64
	bg   *wgpu.BindGroup
}

// ensure makes buffer i hold at least n bytes.
func (w *workspace) ensure(i int, n uint64) error {
	n = max(256, (n+255)&^255)
	if i != bufUni && i != bufStage && n > maxBindingBytes {
		return fmt.Errorf("gpu: this problem needs %d MiB in the %s buffer, more than WebGPU's default binding limit of %d MiB: use fewer tokens or heads", n>>20, bufNames[i], maxBindingBytes>>20)
	}
	if w.caps[i] >= n {
		return nil
	}
	// Grow by at least half, so that a run of growing problems reallocates
	// rarely.
	n = max(n, (w.caps[i]+w.caps[i]/2+255)&^255)
	if i != bufUni && i != bufStage {
		n = min(n, maxBindingBytes)
	}
	if w.bufs[i] != nil {
		w.be.d.dropBuffer(w.bufs[i])
		w.bufs[i] = nil
		w.caps[i] = 0
	}
	if w.bg != nil {
		w.bg.Release()
		w.bg = nil
	}
	buf, err := w.be.d.dev.CreateBuffer(&wgpu.BufferDescriptor{Label: "ttt " + bufNames[i], Size: n, Usage: bufUsage[i]})
	if err != nil {
		return fmt.Errorf("gpu: creating the %d-byte %s buffer: %v", n, bufNames[i], err)
	}
	w.bufs[i], w.caps[i] = buf, n
	return nil
}

func (w *workspace) bindGroup() (*wgpu.BindGroup, error) {
	if w.bg != nil {
		return w.bg, nil
	}
	entries := make([]wgpu.BindGroupEntry, 0, bufOut+1)
	for i := bufUni; i <= bufOut; i++ {
		if err := w.ensure(i, 256); err != nil {
			return nil, err
		}
		size := w.caps[i]
		if i == bufUni {
			size = paramsSize // one slot; the dynamic offset picks which
		}
		entries = append(entries, wgpu.BindGroupEntry{Binding: uint32(i), Buffer: w.bufs[i], Offset: 0, Size: size})
	}
	bg, err := w.be.d.dev.CreateBindGroup(&wgpu.BindGroupDescriptor{Label: "ttt", Layout: w.be.bgl, Entries: entries})
	if err != nil {
		return nil, fmt.Errorf("gpu: creating the bind group: %v", err)
	}
	w.bg = bg
	return bg, nil
}

func (w *workspace) release() {
	if w.bg != nil {
		w.bg.Release()
		w.bg = nil
	}
	for i, b := range w.bufs {
		if b != nil {
			b.Destroy()
			b.Release()
			w.bufs[i], w.caps[i] = nil, 0
		}
	}
}

// write uploads floats to buffer i at float offset off.
func (w *workspace) write(i, off int, f []float32) error {
	if len(f) == 0 {
		return nil
	}
	if err := w.be.d.writeBuffer(w.bufs[i], uint64(off)*4, f32bytes(f)); err != nil {
		return fmt.Errorf("gpu: writing the %s buffer: %v", bufNames[i], err)
	}
	return nil
}

// writeGuards fills the given float ranges of buffer i with guard words.
func (w *workspace) writeGuards(i int, ranges [][2]int) error {
	for _, r := range ranges {
		g := make([]uint32, r[1]-r[0])
		for j := range g {
			g[j] = guardWord
		}
		if err := w.be.d.writeBuffer(w.bufs[i], uint64(r[0])*4, u32bytes(g)); err != nil {
			return fmt.Errorf("gpu: writing guards into the %s buffer: %v", bufNames[i], err)
		}
	}
	return nil
}

func f32bytes(f []float32) []byte { return unsafe.Slice((*byte)(unsafe.Pointer(&f[0])), 4*len(f)) }
func u32bytes(f []uint32) []byte  { return unsafe.Slice((*byte)(unsafe.Pointer(&f[0])), 4*len(f)) }

// dispatch is one kernel launch with its own uniform slot.
type dispatch struct {
	kernel string
	p      Params
	groups int
}

// readReq asks for the first floats of buffer buf to come back.
type readReq struct {
	buf, floats int
}

// run records every dispatch into one compute pass of one command encoder,
// copies the requested buffers into the staging buffer, submits once and
// reads back once. It returns the floats of each request in order.
func (w *workspace) run(steps []dispatch, reads []readReq) ([][]uint32, error) {
	be := w.be
	if err := be.d.lostErr(); err != nil {
		return nil, err
	}
	if err := w.ensure(bufUni, uint64(len(steps))*slotSize); err != nil {
		return nil, err
	}
	stage := 0
	for _, r := range reads {
		stage += r.floats
	}
	if err := w.ensure(bufStage, uint64(stage)*4); err != nil {
		return nil, err
	}
	pipes := make([]*wgpu.ComputePipeline, len(steps))
	for i, s := range steps {
		p, err := be.pipeline(s.kernel)
		if err != nil {
			return nil, err
		}
		if s.groups < 1 || s.groups > maxWorkgroups {
			return nil, fmt.Errorf("gpu: %s needs %d workgroups, want 1..%d", s.kernel, s.groups, maxWorkgroups)
		}
		pipes[i] = p
	}
	bg, err := w.bindGroup()
	if err != nil {
		return nil, err
	}
	uni := make([]byte, len(steps)*slotSize)
	rec := make([]passStep, len(steps))
	for i := range steps {
		steps[i].p.put(uni[i*slotSize:])
		rec[i] = passStep{pipes[i], bg, uint32(i * slotSize), steps[i].groups}
	}
	copies := make([]copyReq, len(reads))
	for i, r := range reads {
		copies[i] = copyReq{w.bufs[r.buf], bufNames[r.buf], r.floats}
	}
	// A readback alone (Stream.Weights) has no uniforms; the browser's
	// WriteBuffer panics on an empty slice (roundTrip skips empty writes).
	return be.roundTrip([]bufWrite{{w.bufs[bufUni], "uniforms", uni}}, rec, copies, w.bufs[bufStage])
}

// passStep is one dispatch of a recorded compute pass: its pipeline, its
// bind group with the dynamic offset of its uniform slot, its workgroups.
type passStep struct {
	pipe   *wgpu.ComputePipeline
	bg     *wgpu.BindGroup
	offset uint32
	groups int
}

// bufWrite uploads bytes to the start of a buffer before the pass runs.
type bufWrite struct {
	buf  *wgpu.Buffer
	name string
	data []byte
}

// copyReq asks for the first floats of a buffer to come back.
type copyReq struct {
	buf    *wgpu.Buffer
	name   string
	floats int
}

// roundTrip is one GPU round trip: it writes the uniforms, records every
// step into one compute pass of one command encoder, copies the requested
// buffers one after another into the staging buffer, submits once and
// reads back once. It returns the floats of each copy in order. The caller
// holds be.mu and has made stage large enough.
func (be *Backend) roundTrip(writes []bufWrite, steps []passStep, copies []copyReq, stage *wgpu.Buffer) ([][]uint32, error) {
	floats := 0
	for _, c := range copies {
		floats += c.floats
	}
	be.d.pushScopes()
	err := func() error {
		for _, w := range writes {
			if len(w.data) == 0 {
				continue
			}
			if err := be.d.writeBuffer(w.buf, 0, w.data); err != nil {
				return fmt.Errorf("gpu: writing the %s: %v", w.name, err)
			}
		}
		enc, err := be.d.dev.CreateCommandEncoder(&wgpu.CommandEncoderDescriptor{Label: "ttt"})
		if err != nil {
			return fmt.Errorf("gpu: creating a command encoder: %v", err)
		}
		defer enc.Release()
		pass := enc.BeginComputePass(nil)
		var last *wgpu.ComputePipeline
		for _, s := range steps {
			if s.pipe != last {
				pass.SetPipeline(s.pipe)
				last = s.pipe
			}
			pass.SetBindGroup(0, s.bg, []uint32{s.offset})
			pass.DispatchWorkgroups(uint32(s.groups), 1, 1)
		}
		if err := be.d.endPass(pass); err != nil {
			return fmt.Errorf("gpu: recording the compute pass: %v", err)
		}
		off := uint64(0)
		for _, c := range copies {
			if err := enc.CopyBufferToBuffer(c.buf, 0, stage, off, uint64(c.floats)*4); err != nil {
				return fmt.Errorf("gpu: copying the %s buffer for readback: %v", c.name, err)
			}
			off += uint64(c.floats) * 4
		}
		cmd, err := enc.Finish(nil)
		if err != nil {
			return fmt.Errorf("gpu: finishing the command buffer: %v", err)
		}
		defer cmd.Release()
		be.d.submit(cmd)
		be.stats.Submits++
		return nil
	}()
	// Read back before popping the error scopes: in the browser each pop is a
	// promise that would otherwise cost a round trip of its own before the map.
	var raw []byte
	if err == nil {
		raw, err = be.d.read(stage, uint64(floats)*4)
		if err == nil {
			be.stats.Readbacks++
		}
	}
	if perr := be.d.popScopes(); perr != nil {
		err = perr // the scope's message says what went wrong first
	}
	if err != nil {
		if lerr := be.d.lostErr(); lerr != nil {
			return nil, lerr
		}
		return nil, err
	}
	all := unsafe.Slice((*uint32)(unsafe.Pointer(&raw[0])), floats)
	out := make([][]uint32, len(copies))
	off := 0
	for i, c := range copies {
		out[i] = all[off : off+c.floats]
		off += c.floats
	}
	return out, nil
}

// pipeline returns the compiled kernel, compiling it on first use.
func (be *Backend) pipeline(name string) (*wgpu.ComputePipeline, error) {
	if p := be.pipes[name]; p != nil {
		return p, nil
	}
	src, err := shaders.Source(name)
	if err != nil {
		return nil, err
	}
	pl := be.pl
	if shaders.IsLM(name) {
		if pl, err = be.lmLayouts(); err != nil {
			return nil, err
		}
	}
	be.d.pushScopes()
	mod, err := be.d.dev.CreateShaderModule(&wgpu.ShaderModuleDescriptor{Label: name, WGSLDescriptor: &wgpu.ShaderModuleWGSLDescriptor{Code: src}})
	var p *wgpu.ComputePipeline
	if err == nil {
		p, err = be.d.dev.CreateComputePipeline(&wgpu.ComputePipelineDescriptor{
			Layout:  pl,
			Compute: wgpu.ProgrammableStageDescriptor{Module: mod, EntryPoint: shaders.EntryPoint},
		})
		mod.Release()
	}
	if perr := be.d.popScopes(); err == nil {
		err = perr
	}
	if err != nil {
		return nil, fmt.Errorf("gpu: compiling %s.wgsl: %v", name, err)
	}
	be.pipes[name] = p
	return p, nil
}

func f32s(u []uint32) []float32 { return unsafe.Slice((*float32)(unsafe.Pointer(&u[0])), len(u)) }
