package lm

import (
	"bytes"
	"encoding/json"
	"runtime"
	"strings"
	"testing"
)

// TestLoadChecksShapesBeforeAllocating: a file whose __metadata__ config
// claims a far larger model than its tensors hold (D = 1024, 2 blocks,
// FFN 8192: about 240 MB of parameters) is refused naming the first tensor
// that does not match, having allocated no more than the file's own tensors.
func TestLoadChecksShapesBeforeAllocating(t *testing.T) {
	m, _ := New(tinyConfig(TTTLinear), 1)
	huge := m.Config
	huge.D, huge.FFN, huge.Layers = 1024, 8192, 2
	cfg, _ := json.Marshal(huge)
	var buf bytes.Buffer
	if err := WriteSafetensors(&buf, m.Params.Tensors, map[string]string{"format": "tttexplainer-lm", "config": string(cfg)}); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _, err := Load(buf.Bytes())
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), `tensor "embed" has shape [7 8], want [7 1024]`) {
		t.Errorf("Load with a config of D = 1024 over D = 8 tensors: %v, want the embed shape named", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 16<<20 {
		t.Errorf("Load allocated %d MB before refusing the file, want < 16 MB", got>>20)
	}
}

// TestLoadMismatchedTensor: one tensor of the wrong shape is named.
func TestLoadMismatchedTensor(t *testing.T) {
	c := tinyConfig(TTTLinear)
	c.ShareQK = true
	m, _ := New(c, 1)
	for _, tensor := range m.Params.Tensors {
		if tensor.Name == "blocks.1.mixer.conv_k_w" {
			tensor.Shape = []int{tensor.Shape[1], tensor.Shape[0]}
		}
	}
	var buf bytes.Buffer
	if err := m.Save(&buf, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Load(buf.Bytes()); err == nil || !strings.Contains(err.Error(), `"blocks.1.mixer.conv_k_w" has shape [8 4], want [4 8]`) {
		t.Errorf("Load with conv_k_w transposed: %v", err)
	}
}
