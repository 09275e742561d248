package gpu

import (
	"fmt"

	"tttexplainer/shaders"
	"tttexplainer/ttt"
)

// guard is the number of floats (256 bytes) of guard words around every array
// that a kernel writes. A kernel that writes past its array lands in a guard,
// and the readback check reports it. 256 bytes also keeps offsets aligned.
const guard = 64

// guardWord is the bit pattern of every guard float.
const guardWord = 0xDEADBEEF

// shape is the common shape of the heads of one call.
type shape struct {
	model ttt.Model
	H, T  int // heads, tokens
	d, b  int // head size, mini-batch size
	hid   int // 4d for the MLP, 0 for TTT-Linear
}

// layout places every array of one call in its buffer, in floats.
type layout struct {
	shape
	nsets                                                 int // weight sets in st
	setSize, setStride                                    int
	stFloats, w0Floats                                    int
	seqFloats, hpFloats                                   int
	scrStride                                             int
	outZ, outW0, outStart, outBefore, outAfter, outFloats int
}

func newLayout(s shape, nsets, scrStride int) *layout {
	l := &layout{shape: s, nsets: nsets, scrStride: scrStride}
	H, T, d, h := s.H, s.T, s.d, s.hid
	if s.model == ttt.MLP {
		l.setSize = H * (2*d*h + h + d)
	} else {
		l.setSize = H * (d*d + d)
	}
	l.setStride = l.setSize + guard
	l.stFloats = guard + nsets*l.setStride
	l.w0Floats = guard + l.setSize + guard
	l.seqFloats = 3*H*T*d + H*T
	l.hpFloats = 2*H*d + H*max(s.b, 1)
	l.outZ = guard
	l.outW0 = l.outZ + H*T*d + guard
	l.outStart = l.outW0 + H*T + guard
	l.outBefore = l.outStart + H*T + guard
	l.outAfter = l.outBefore + H*T + guard
	l.outFloats = l.outAfter + H*T + guard
	return l
}

// params returns the uniform for one dispatch of this layout.
func (l *layout) params(eps float32) Params {
	return Params{
		H: u32(l.H), T: u32(l.T), D: u32(l.d), B: u32(l.b), N: u32(l.b),
		Hid: u32(l.hid), SetStride: u32(l.setStride), St0: guard, W0Off: guard,
		OutZ: u32(l.outZ), OutW0: u32(l.outW0), OutStart: u32(l.outStart),
		OutBefore: u32(l.outBefore), OutAfter: u32(l.outAfter),
		ScrStride: u32(l.scrStride), Eps: eps,
	}
}

func u32(n int) uint32 { return uint32(n) }

// guards lists the [start, end) float ranges of the guards in out and st.
func (l *layout) outGuards() [][2]int {
	H, T, d := l.H, l.T, l.d
	return [][2]int{
		{0, guard},
		{l.outZ + H*T*d, l.outW0},
		{l.outW0 + H*T, l.outStart},
		{l.outStart + H*T, l.outBefore},
		{l.outBefore + H*T, l.outAfter},
		{l.outAfter + H*T, l.outFloats},
	}
}

func (l *layout) stGuards() [][2]int {
	g := [][2]int{{0, guard}}
	for k := 0; k < l.nsets; k++ {
		end := guard + k*l.setStride + l.setSize
		g = append(g, [2]int{end, end + guard})
	}
	return g
}

// checkGuards returns an error naming the first guard word that a kernel overwrote.
func checkGuards(what string, buf []uint32, ranges [][2]int) error {
	for _, r := range ranges {
		for i := r[0]; i < r[1]; i++ {
			if buf[i] != guardWord {
				return fmt.Errorf("gpu: %s: guard word %d of %s was overwritten (0x%08X): a kernel wrote out of bounds", what, i, what, buf[i])
			}
		}
	}
	return nil
}

// Scratch floats per head of each per-head kernel; each matches the layout
// in its .wgsl header.
func scratchFloats(kernel string, b, d int) int {
	h := 4 * d
	switch kernel {
	case shaders.DualLinear:
		return 5*b*d + 3*b*b
	case shaders.DualMLP:
		return 6*b*h + 5*b*d + 6*b*b
	case shaders.PrimalLinear:
		return 6*b*d + b*d*d
	case shaders.PrimalMLP:
		return 6*b*h + 5*b*d + b*(2*d*h+h+d)
	case shaders.NaiveLinear:
		return 4 * d
	case shaders.NaiveMLP:
		return 5*h + 4*d
	case shaders.StreamLinear:
		return 6 * d
	case shaders.StreamMLP:
		return 7*h + 6*d
	case shaders.BareDual:
		return 2*b*d + b*b
	case shaders.BarePrimal:
		return b*d + b*d*d
	}
	return 0
}

// packWeights writes the heads' weights into dst as one weight set.
func packWeights(dst []float32, l *layout, ws []*ttt.Weights) {
	H, d, h := l.H, l.d, l.hid
	for i, w := range ws {
		if l.model == ttt.MLP {
			copy(dst[i*d*h:], w.W1)
			copy(dst[H*d*h+i*h:], w.B1)
			copy(dst[H*d*h+H*h+i*h*d:], w.W2)
			copy(dst[2*H*d*h+H*h+i*d:], w.B2)
		} else {
			copy(dst[i*d*d:], w.W)
			copy(dst[H*d*d+i*d:], w.B)
		}
	}
}

// unpackWeights reads head i's weights out of a weight set.
func unpackWeights(src []float32, l *layout, i int) *ttt.Weights {
	H, d, h := l.H, l.d, l.hid
	w := ttt.NewWeights(l.model, d)
	if l.model == ttt.MLP {
		copy(w.W1, src[i*d*h:])
		copy(w.B1, src[H*d*h+i*h:])
		copy(w.W2, src[H*d*h+H*h+i*h*d:])
		copy(w.B2, src[2*H*d*h+H*h+i*d:])
	} else {
		copy(w.W, src[i*d*d:])
		copy(w.B, src[H*d*d+i*d:])
	}
	return w
}

// packSeq writes the heads' views into the seq layout: XQ | XK | XV [H,T,d], lr [H,T].
func packSeq(dst []float32, l *layout, seqs []*ttt.Seq) {
	H, T, d := l.H, l.T, l.d
	for i, s := range seqs {
		copy(dst[i*T*d:], s.XQ)
		copy(dst[H*T*d+i*T*d:], s.XK)
		copy(dst[2*H*T*d+i*T*d:], s.XV)
		copy(dst[3*H*T*d+i*T:], s.LR)
	}
}

// packHeads writes γ | β [H,d] and τ [H,b].
func packHeads(dst []float32, l *layout, hs []*ttt.Head) {
	H, d, b := l.H, l.d, l.b
	for i, h := range hs {
		copy(dst[i*d:], h.Gamma)
		copy(dst[H*d+i*d:], h.Beta)
		copy(dst[2*H*d+i*b:], h.Tau[:b])
	}
}
