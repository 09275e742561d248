package ttt

import "fmt"

// Model names the inner model f_res whose weights are the hidden state.
type Model int

const (
	Linear Model = iota // f_res(x) = x W + b
	MLP                 // f_res(x) = gelu(x W1 + b1) W2 + b2, hidden width 4d
)

func (m Model) String() string {
	switch m {
	case Linear:
		return "linear"
	case MLP:
		return "mlp"
	}
	return fmt.Sprintf("Model(%d)", int(m))
}

// ParseModel reads "linear" or "mlp".
func ParseModel(s string) (Model, error) {
	switch s {
	case "linear":
		return Linear, nil
	case "mlp":
		return MLP, nil
	}
	return 0, fmt.Errorf("unknown inner model %q (want linear or mlp)", s)
}

// Hidden is the MLP's hidden width for head size d.
func Hidden(d int) int { return 4 * d }

// Weights are one head's inner weights: the TTT hidden state.
// Only the fields of its Model are set.
type Weights struct {
	Model Model
	D     int       // head size d
	W     []float32 // Linear: [d,d]
	B     []float32 // Linear: [d]
	W1    []float32 // MLP: [d,4d]
	B1    []float32 // MLP: [4d]
	W2    []float32 // MLP: [4d,d]
	B2    []float32 // MLP: [d]
}

// NewWeights returns zero weights of model m for head size d.
func NewWeights(m Model, d int) *Weights {
	w := &Weights{Model: m, D: d}
	switch m {
	case Linear:
		w.W = make([]float32, d*d)
		w.B = make([]float32, d)
	case MLP:
		h := Hidden(d)
		w.W1 = make([]float32, d*h)
		w.B1 = make([]float32, h)
		w.W2 = make([]float32, h*d)
		w.B2 = make([]float32, d)
	}
	return w
}

// Tensors lists the weight slices in their canonical order
// (W, b for Linear; W1, b1, W2, b2 for MLP). The slices alias w.
func (w *Weights) Tensors() [][]float32 {
	if w.Model == MLP {
		return [][]float32{w.W1, w.B1, w.W2, w.B2}
	}
	return [][]float32{w.W, w.B}
}

// TensorNames are the case-format keys of Tensors, in the same order.
func (w *Weights) TensorNames() []string { return TensorNames(w.Model) }

// TensorNames are the case-format keys of a model's weights.
func TensorNames(m Model) []string {
	if m == MLP {
		return []string{"W1", "b1", "W2", "b2"}
	}
	return []string{"W", "b"}
}

// Size is the number of floats in the hidden state.
func (w *Weights) Size() int {
	n := 0
	for _, t := range w.Tensors() {
		n += len(t)
	}
	return n
}

// Clone returns a deep copy of w.
func (w *Weights) Clone() *Weights {
	c := NewWeights(w.Model, w.D)
	c.CopyFrom(w)
	return c
}

// CopyFrom copies src's values into w; both must have the same model and d.
func (w *Weights) CopyFrom(src *Weights) {
	if w.Model != src.Model || w.D != src.D {
		panic(fmt.Sprintf("ttt: CopyFrom %v d=%d into %v d=%d", src.Model, src.D, w.Model, w.D))
	}
	dst := w.Tensors()
	for i, t := range src.Tensors() {
		copy(dst[i], t)
	}
}
