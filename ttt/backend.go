package ttt

// HeadInput is one head's work: its settings, initial weights and views.
type HeadInput struct {
	Head *Head
	W0   *Weights
	Seq  *Seq
}

// A Backend runs a form over several heads at once. The CPU backend is the
// reference; the GPU backend runs the same forms as WGSL kernels. Tests, the
// command line and the page swap them freely.
type Backend interface {
	Name() string
	Run(form Form, heads []HeadInput) ([]*Result, error)
}

// CPU is the pure-Go float32 backend.
type CPU struct{}

// Name returns "cpu".
func (CPU) Name() string { return "cpu" }

// Run runs each head in turn.
func (CPU) Run(form Form, heads []HeadInput) ([]*Result, error) {
	out := make([]*Result, len(heads))
	for i, h := range heads {
		r, err := h.Head.Run(form, h.W0, h.Seq)
		if err != nil {
			return nil, err
		}
		out[i] = r
	}
	return out, nil
}
