package demo

import (
	"tttexplainer/gpu"
	"tttexplainer/lm"
	"tttexplainer/ttt"
)

// GPUDevice is the reader's GPU through WebGPU (package gpu): the same
// forms as WGSL kernels.
type GPUDevice struct{ *gpu.Backend }

// Name is "webgpu", the name the page and its API give this backend.
func (g GPUDevice) Name() string { return "webgpu" }

// NewStream starts a gpu.Stream: one dispatch, one submit and one small
// readback per token for all heads.
func (g GPUDevice) NewStream(heads []*ttt.Head, W0 []*ttt.Weights) (lm.HeadStream, error) {
	return g.Backend.NewStream(heads, W0)
}

// NewOptStream starts a gpu.Stream with an inner optimiser (its moments on the device).
func (g GPUDevice) NewOptStream(heads []*ttt.Head, W0 []*ttt.Weights, o ttt.Opt) (lm.HeadStream, error) {
	return g.Backend.NewOptStream(heads, W0, o)
}

// NewModelStream starts a gpu.LMStream: the whole language model on the
// device, one submit and one readback per character (LMRun's path on the GPU).
func (g GPUDevice) NewModelStream(m *lm.Model) (ModelStream, error) {
	return g.Backend.NewLMStream(m)
}

// OpenWebGPU opens the default adapter (gpu.Open). Any failure (no
// WebGPU, no adapter) is the reason the page gives for running on the CPU.
// The kernels are self-tested one (model, form) at a time, when a run
// first needs them (gpu.Backend.SelfTestForm).
func OpenWebGPU() (Device, string, error) {
	be, msg, err := gpu.Open()
	if err != nil {
		return nil, "", err
	}
	return GPUDevice{be}, msg, nil
}
