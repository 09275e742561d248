//go:build !js

package e2e

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"tttexplainer/scenario"

	"github.com/chromedp/chromedp"

	"tttexplainer/demo"
	"tttexplainer/ttt"
)

// optimTokens is how far the optimiser tests stream: with b = 4 that is six
// mini-batches, enough for momentum and Adam to carry state across several.
const optimTokens = 24

// optimRef is the CPU reference of one inner optimiser on a scenario:
// ttt.Head.RunOpt per head, losses averaged over the heads, z side by side.
type optimRef struct {
	before, after []float64
	z             [][]float32
}

func referenceOf(t *testing.T, s scenario.Scenario) optimRef {
	t.Helper()
	r, err := demo.NewRunner(s, demo.CPU{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	H, d := r.Views.H, r.Views.D
	ref := optimRef{before: make([]float64, optimTokens), after: make([]float64, optimTokens)}
	for i := 0; i < optimTokens; i++ {
		ref.z = append(ref.z, make([]float32, H*d))
	}
	for h, hi := range r.Views.Heads {
		res, err := hi.Head.RunOpt(r.Opt, hi.W0, hi.Seq)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < optimTokens; i++ {
			ref.before[i] += float64(res.LossBefore[i]) / float64(H)
			ref.after[i] += float64(res.LossAfter[i]) / float64(H)
			copy(ref.z[i][h*d:], res.Z[i*d:(i+1)*d])
		}
	}
	return ref
}

func within(got, want float64) bool {
	return math.Abs(got-want) <= ttt.AbsTol+ttt.RelTol*math.Abs(want)
}

// TestOptimPage runs the inner optimisers in the page, on SwiftShader's
// WebGPU and on the CPU: each streams through the runner (setConfig + step)
// with the reference's per-token losses, and ttt.compareOptimizers returns
// one curve of T points per optimiser whose losses and z_t match the CPU
// reference within ttt.AbsTol + ttt.RelTol. The page's button draws them.
func TestOptimPage(t *testing.T) {
	srv := servePage(t)
	ctx := browser(t, true)
	openWebGPU(t, ctx, srv.URL+"/?autoplay=0&b=4&backend=gpu")
	base := scenario.Default()
	base.B = 4
	settings := demo.CompareSettings(base)
	refs := make([]optimRef, len(settings))
	for i, s := range settings {
		refs[i] = referenceOf(t, s)
	}

	for _, backend := range []string{"webgpu", "cpu"} {
		t.Run("stream/"+backend, func(t *testing.T) {
			be := map[string]string{"webgpu": "gpu", "cpu": "cpu"}[backend]
			for i, s := range settings[1:] { // GD is the stream the page tests already
				start := time.Now()
				eval[pageState](t, ctx, fmt.Sprintf(`ttt.setConfig({opt: %q, wd: %v, backend: %q})`, s.Opt, s.WD, be))
				st := eval[pageState](t, ctx, fmt.Sprintf(`ttt.step(%d)`, optimTokens))
				if st.Backend != backend || st.T != optimTokens || st.Scenario["opt"] != s.Opt {
					t.Fatalf("%s: %d tokens on %s with opt %v (%s)", s.Opt, st.T, st.Backend, st.Scenario["opt"], st.Error)
				}
				ref := refs[i+1]
				for tok := 0; tok < optimTokens; tok++ {
					if !within(st.LossBefore[tok], ref.before[tok]) || !within(st.LossAfter[tok], ref.after[tok]) {
						t.Fatalf("%s wd=%v token %d: losses %g, %g; want %g, %g", s.Opt, s.WD, tok, st.LossBefore[tok], st.LossAfter[tok], ref.before[tok], ref.after[tok])
					}
				}
				t.Logf("%s wd=%v on %s: %d tokens match the reference (%v)", s.Opt, s.WD, backend, optimTokens, time.Since(start).Round(time.Millisecond))
			}
		})
		t.Run("compare/"+backend, func(t *testing.T) {
			start := time.Now()
			c := eval[demo.Comparison](t, ctx, fmt.Sprintf(`ttt.compareOptimizers({backend: %q, tokens: %d, z: true})`, backend, optimTokens))
			if c.Backend != backend || c.T != optimTokens || len(c.Curves) != len(settings) {
				t.Fatalf("compareOptimizers on %s: %d curves of %d tokens on %s", backend, len(c.Curves), c.T, c.Backend)
			}
			worst := 0.0
			for i, cv := range c.Curves {
				ref := refs[i]
				if len(cv.Before) != optimTokens || len(cv.After) != optimTokens || len(cv.Z) != optimTokens {
					t.Fatalf("%s: %d, %d, %d points, want %d", cv.Name, len(cv.Before), len(cv.After), len(cv.Z), optimTokens)
				}
				for tok := 0; tok < optimTokens; tok++ {
					if !within(cv.Before[tok], ref.before[tok]) || !within(cv.After[tok], ref.after[tok]) {
						t.Fatalf("%s token %d: losses %g, %g; want %g, %g", cv.Name, tok, cv.Before[tok], cv.After[tok], ref.before[tok], ref.after[tok])
					}
					for j, w := range ref.z[tok] {
						g := float64(cv.Z[tok][j])
						worst = max(worst, math.Abs(g-float64(w)))
						if !within(g, float64(w)) {
							t.Fatalf("%s token %d: z[%d] = %g, want %g", cv.Name, tok, j, g, w)
						}
					}
				}
			}
			t.Logf("compareOptimizers on %s: %d curves × %d tokens, max |z − ref| = %.1e (%v)", backend, len(c.Curves), c.T, worst, time.Since(start).Round(time.Millisecond))
		})
	}

	t.Run("chart", func(t *testing.T) {
		eval[pageState](t, ctx, `ttt.setConfig({opt: "gd", wd: 0, backend: "cpu", input: "random"})`)
		eval[bool](t, ctx, `(document.getElementById("compare-run").click(), true)`)
		tctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		n, err := chromedp.Run(tctx, chromedp.Poll[int](`(() => { const n = document.querySelectorAll("#compare-chart polyline").length; return n === 5 ? n : null; })()`))
		if err != nil || n != 5 {
			t.Fatalf("the compare chart has %d lines (%v), want 5: ℓ(W0) and four optimisers", n, err)
		}
	})
}
