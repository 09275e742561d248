package lm

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
)

// A checkpoint is a safetensors file with the parameters under their names,
// the Adam moments under "adam_m." and "adam_v.", and the config, training
// settings and step in __metadata__: everything a resumed run needs to
// continue exactly as the uninterrupted run would have.

// SaveCheckpoint writes the trainer's state.
func (tr *Trainer) SaveCheckpoint(w io.Writer) error {
	tc, err := json.Marshal(tr.TC)
	if err != nil {
		return err
	}
	cfg, err := json.Marshal(tr.M.Config)
	if err != nil {
		return err
	}
	meta := map[string]string{"format": "tttexplainer-lm", "config": string(cfg), "train": string(tc), "step": strconv.Itoa(tr.Step)}
	var tensors []*Tensor
	tensors = append(tensors, tr.M.Params.Tensors...)
	for _, pre := range []struct {
		name string
		p    *Params
	}{{"adam_m.", tr.Mom}, {"adam_v.", tr.Vel}} {
		for _, t := range pre.p.Tensors {
			tensors = append(tensors, &Tensor{Name: pre.name + t.Name, Shape: t.Shape, Data: t.Data})
		}
	}
	return WriteSafetensors(w, tensors, meta)
}

// ResumeTrainer restores a trainer from a checkpoint, to go on training on data.
func ResumeTrainer(checkpoint []byte, data []int) (*Trainer, error) {
	tensors, meta, err := ReadSafetensors(checkpoint)
	if err != nil {
		return nil, err
	}
	m, err := modelFrom(tensors, meta, "")
	if err != nil {
		return nil, err
	}
	var tc TrainConfig
	if err := json.Unmarshal([]byte(meta["train"]), &tc); err != nil {
		return nil, fmt.Errorf("checkpoint: __metadata__ train: %v", err)
	}
	step, err := strconv.Atoi(meta["step"])
	if err != nil || step < 0 || step > tc.Steps {
		return nil, fmt.Errorf("checkpoint: __metadata__ step %q is not a step of a %d-step run", meta["step"], tc.Steps)
	}
	tr, err := NewTrainer(m, tc, data)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %v", err)
	}
	if err := fill(tr.Mom, tensors, "adam_m."); err != nil {
		return nil, err
	}
	if err := fill(tr.Vel, tensors, "adam_v."); err != nil {
		return nil, err
	}
	tr.Step = step
	return tr, nil
}
