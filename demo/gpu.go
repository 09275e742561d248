package demo

import (
	"tttexplainer/gpu"
	"tttexplainer/ttt"
)

// GPUDevice is the reader's GPU through WebGPU (package gpu): the same
// forms as WGSL kernels.
type GPUDevice struct{ *gpu.Backend }

// Name is "webgpu", the name the page and its API give this backend.
func (g GPUDevice) Name() string { return "webgpu" }

// NewStream starts a gpu.Stream: one dispatch, one submit and one small
// readback per token for all heads.
func (g GPUDevice) NewStream(heads []*ttt.Head, W0 []*ttt.Weights) (HeadStream, error) {
	return g.Backend.NewStream(heads, W0)
}

// OpenWebGPU opens the default adapter and runs the GPU self-test against
// the CPU. Any failure (no WebGPU, no adapter, a mismatch) is the reason
// the page gives for running on the CPU.
func OpenWebGPU() (Device, string, error) {
	be, err := gpu.New()
	if err != nil {
		return nil, "", err
	}
	msg, err := be.SelfTest()
	if err != nil {
		be.Close()
		return nil, "", err
	}
	return GPUDevice{be}, msg, nil
}
