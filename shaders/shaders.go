// Package shaders holds the WGSL compute kernels of the TTT layers, one op
// per file, each opening with what it computes, its bindings, its dispatch
// shape and its CPU twin in package ttt. Every kernel is compiled with
// common.wgsl (the shared Params uniform, bindings and LayerNorm helpers)
// in front of it, except the language model's (lm_*.wgsl: the rest of
// lm.Stream's forward around the heads), which have lm_common.wgsl, their
// own uniform and bindings, in front of them instead.
package shaders

import (
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strings"
)

//go:embed *.wgsl
var files embed.FS

// Common is the name of the prelude that Source puts in front of every
// kernel but the language model's; LMCommon is theirs.
const (
	Common   = "common"
	LMCommon = "lm_common"
)

// Kernel names, one per .wgsl file.
const (
	DualLinear    = "dual_linear"
	DualMLP       = "dual_mlp"
	PrimalLinear  = "primal_linear"
	PrimalMLP     = "primal_mlp"
	NaiveLinear   = "naive_linear"
	NaiveMLP      = "naive_mlp"
	StreamLinear  = "stream_linear"
	StreamMLP     = "stream_mlp"
	LossW0Linear  = "loss_w0_linear"
	LossW0MLP     = "loss_w0_mlp"
	AttnLinear    = "attn_linear"
	AttnSoftmax   = "attn_softmax"
	BareDual      = "bare_dual"
	BarePrimal    = "bare_primal"
	LMMixIn       = "lm_mix_in"  // embedding, pre_conv, RMSNorm, θ_Q θ_K θ_V (or share_qk), RoPE, η gate
	LMMixOut      = "lm_mix_out" // post-norm, θ_O, residual, RMSNorm, SwiGLU FFN, residual
	LMReadout     = "lm_readout" // final RMSNorm, logits, softmax
	EntryPoint    = "main"
	WorkgroupSize = 256 // the per-head kernels' @workgroup_size
	RowGroupSize  = 64  // the per-token kernels' @workgroup_size
	MaxD          = 128 // MAXD in common.wgsl: the widest head a kernel holds in registers
)

// Names lists the kernels (every .wgsl file but the common prelude), sorted.
func Names() []string {
	ents, _ := fs.ReadDir(files, ".")
	var out []string
	for _, e := range ents {
		n := strings.TrimSuffix(e.Name(), ".wgsl")
		if n != Common && n != LMCommon {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// Raw returns the text of one .wgsl file as it is stored.
func Raw(name string) (string, error) {
	b, err := files.ReadFile(name + ".wgsl")
	if err != nil {
		return "", fmt.Errorf("shaders: no kernel %q", name)
	}
	return string(b), nil
}

// IsLM reports whether a kernel is one of the language model's, compiled
// behind lm_common.wgsl with its own bind group layout.
func IsLM(name string) bool { return strings.HasPrefix(name, "lm_") }

// Prelude is the prelude Source puts in front of a kernel.
func Prelude(name string) string {
	if IsLM(name) {
		return LMCommon
	}
	return Common
}

// Source returns the full WGSL of a kernel: its prelude (common.wgsl or
// lm_common.wgsl), then the kernel.
func Source(name string) (string, error) {
	if name == Common || name == LMCommon {
		return "", fmt.Errorf("shaders: %q is a prelude, not a kernel", name)
	}
	k, err := Raw(name)
	if err != nil {
		return "", err
	}
	c, err := Raw(Prelude(name))
	if err != nil {
		return "", err
	}
	return c + "\n" + k, nil
}
