package lm

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
)

// A minimal safetensors reader and writer (F32 only): an 8-byte
// little-endian header length N, N bytes of JSON
//
//	{"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ..., "__metadata__": {"key": "value"}}
//
// then the tensors' bytes, little-endian, offsets relative to the data start.
// The writer is deterministic (keys sorted, header padded with spaces to a
// multiple of 8), so the same weights give the same file.

type stEntry struct {
	Dtype       string `json:"dtype"`
	Shape       []int  `json:"shape"`
	DataOffsets [2]int `json:"data_offsets"`
}

// maxHeader bounds the JSON header a reader accepts.
const maxHeader = 1 << 20

// WriteSafetensors writes the tensors, in order, with the metadata.
func WriteSafetensors(w io.Writer, tensors []*Tensor, meta map[string]string) error {
	header := map[string]any{}
	if len(meta) > 0 {
		header["__metadata__"] = meta
	}
	off := 0
	for _, t := range tensors {
		n := 4 * len(t.Data)
		header[t.Name] = stEntry{Dtype: "F32", Shape: t.Shape, DataOffsets: [2]int{off, off + n}}
		off += n
	}
	js, err := json.Marshal(header)
	if err != nil {
		return err
	}
	for len(js)%8 != 0 {
		js = append(js, ' ')
	}
	buf := make([]byte, 8, 8+len(js)+off)
	binary.LittleEndian.PutUint64(buf, uint64(len(js)))
	buf = append(buf, js...)
	for _, t := range tensors {
		for _, v := range t.Data {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
		}
	}
	_, err = w.Write(buf)
	return err
}

// ReadSafetensors parses a file into named float32 tensors with their shapes
// and the metadata. Every malformation is an error naming it.
func ReadSafetensors(data []byte) (map[string]*Tensor, map[string]string, error) {
	if len(data) < 8 {
		return nil, nil, fmt.Errorf("safetensors: %d bytes, too short for the header length", len(data))
	}
	n := binary.LittleEndian.Uint64(data)
	if n > maxHeader || n > uint64(len(data)-8) {
		return nil, nil, fmt.Errorf("safetensors: header length %d does not fit the %d-byte file", n, len(data))
	}
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data[8 : 8+n]))
	if err := dec.Decode(&raw); err != nil {
		return nil, nil, fmt.Errorf("safetensors: header: %v", err)
	}
	body := data[8+n:]
	meta := map[string]string{}
	out := map[string]*Tensor{}
	type span struct{ a, b int }
	var spans []span
	for name, msg := range raw {
		if name == "__metadata__" {
			if err := json.Unmarshal(msg, &meta); err != nil {
				return nil, nil, fmt.Errorf("safetensors: __metadata__: %v", err)
			}
			continue
		}
		var e stEntry
		if err := json.Unmarshal(msg, &e); err != nil {
			return nil, nil, fmt.Errorf("safetensors: tensor %q: %v", name, err)
		}
		if e.Dtype != "F32" {
			return nil, nil, fmt.Errorf("safetensors: tensor %q has dtype %q, want F32", name, e.Dtype)
		}
		count := 1
		for _, s := range e.Shape {
			if s < 0 || s > 1<<28 || count*s > 1<<28 {
				return nil, nil, fmt.Errorf("safetensors: tensor %q has shape %v", name, e.Shape)
			}
			count *= s
		}
		a, b := e.DataOffsets[0], e.DataOffsets[1]
		if a < 0 || b < a || b > len(body) || b-a != 4*count {
			return nil, nil, fmt.Errorf("safetensors: tensor %q: data_offsets %v do not hold shape %v in %d data bytes", name, e.DataOffsets, e.Shape, len(body))
		}
		spans = append(spans, span{a, b})
		t := &Tensor{Name: name, Shape: e.Shape, Data: make([]float32, count)}
		for i := range t.Data {
			t.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(body[a+4*i:]))
		}
		out[name] = t
	}
	slices.SortFunc(spans, func(x, y span) int { return x.a - y.a })
	end := 0
	for _, s := range spans {
		if s.a != end {
			return nil, nil, fmt.Errorf("safetensors: tensor data overlaps or leaves a gap at byte %d", s.a)
		}
		end = s.b
	}
	if end != len(body) {
		return nil, nil, fmt.Errorf("safetensors: %d data bytes, the tensors hold %d", len(body), end)
	}
	return out, meta, nil
}
