package lm

import "tttexplainer/ttt"

// backward adds ∂L/∂θ to g for L = scale · Σ_t w.loss[t], after forward
// with the same tokens and targets. Each op's backward is its forward's
// twin, in reverse order (llm.c style).
func (m *Model) backward(w *work, g *Params, tokens, targets []int, scale float32) {
	c, p := m.Config, m.Params
	T, D, V := w.T, c.D, c.Vocab
	dlogits := w.dlogits[:T*V]
	copy(dlogits, w.probs[:T*V])
	for t := 0; t < T; t++ {
		dlogits[t*V+targets[t]] -= 1
	}
	for i := range dlogits {
		dlogits[i] *= scale
	}
	daF, dx := w.da[:T*D], w.dx[:T*D]
	mm(daF, dlogits, p.Embed, T, V, D)    // dlogits E     [T,V] @ [V,D] -> [T,D]
	mmTA(g.Embed, dlogits, w.aF, T, V, D) // dE += dlogitsᵀ aF
	clear(dx)
	rmsNormBackward(dx, g.NormF, daF, w.x[:T*D], p.NormF, w.rF, T, D) // w.x: the stream as the last block left it
	for l := c.Layers - 1; l >= 0; l-- {
		m.blockBackward(w, w.blocks[l], p.Blocks[l], g.Blocks[l], T)
	}
	for t, tok := range tokens {
		addTo(g.Embed[tok*D:(tok+1)*D], dx[t*D:(t+1)*D])
	}
}

func (m *Model) blockBackward(w *work, b *blockCache, bp, gb *BlockParams, T int) {
	c := m.Config
	D, F := c.D, c.FFN
	dx, da := w.dx[:T*D], w.da[:T*D]
	// x += SwiGLU(RMSNorm(xMid)).
	dm, dhu := w.dF1[:T*F], w.dF2[:T*F]
	clear(dm)
	mmTB(dm, dx, bp.WDown, T, F, D)  // dm = dy W_downᵀ     [T,D] @ [F,D]ᵀ -> [T,F]
	mmTA(gb.WDown, b.m, dx, T, F, D) // dW_down += mᵀ dy
	for i := range dm {
		hg := b.hg[i]
		dhu[i] = dm[i] * silu(hg)
		dm[i] *= b.hu[i] * siluGrad(hg) // now ∂L/∂hg
	}
	clear(da)
	mmTB(da, dm, bp.WGate, T, D, F)
	mmTB(da, dhu, bp.WUp, T, D, F)
	mmTA(gb.WGate, b.a2, dm, T, D, F)
	mmTA(gb.WUp, b.a2, dhu, T, D, F)
	rmsNormBackward(dx, gb.Norm2, da, b.xMid, bp.Norm2, b.r2, T, D)
	// x += θ_O(LN_D(Mixer(RMSNorm(xIn)))).
	dZn, dZ := w.da[:T*D], w.dZ[:T*D]
	clear(dZn)
	mmTB(dZn, dx, bp.ThetaO, T, D, D)  // dZn = dy θ_Oᵀ
	mmTA(gb.ThetaO, b.Zn, dx, T, D, D) // dθ_O += Znᵀ dy
	clear(dZ)
	for t := 0; t < T; t++ {
		r := t * D
		layerNormBackward(dZ[r:r+D], gb.PostGamma, gb.PostBeta, dZn[r:r+D], b.Z[r:r+D], bp.PostGamma)
	}
	m.mixerBackward(w, b, bp, gb, T)
	rmsNormBackward(dx, gb.Norm1, w.da[:T*D], b.xIn, bp.Norm1, b.r1, T, D)
	if c.PreConv {
		// x += CausalConv_k4(RMSNorm_conv(xConv)): dx passes straight through
		// and, via the conv and its norm, adds to itself.
		clear(da)
		causalConvBackward(da, gb.ConvW, gb.ConvB, dx, b.aC, bp.ConvW, T, D) // dy [T,D] -> daC [T,D]
		rmsNormBackward(dx, gb.ConvNorm, da, b.xConv, bp.ConvNorm, b.rC, T, D)
	}
}

// mixerBackward maps w.dZ (∂L/∂ concat Z) to w.da = ∂L/∂a1 and the mixer's
// parameter gradients.
func (m *Model) mixerBackward(w *work, b *blockCache, bp, gb *BlockParams, T int) {
	c := m.Config
	D, H, d := c.D, c.H, c.HeadSize()
	dPq, dPk, dPv, da := w.dPq[:T*D], w.dPk[:T*D], w.dPv[:T*D], w.da[:T*D]
	clear(da)
	for h := 0; h < H; h++ {
		hq, hk, hv := b.Q[h*T*d:(h+1)*T*d], b.K[h*T*d:(h+1)*T*d], b.V[h*T*d:(h+1)*T*d]
		dQ, dK, dV, dZh := w.dQ[:T*d], w.dK[:T*d], w.dV[:T*d], w.dZh[:T*d]
		for t := 0; t < T; t++ {
			copy(dZh[t*d:(t+1)*d], w.dZ[t*D+h*d:t*D+(h+1)*d])
		}
		clear(dQ)
		clear(dK)
		clear(dV)
		switch c.Mixer {
		case TTTLinear, TTTMLP:
			m.tttHeadBackward(w, b, bp, gb, h, dZh, dQ, dK, dV, hq, hk, hv, T)
		case Attention:
			attentionBackward(dQ, dK, dV, dZh, b.P[h*T*T:(h+1)*T*T], hq, hk, hv, w.dp, T, d)
		case RoPELinearAttention:
			bareLinearAttentionBackward(dQ, dK, dV, dZh, b.P[h*T*T:(h+1)*T*T], hq, hk, hv, T, d)
		case LinearAttention:
			linearAttentionBackward(dQ, dK, dV, dZh, b.Zh[h*T*d:(h+1)*T*d], b.P[h*T*T:(h+1)*T*T], b.den[h*T:(h+1)*T],
				b.fq[h*T*d:(h+1)*T*d], b.fk[h*T*d:(h+1)*T*d], hq, hk, hv, w.dfq, w.dfk, T, d)
		}
		for t := 0; t < T; t++ {
			copy(dPq[t*D+h*d:t*D+(h+1)*d], dQ[t*d:(t+1)*d])
			copy(dPk[t*D+h*d:t*D+(h+1)*d], dK[t*d:(t+1)*d])
			copy(dPv[t*D+h*d:t*D+(h+1)*d], dV[t*d:(t+1)*d])
		}
	}
	if per := c.ropePeriod(); per > 0 {
		ttt.RoPEInverse(dPq, T, H, d, per, c.RopeTheta)
		ttt.RoPEInverse(dPk, T, H, d, per, c.RopeTheta)
	}
	if c.ShareQK {
		dS := w.dZ[:T*D] // free: every head has read its dZ
		clear(dS)
		causalConvBackward(dS, gb.ConvQW, gb.ConvQB, dPq, b.S, bp.ConvQW, T, D) // dXQ [T,D] -> ds [T,D]
		causalConvBackward(dS, gb.ConvKW, gb.ConvKB, dPk, b.S, bp.ConvKW, T, D)
		mmTB(da, dS, bp.ThetaQ, T, D, D)   // da1 += ds θ_QKᵀ
		mmTA(gb.ThetaQ, b.a1, dS, T, D, D) // dθ_QK += a1ᵀ ds
	} else {
		mmTB(da, dPq, bp.ThetaQ, T, D, D) // da1 += dXQ θ_Qᵀ
		mmTB(da, dPk, bp.ThetaK, T, D, D)
		mmTA(gb.ThetaQ, b.a1, dPq, T, D, D) // dθ_Q += a1ᵀ dXQ
		mmTA(gb.ThetaK, b.a1, dPk, T, D, D)
	}
	mmTB(da, dPv, bp.ThetaV, T, D, D)
	mmTA(gb.ThetaV, b.a1, dPv, T, D, D)
}

// tttHeadBackward runs head h's inner loop backward, mini-batch by
// mini-batch from the last, then the η gate's backward into w.da.
func (m *Model) tttHeadBackward(w *work, b *blockCache, bp, gb *BlockParams, h int, dZ, dQ, dK, dV, Q, K, V []float32, T int) {
	c := m.Config
	D, d, B := c.D, c.HeadSize(), c.B
	nmb := (c.Context + B - 1) / B
	lr, sig := b.lr[h*T:(h+1)*T], b.sig[h*T:(h+1)*T] // [T]
	dlr := w.dlr[:T]
	clear(dlr)
	dW := w.dW // ∂L/∂ (W, b) of the state after the current mini-batch
	clear(dW)
	hd := m.head(bp, h)
	g := &innerGrads{gamma: gb.Gamma[h*d : (h+1)*d], beta: gb.Beta[h*d : (h+1)*d], tau: gb.Tau}
	start, size := w.start, c.stateSize()
	last := (T - 1) / B
	for k := last; k >= 0; k-- {
		t0 := k * B
		n := min(B, T-t0)
		copy(start, b.Ws[(h*nmb+k)*size:(h*nmb+k+1)*size])
		r := func(s []float32) []float32 { return s[t0*d : (t0+n)*d] }
		if c.Mixer == TTTMLP {
			hd.backwardMLP(w.mlp, g, mlpView(dW, d), mlpView(start, d), r(Q), r(K), r(V), lr[t0:t0+n], r(dZ), r(dQ), r(dK), r(dV), dlr[t0:t0+n], n)
		} else {
			hd.backward(w.inner, g, dW[:d*d], dW[d*d:], start[:d*d], start[d*d:], r(Q), r(K), r(V), lr[t0:t0+n], r(dZ), r(dQ), r(dK), r(dV), dlr[t0:t0+n], n)
		}
	}
	if c.Mixer == TTTMLP {
		hid := ttt.Hidden(d)
		s := mlpView(dW, d)
		addTo(gb.W1[h*d*hid:(h+1)*d*hid], s.W1)
		addTo(gb.B1[h*hid:(h+1)*hid], s.b1)
		addTo(gb.W2[h*hid*d:(h+1)*hid*d], s.W2)
		addTo(gb.B2[h*d:(h+1)*d], s.b2)
	} else {
		addTo(gb.W0[h*d*d:(h+1)*d*d], dW[:d*d])
		addTo(gb.B0[h*d:(h+1)*d], dW[d*d:])
	}
	// lr_t = base_lr · σ(a1_t·θ_lr + b_lr) / d.
	thetaLR, dThetaLR := bp.ThetaLR[h*D:(h+1)*D], gb.ThetaLR[h*D:(h+1)*D]
	for t := 0; t < T; t++ {
		dlogit := dlr[t] * c.BaseLR / float32(d) * sig[t] * (1 - sig[t])
		gb.BLR[h] += dlogit
		axpy(dThetaLR, dlogit, b.a1[t*D:(t+1)*D])
		axpy(w.da[t*D:(t+1)*D], dlogit, thetaLR)
	}
}
