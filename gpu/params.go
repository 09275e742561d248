package gpu

import (
	"encoding/binary"
	"math"
)

// Params mirrors struct Params of shaders/common.wgsl field for field:
// twenty-eight 4-byte scalars, 112 bytes, no padding (params_test.go checks this against the
// WGSL source). Each dispatch gets its own copy in a 256-byte slot of the
// uniform buffer, chosen by a dynamic offset.
type Params struct {
	H, T, D, B                       uint32
	T0, N, Pos, Reset                uint32
	Hid, SetStride, St0, W0Off       uint32
	OutZ, OutW0, OutStart, OutBefore uint32
	OutAfter, ScrStride              uint32
	Eps                              float32
	Plain                            uint32 // 1: f = f_res, no LayerNorm or residual
	Opt                              uint32 // the stream's inner optimiser: 0 GD, 1 momentum, 2 Adam
	Beta1, Beta2, OEps, Alpha, Decay float32
	C1, C2                           float32 // Adam's bias corrections for this mini-batch's step
}

const (
	paramsSize = 112 // bytes of Params, as WGSL lays it out
	slotSize   = 256 // the default minUniformBufferOffsetAlignment
)

// put writes p into b[:paramsSize], little-endian as WGSL reads it.
func (p *Params) put(b []byte) {
	le := binary.LittleEndian
	for i, v := range [...]uint32{
		p.H, p.T, p.D, p.B, p.T0, p.N, p.Pos, p.Reset,
		p.Hid, p.SetStride, p.St0, p.W0Off,
		p.OutZ, p.OutW0, p.OutStart, p.OutBefore,
		p.OutAfter, p.ScrStride, math.Float32bits(p.Eps), p.Plain,
		p.Opt, math.Float32bits(p.Beta1), math.Float32bits(p.Beta2), math.Float32bits(p.OEps),
		math.Float32bits(p.Alpha), math.Float32bits(p.Decay), math.Float32bits(p.C1), math.Float32bits(p.C2),
	} {
		le.PutUint32(b[4*i:], v)
	}
}
