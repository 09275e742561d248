package lm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
)

// The model's file format: safetensors with every parameter under its
// Tensor name and the config (and any training record) in __metadata__.

// Save writes the model as safetensors; extra metadata (training settings,
// validation loss) goes beside the config.
func (m *Model) Save(w io.Writer, extra map[string]string) error {
	meta := map[string]string{"format": "tttexplainer-lm"}
	cfg, err := json.Marshal(m.Config)
	if err != nil {
		return err
	}
	meta["config"] = string(cfg)
	for k, v := range extra {
		meta[k] = v
	}
	return WriteSafetensors(w, m.Params.Tensors, meta)
}

// Load reads a model saved by Save and returns it with its metadata.
func Load(data []byte) (*Model, map[string]string, error) {
	tensors, meta, err := ReadSafetensors(data)
	if err != nil {
		return nil, nil, err
	}
	m, err := modelFrom(tensors, meta, "")
	return m, meta, err
}

// modelFrom builds a model from tensors named prefix+name.
func modelFrom(tensors map[string]*Tensor, meta map[string]string, prefix string) (*Model, error) {
	if meta["format"] != "tttexplainer-lm" {
		return nil, fmt.Errorf("safetensors: __metadata__ format %q, want tttexplainer-lm", meta["format"])
	}
	var c Config
	dec := json.NewDecoder(bytes.NewReader([]byte(meta["config"])))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("safetensors: __metadata__ config: %v", err)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("safetensors: config: %v", err)
	}
	// The file's tensors are bounded by its size, the config's are not: check
	// every shape the config implies against the file before allocating them.
	for _, s := range layout(c, &Params{}) {
		if _, err := source(tensors, prefix+s.name, s.shape); err != nil {
			return nil, fmt.Errorf("%v: the __metadata__ config does not match the file", err)
		}
	}
	p := NewParams(c)
	if err := fill(p, tensors, prefix); err != nil {
		return nil, err
	}
	return &Model{Config: c, Params: p}, nil
}

// source returns the tensor called name, checking that it has the shape.
func source(tensors map[string]*Tensor, name string, shape []int) (*Tensor, error) {
	src, ok := tensors[name]
	if !ok {
		return nil, fmt.Errorf("safetensors: tensor %q is missing", name)
	}
	if !slices.Equal(src.Shape, shape) {
		return nil, fmt.Errorf("safetensors: tensor %q has shape %v, want %v", name, src.Shape, shape)
	}
	return src, nil
}

// fill copies tensors named prefix+name into p, checking every shape and value.
func fill(p *Params, tensors map[string]*Tensor, prefix string) error {
	for _, t := range p.Tensors {
		src, err := source(tensors, prefix+t.Name, t.Shape)
		if err != nil {
			return err
		}
		for _, v := range src.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return fmt.Errorf("safetensors: tensor %q holds NaN or Inf", prefix+t.Name)
			}
		}
		copy(t.Data, src.Data)
	}
	return nil
}
