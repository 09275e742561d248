package ttt

// StreamState runs a head one token at a time, as a decoder or a live page
// does. It keeps the mini-batch start W⁰ and the running sums
//
//	A += lr_t ∇ℓ_t(W⁰),   W̄ = W⁰ − s_i A,   z_t = f(q_t; W̄)
//
// and at the end of each mini-batch sets W⁰ ← W̄ and A ← 0. After every token
// W̄ equals the primal form's W_i exactly, so the page can show it. With an
// inner optimiser (NewStreamStateOpt, opt.go) W̄ is the optimiser's step from
// W⁰ on G = s_i A instead.
type StreamState struct {
	hd    *Head
	init  *Weights // the sequence's W0, for ℓ(W0; x_t)
	start *Weights // W⁰ of the current mini-batch
	sum   *Weights // A
	cur   *Weights // W̄ = W⁰ − s_i A, the weights after the latest token
	pos   int      // tokens already taken in the current mini-batch
	s     *scratch

	opt   Opt      // the zero Opt is plain GD, computed exactly as before
	mom   *Weights // m⁰, the committed first moment (nil for the zero Opt)
	vel   *Weights // v⁰, Adam's committed second moment (nil for the zero Opt)
	steps int      // mini-batches committed: Adam's step number is steps + 1
}

// NewStreamState starts a stream at W0 (copied).
func NewStreamState(hd *Head, W0 *Weights) *StreamState {
	return &StreamState{
		hd:    hd,
		init:  W0.Clone(),
		start: W0.Clone(),
		sum:   NewWeights(hd.Model, hd.D),
		cur:   W0.Clone(),
		s:     newScratch(hd.Model, hd.D),
	}
}

// NewStreamStateOpt starts a stream at W0 (copied) whose inner loop takes
// the optimiser o's steps (see Opt) instead of plain GD.
func NewStreamStateOpt(hd *Head, W0 *Weights, o Opt) (*StreamState, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	st := NewStreamState(hd, W0)
	if o != (Opt{}) {
		st.opt, st.mom, st.vel = o, NewWeights(hd.Model, hd.D), NewWeights(hd.Model, hd.D)
	}
	return st, nil
}

// Losses are the four per-token inner losses (MSE) of one token.
type Losses struct {
	W0, Start, Before, After float32
}

// Step takes one token (q, k, v: [d]; lr: its learning rate), writes
// z = f(q; W_t) into z [d] and returns the token's losses. It allocates nothing.
func (st *StreamState) Step(z, q, k, v []float32, lr float32) Losses {
	hd, s := st.hd, st.s
	var l Losses
	hd.target(s.target, v, k)
	l.W0 = s.loss(hd, st.init, k, s.target)
	l.Before = s.loss(hd, st.cur, k, s.target)
	// grad leaves g (and the MLP's x2, g1) for step: nothing may run f_res in between.
	l.Start = s.grad(hd, st.start, k, v)
	s.step(st.sum, -lr, k)
	sc := hd.Scale(st.pos)
	if st.mom == nil {
		combine(st.cur, st.start, -sc, st.sum)
	} else {
		st.update(sc, false)
	}
	s.output(hd, z, st.cur, q)
	l.After = s.loss(hd, st.cur, k, s.target)
	st.pos++
	if st.pos == hd.B {
		if st.mom != nil {
			st.update(sc, true)
			st.steps++
		}
		st.start.CopyFrom(st.cur)
		clearWeights(st.sum)
		st.pos = 0
	}
	return l
}

// update writes W̄ = the optimiser's step from W⁰ on G = s_i A (s_i = sc)
// and, when the mini-batch ends (commit), the new moments m⁰ ← m̄, v⁰ ← v̄.
// Each kind has its own loop: a switch per element doubled the MLP's step.
func (st *StreamState) update(sc float32, commit bool) {
	o := &st.opt
	c1, c2 := o.Correction(st.steps + 1)
	keep := 1 - o.Decay
	ws, as, cs := st.start.Tensors(), st.sum.Tensors(), st.cur.Tensors()
	ms, vs := st.mom.Tensors(), st.vel.Tensors()
	for i, w := range ws {
		a, c, m, v := as[i], cs[i], ms[i], vs[i]
		switch o.Kind {
		case GD:
			for j := range w {
				c[j] = keep*w[j] - sc*a[j]
			}
		case Momentum:
			for j := range w {
				mn := o.Beta*m[j] + sc*a[j]
				c[j] = keep*w[j] - mn
				if commit {
					m[j] = mn
				}
			}
		case Adam:
			for j := range w {
				wn, mn, vn := o.optWeight(w[j], m[j], v[j], sc*a[j], c1, c2)
				c[j] = wn
				if commit {
					m[j], v[j] = mn, vn
				}
			}
		}
	}
}

// Weights returns the current weights W_t. They alias the state: copy them to keep.
func (st *StreamState) Weights() *Weights { return st.cur }

// Pos is the number of tokens taken in the current mini-batch.
func (st *StreamState) Pos() int { return st.pos }

// Run streams a whole sequence into out.
func (st *StreamState) Run(out *Result, in *Seq) {
	d := st.hd.D
	for t := 0; t < in.T(); t++ {
		r := t * d
		l := st.Step(out.Z[r:r+d], in.XQ[r:r+d], in.XK[r:r+d], in.XV[r:r+d], in.LR[t])
		out.LossW0[t], out.LossStart[t], out.LossBefore[t], out.LossAfter[t] = l.W0, l.Start, l.Before, l.After
	}
	out.Final.CopyFrom(st.cur)
}
