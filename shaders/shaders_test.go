package shaders

import (
	"slices"
	"strings"
	"testing"
)

// TestKernels checks what needs no GPU: every kernel is listed, opens with
// its name, what it computes, its bindings, its dispatch shape and its CPU
// twin, and comes out of Source behind its prelude (common.wgsl, or
// lm_common.wgsl for the language model's).
func TestKernels(t *testing.T) {
	want := []string{AttnLinear, AttnSoftmax, BareDual, BarePrimal, DualLinear, DualMLP, LossW0Linear, LossW0MLP,
		NaiveLinear, NaiveMLP, PrimalLinear, PrimalMLP, StreamLinear, StreamMLP, LMMixIn, LMMixOut, LMReadout}
	got := Names()
	if strings.Join(got, ",") != strings.Join(sorted(want), ",") {
		t.Fatalf("Names() = %v, want %v", got, sorted(want))
	}
	for _, n := range got {
		raw, err := Raw(n)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(raw, "// "+n+".wgsl: ") {
			t.Errorf("%s.wgsl does not open with its name and what it computes", n)
		}
		twin := "// CPU twin: ttt."
		if IsLM(n) {
			twin = "// CPU twin: lm."
		}
		for _, k := range []string{"// Bindings:", "// Dispatch:", twin} {
			if !strings.Contains(raw, k) {
				t.Errorf("%s.wgsl: header lacks %q", n, k)
			}
		}
		if !strings.Contains(raw, "@compute @workgroup_size(") || !strings.Contains(raw, "fn "+EntryPoint+"(") {
			t.Errorf("%s.wgsl has no compute entry point %q", n, EntryPoint)
		}
		// No optional feature: no f16, no subgroups.
		for _, f := range []string{"enable ", "f16", "subgroup"} {
			if strings.Contains(raw, f) {
				t.Errorf("%s.wgsl uses %q, an optional feature", n, f)
			}
		}
		prelude, err := Raw(Prelude(n))
		if err != nil {
			t.Fatal(err)
		}
		src, err := Source(n)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(src, prelude) || !strings.HasSuffix(src, raw) {
			t.Errorf("Source(%s) is not %s.wgsl followed by the kernel", n, Prelude(n))
		}
	}
	for _, p := range []string{Common, LMCommon} {
		if _, err := Source(p); err == nil {
			t.Errorf("Source(%s) gave no error", p)
		}
	}
	if _, err := Source("nope"); err == nil {
		t.Error("Source(nope) gave no error")
	}
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
