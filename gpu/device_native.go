//go:build !js

package gpu

/*
#include <stdint.h>
#include <stdlib.h>

// The few wgpu-native entry points that cogentcore/webgpu does not wrap.
// They live in the libwgpu_native.a that the wgpu package links. The enums
// are 32-bit in webgpu.h (…_Force32 = 0x7FFFFFFF).
typedef struct WGPUDeviceImpl* WGPUDevice;
typedef void (*WGPUErrorCallback)(uint32_t type, char const * message, void * userdata);
void wgpuDevicePushErrorScope(WGPUDevice device, uint32_t filter);
void wgpuDevicePopErrorScope(WGPUDevice device, WGPUErrorCallback callback, void * userdata);
void wgpuDeviceDestroy(WGPUDevice device);

// wgpu.CreateInstance fills its WGPUInstanceExtras from an uninitialised
// malloc, so gles3MinorVersion is garbage and wgpu-native aborts on a second
// instance ("Unknown gles3 minor version"). The instance is made here instead,
// zeroed, with the Vulkan backend forced (WGPUInstanceBackend_Vulkan = 1).
typedef struct TTTChained { struct TTTChained const * next; uint32_t sType; } TTTChained;
typedef struct TTTInstanceExtras {
	TTTChained chain;
	uint32_t backends, flags, dx12ShaderCompiler, gles3MinorVersion;
	char const * dxilPath;
	char const * dxcPath;
} TTTInstanceExtras;
typedef struct TTTInstanceDescriptor { TTTChained const * nextInChain; } TTTInstanceDescriptor;
typedef struct WGPUInstanceImpl* WGPUInstance;
WGPUInstance wgpuCreateInstance(TTTInstanceDescriptor const * descriptor);

static inline WGPUInstance ttt_create_vulkan_instance(void) {
	TTTInstanceExtras ex = {0};
	ex.chain.sType = 0x00030006; // WGPUSType_InstanceExtras
	ex.backends = 1;
	TTTInstanceDescriptor desc = { &ex.chain };
	return wgpuCreateInstance(&desc);
}

extern void tttScopeCallback(uint32_t type, char * message, void * userdata);

// Mapping for readback. wgpu's MapAsync hands wgpu-native a pointer to a Go
// variable that the callback reads later, after Go may have freed it; here
// the status lands in C memory instead (status + 1, so 0 means pending).
typedef struct WGPUBufferImpl* WGPUBuffer;
typedef void (*WGPUBufferMapAsyncCallback)(uint32_t status, void * userdata);
void wgpuBufferMapAsync(WGPUBuffer buffer, uint32_t mode, size_t offset, size_t size, WGPUBufferMapAsyncCallback callback, void * userdata);

static void ttt_map_callback(uint32_t status, void * userdata) {
	*(volatile int32_t *)userdata = (int32_t)status + 1;
}

static inline void ttt_map_read(WGPUBuffer buffer, size_t size, int32_t * status) {
	*status = 0;
	wgpuBufferMapAsync(buffer, 1, 0, size, ttt_map_callback, status); // WGPUMapMode_Read = 1
}

static inline void ttt_pop_scope(WGPUDevice device) {
	wgpuDevicePopErrorScope(device, (WGPUErrorCallback)tttScopeCallback, NULL);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/cogentcore/webgpu/wgpu"
)

// device is one WebGPU device and its queue, with the error plumbing that
// turns every failure into a Go error.
type device struct {
	mapStatus *C.int32_t // C memory: where the readback's map status lands
	dev       *wgpu.Device
	queue     *wgpu.Queue
	adapter   *wgpu.Adapter
	inst      *wgpu.Instance
	name      string       // the adapter, as its driver describes it
	lost      atomic.Value // string: why the device was lost, once it is
}

// openDevice asks for a Vulkan adapter. The Vulkan backend is forced: the
// default all-backends instance can abort the process inside CreateInstance
// when EGL is broken.
func openDevice() (d *device, err error) {
	defer func() {
		if r := recover(); r != nil {
			d, err = nil, fmt.Errorf("gpu: starting WebGPU failed: %v", r)
		}
	}()
	ref := C.ttt_create_vulkan_instance()
	if ref == nil {
		return nil, fmt.Errorf("%w: wgpu-native made no Vulkan instance", ErrNoAdapter)
	}
	// wgpu.Instance is struct{ ref C.WGPUInstance }: set its only word.
	inst := new(wgpu.Instance)
	*(*C.WGPUInstance)(unsafe.Pointer(inst)) = ref
	adapter, err := inst.RequestAdapter(&wgpu.RequestAdapterOptions{PowerPreference: wgpu.PowerPreferenceHighPerformance})
	if err != nil || adapter == nil {
		inst.Release()
		return nil, fmt.Errorf("%w: no Vulkan adapter (%v); install a Vulkan driver, e.g. Mesa's lavapipe (Debian: mesa-vulkan-drivers)", ErrNoAdapter, err)
	}
	info := adapter.GetInfo()
	d = &device{inst: inst, adapter: adapter, name: adapterName(info)}
	d.lost.Store("")
	// No DeviceLostCallback: cogentcore/webgpu v0.23.0 passes it to C in a way
	// that cgo's pointer check rejects. A lost device shows up instead as a
	// failed map (BufferMapAsyncStatusDeviceLost) or a device-lost error in
	// the scopes, and both mark the device lost.
	dev, err := adapter.RequestDevice(&wgpu.DeviceDescriptor{Label: "ttt"})
	if err != nil {
		adapter.Release()
		inst.Release()
		return nil, fmt.Errorf("gpu: the adapter %q gave no device: %v", d.name, err)
	}
	d.dev = dev
	d.queue = dev.GetQueue()
	d.mapStatus = (*C.int32_t)(C.malloc(C.size_t(unsafe.Sizeof(C.int32_t(0)))))
	return d, nil
}

func adapterName(info wgpu.AdapterInfo) string {
	s := info.DriverDescription // lavapipe: "llvmpipe (LLVM 15.0.6, 256 bits)"
	if s == "" {
		s = info.Name
	}
	return fmt.Sprintf("%s; %v adapter, %v", s, info.AdapterType, info.BackendType)
}

func (d *device) release() {
	if d.dev == nil {
		return
	}
	d.queue.Release()
	d.dev.Release()
	d.adapter.Release()
	d.inst.Release()
	C.free(unsafe.Pointer(d.mapStatus))
	d.dev, d.mapStatus = nil, nil
}

func (d *device) ref() C.WGPUDevice {
	// wgpu.Device is struct{ ref C.WGPUDevice }: its first word is the handle.
	return *(*C.WGPUDevice)(unsafe.Pointer(d.dev))
}

// lostErr reports a lost device, or nil.
func (d *device) lostErr() error {
	if d.dev == nil {
		return errors.New("gpu: the backend is closed")
	}
	if s := d.lost.Load().(string); s != "" {
		return fmt.Errorf("%w: %s", ErrDeviceLost, s)
	}
	return nil
}

// Error scopes. wgpu-native treats an error outside any scope as fatal and
// aborts the process, so every command the backend records runs inside
// validation and out-of-memory scopes, popped in reverse.
var (
	scopeMu    sync.Mutex
	scopeErr   []string
	scopeTypes []uint32
)

//export tttScopeCallback
func tttScopeCallback(typ C.uint32_t, message *C.char, _ unsafe.Pointer) {
	if typ != 0 { // WGPUErrorType_NoError
		scopeTypes = append(scopeTypes, uint32(typ))
		scopeErr = append(scopeErr, fmt.Sprintf("%s error: %s", errorTypeName(uint32(typ)), C.GoString(message)))
	}
}

func errorTypeName(t uint32) string {
	switch t {
	case 1:
		return "validation"
	case 2:
		return "out-of-memory"
	case 3:
		return "internal"
	case 5:
		return "device-lost"
	}
	return "unknown"
}

func (d *device) pushScopes() {
	// This wgpu-native aborts on the internal filter ("invalid error filter"),
	// so two scopes: out-of-memory, then validation.
	for _, f := range []C.uint32_t{1, 0} {
		C.wgpuDevicePushErrorScope(d.ref(), f)
	}
}

func (d *device) popScopes() error {
	scopeMu.Lock()
	defer scopeMu.Unlock()
	scopeErr, scopeTypes = scopeErr[:0], scopeTypes[:0]
	for range 2 {
		C.ttt_pop_scope(d.ref())
	}
	for i, t := range scopeTypes {
		if t == 5 || strings.Contains(strings.ToLower(scopeErr[i]), "lost") {
			d.lost.Store(scopeErr[i])
		}
	}
	if len(scopeErr) > 0 {
		return fmt.Errorf("gpu: %s", scopeErr[0])
	}
	return nil
}

// destroy loses the device on purpose (tests of the lost-device path). This
// wgpu-native on lavapipe keeps executing after wgpuDeviceDestroy and reports
// nothing, so the loss is recorded here as the map status or a scope would.
func (d *device) destroy() {
	C.wgpuDeviceDestroy(d.ref())
	d.lost.Store("device destroyed")
}

func (d *device) endPass(p *wgpu.ComputePassEncoder) error {
	err := p.End()
	p.Release() // natively the pass must be released before Finish
	return err
}

func (d *device) submit(cb *wgpu.CommandBuffer) { d.queue.Submit(cb) }

// dropBuffer lets go of a buffer that is being replaced. Natively it is only
// released, not destroyed: wgpu frees it once no submitted work or bind group
// uses it.
func (d *device) dropBuffer(b *wgpu.Buffer) { b.Release() }

func (d *device) writeBuffer(buf *wgpu.Buffer, off uint64, data []byte) error {
	if len(data) == 0 {
		return nil
	}
	return d.queue.WriteBuffer(buf, off, data)
}

// read maps the staging buffer, copies size bytes out and unmaps it.
func (d *device) read(stage *wgpu.Buffer, size uint64) ([]byte, error) {
	// wgpu.Buffer is struct{ deviceRef C.WGPUDevice; ref C.WGPUBuffer }.
	ref := (*[2]C.WGPUBuffer)(unsafe.Pointer(stage))[1]
	d.pushScopes()
	C.ttt_map_read(ref, C.size_t(size), d.mapStatus)
	if err := d.popScopes(); err != nil {
		return nil, fmt.Errorf("gpu: mapping the readback buffer: %v", err)
	}
	// Poll(true) waits for the queue; the map callback fires inside it. A
	// bounded loop, so that a device that never answers is an error, not a hang.
	for i := 0; i < 100 && *d.mapStatus == 0; i++ {
		d.dev.Poll(true, nil)
	}
	if *d.mapStatus == 0 {
		return nil, errors.New("gpu: the readback never completed")
	}
	status := wgpu.BufferMapAsyncStatus(*d.mapStatus - 1)
	if status == wgpu.BufferMapAsyncStatusDeviceLost {
		d.lost.Store("the readback map reported the device lost")
	}
	if status != wgpu.BufferMapAsyncStatusSuccess {
		if e := d.lostErr(); e != nil {
			return nil, e
		}
		return nil, fmt.Errorf("gpu: mapping the readback buffer failed: %v", status)
	}
	out := make([]byte, size)
	copy(out, stage.GetMappedRange(0, uint(size)))
	if err := stage.Unmap(); err != nil {
		return nil, fmt.Errorf("gpu: unmapping the readback buffer: %v", err)
	}
	return out, nil
}
