package gpu

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/cogentcore/webgpu/wgpu"

	"tttexplainer/shaders"
	"tttexplainer/ttt"
)

// TestParamsMirrorsWGSL parses struct Params out of common.wgsl and struct
// LMParams out of lm_common.wgsl, lays each out by WGSL's rules (every
// member here is a 4-byte scalar: align 4, size 4) and checks that the Go
// mirror has the same members, in the same order, at the same offsets, and
// the same size.
func TestParamsMirrorsWGSL(t *testing.T) {
	mirrors(t, shaders.Common, "Params", reflect.TypeOf(Params{}), paramsSize)
	mirrors(t, shaders.LMCommon, "LMParams", reflect.TypeOf(LMParams{}), lmParamsSize)
	var b [paramsSize]byte
	p := Params{H: 1, Eps: 1e-6, Plain: 7}
	p.put(b[:])
	if b[0] != 1 || math.Float32frombits(uint32(b[72])|uint32(b[73])<<8|uint32(b[74])<<16|uint32(b[75])<<24) != 1e-6 || b[76] != 7 {
		t.Fatalf("put wrote % x", b)
	}
	var lb [lmParamsSize]byte
	lp := LMParams{D: 64, BaseLR: 0.5, Pad: 9}
	lp.put(lb[:])
	if lb[0] != 64 || math.Float32frombits(uint32(lb[40])|uint32(lb[41])<<8|uint32(lb[42])<<16|uint32(lb[43])<<24) != 0.5 || lb[188] != 9 {
		t.Fatalf("LMParams.put wrote % x", lb)
	}
}

func mirrors(t *testing.T, file, name string, typ reflect.Type, size int) {
	t.Helper()
	src, err := shaders.Raw(file)
	if err != nil {
		t.Fatal(err)
	}
	body := regexp.MustCompile(`(?s)struct ` + name + ` \{(.*?)\n\}`).FindStringSubmatch(src)
	if body == nil {
		t.Fatalf("no struct %s in %s.wgsl", name, file)
	}
	// Strip comments, then read "name: type" pairs.
	text := regexp.MustCompile(`//[^\n]*`).ReplaceAllString(body[1], "")
	members := regexp.MustCompile(`(\w+)\s*:\s*(\w+)`).FindAllStringSubmatch(text, -1)
	if len(members) != typ.NumField() {
		t.Fatalf("WGSL %s has %d members, the Go mirror %d fields", name, len(members), typ.NumField())
	}
	off := 0
	for i, m := range members {
		f := typ.Field(i)
		if !strings.EqualFold(m[1], f.Name) {
			t.Errorf("%s member %d: WGSL %s, Go %s", name, i, m[1], f.Name)
		}
		wantKind := map[string]reflect.Kind{"u32": reflect.Uint32, "f32": reflect.Float32}[m[2]]
		if f.Type.Kind() != wantKind {
			t.Errorf("%s.%s: WGSL %s, Go %v", name, m[1], m[2], f.Type)
		}
		if int(f.Offset) != off {
			t.Errorf("%s.%s at Go offset %d, WGSL offset %d", name, m[1], f.Offset, off)
		}
		off += 4
	}
	// A uniform struct's size rounds up to its alignment; 16 keeps it a whole
	// number of vec4 rows, which the binding's minBindingSize assumes.
	if off != size || int(typ.Size()) != size || size%16 != 0 {
		t.Fatalf("%s: WGSL %d bytes, Go %d, the size constant %d (want equal, a multiple of 16)", name, off, typ.Size(), size)
	}
}

// TestShaderHeaders checks that each kernel file opens with what it computes,
// its bindings, its dispatch shape and its CPU twin, and that it compiles.
func TestShaderHeaders(t *testing.T) {
	be := backend(t)
	names := shaders.Names()
	if len(names) != 17 {
		t.Fatalf("shaders.Names() = %v, want the 17 kernels", names)
	}
	for _, n := range names {
		src, err := shaders.Raw(n)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(src, "// "+n+".wgsl: ") {
			t.Errorf("%s.wgsl does not open with its name and what it computes", n)
		}
		for _, k := range []string{"Bindings:", "Dispatch:", "CPU twin:"} {
			if !strings.Contains(src, "// "+k) {
				t.Errorf("%s.wgsl: header lacks %q", n, k)
			}
		}
		if _, err := be.pipeline(n); err != nil {
			t.Error(err)
		}
	}
}

// TestOneSubmitPerPrefill checks that a whole prefill of many mini-batches and
// heads is one submit and one readback, for every form.
func TestOneSubmitPerPrefill(t *testing.T) {
	be := backend(t)
	for _, f := range []ttt.Form{ttt.Primal, ttt.Dual, ttt.Stream} {
		heads := problems(ttt.Linear, 4, 100, 8, 16, 5)
		before := be.Stats()
		if _, err := be.Run(f, heads); err != nil {
			t.Fatal(err)
		}
		after := be.Stats()
		if s, r := after.Submits-before.Submits, after.Readbacks-before.Readbacks; s != 1 || r != 1 {
			t.Errorf("%v prefill of 100 tokens, 4 heads: %d submits, %d readbacks; want 1, 1", f, s, r)
		}
	}
}

// TestGuardsCatchOutOfBounds runs the dual kernel with its output offset moved
// one float along, so that its last write lands in the guard after Z: the
// guard check must report it.
func TestGuardsCatchOutOfBounds(t *testing.T) {
	be := backend(t)
	heads := problems(ttt.Linear, 2, 20, 8, 16, 3)
	s, err := checkHeads(ttt.Dual, heads)
	if err != nil {
		t.Fatal(err)
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	w := &workspace{be: be}
	defer w.release()
	l := newLayout(s, 1, scratchFloats(shaders.DualLinear, s.b, s.d))
	hs := []*ttt.Head{heads[0].Head, heads[1].Head}
	if err := be.upload(w, l, hs, []*ttt.Seq{heads[0].Seq, heads[1].Seq}, []*ttt.Weights{heads[0].W0, heads[1].W0}); err != nil {
		t.Fatal(err)
	}
	p := l.params(ttt.DefaultEps)
	p.N = 16
	p.OutZ++ // the bug under test
	steps := []dispatch{{shaders.DualLinear, p, 2}}
	p.T0, p.N = 16, 4
	steps = append(steps, dispatch{shaders.DualLinear, p, 2})
	got, err := w.run(steps, []readReq{{bufOut, l.outFloats}})
	if err != nil {
		t.Fatal(err)
	}
	err = checkGuards("out", got[0], l.outGuards())
	if err == nil || !strings.Contains(err.Error(), "guard word") {
		t.Fatalf("checkGuards after an out-of-bounds write = %v, want a guard error", err)
	}
	t.Log(err)
	// And the untouched state guards still pass.
	got, err = w.run(nil, []readReq{{bufSt, l.stFloats}})
	if err != nil {
		t.Fatal(err)
	}
	if err := checkGuards("state", got[0], l.stGuards()); err != nil {
		t.Fatal(err)
	}
}

// TestGuardsEachDispatch runs every form of both models, the bare learner and
// both attentions with one submit per dispatch and every guard checked after
// each dispatch, and compares the results with the CPU.
func TestGuardsEachDispatch(t *testing.T) {
	be := backend(t)
	be.mu.Lock()
	be.guardEachDispatch = true
	be.mu.Unlock()
	defer func() {
		be.mu.Lock()
		be.guardEachDispatch = false
		be.mu.Unlock()
	}()
	for _, m := range []ttt.Model{ttt.Linear, ttt.MLP} {
		runForms(t, be, m, 3, m.String()+"/d7/b3/T8", problems(m, 2, 8, 7, 3, 11))
		runForms(t, be, m, 1, m.String()+"/d5/b1/T4", problems(m, 2, 4, 5, 1, 11))
	}
	const T, d = 300, 6
	rng := rand.New(rand.NewPCG(5, 5))
	Q, K, V := randn(rng, T*d, 0.2), randn(rng, T*d, 0.2), randn(rng, T*d, 1) // small q, k: the bare learner stays bounded
	for _, f := range []ttt.Form{ttt.Primal, ttt.Dual} {
		want := make([]float32, T*d)
		ttt.BareTTT(f, want, Q, K, V, T, d, 7)
		got, err := be.RunBare(f, &ttt.BareSpec{D: d, B: 7, Q: Q, K: K, V: V}, T)
		if err != nil {
			t.Fatal(err)
		}
		if df := compare32("bare "+f.String(), got, want); !df.OK() {
			t.Error(df)
		}
	}
	Z := make([]float32, T*d)
	if err := be.SoftmaxAttention(Z, Q, K, V, 1, T, d); err != nil {
		t.Fatal(err)
	}
	want := make([]float32, T*d)
	ttt.SoftmaxAttention(want, Q, K, V, T, d)
	if df := compare32("softmax attention", Z, want); !df.OK() {
		t.Error(df)
	}
}

// TestBadInput checks that malformed calls come back as errors, not panics.
func TestBadInput(t *testing.T) {
	be := backend(t)
	good := func() []ttt.HeadInput { return problems(ttt.Linear, 2, 10, 8, 4, 1) }
	cases := map[string]func() ([]ttt.HeadInput, ttt.Form){
		"no heads": func() ([]ttt.HeadInput, ttt.Form) { return nil, ttt.Dual },
		"NaN in XK": func() ([]ttt.HeadInput, ttt.Form) {
			h := good()
			h[1].Seq.XK[3] = float32(math.NaN())
			return h, ttt.Dual
		},
		"short XV": func() ([]ttt.HeadInput, ttt.Form) { h := good(); h[0].Seq.XV = h[0].Seq.XV[:5]; return h, ttt.Dual },
		"mixed shapes": func() ([]ttt.HeadInput, ttt.Form) {
			h := good()
			h[1] = problems(ttt.Linear, 1, 10, 6, 4, 1)[0]
			return h, ttt.Dual
		},
		"naive at b=4":  func() ([]ttt.HeadInput, ttt.Form) { return good(), ttt.Naive },
		"mlp naive b=4": func() ([]ttt.HeadInput, ttt.Form) { return problems(ttt.MLP, 1, 10, 8, 4, 1), ttt.Naive },
		"d too large":   func() ([]ttt.HeadInput, ttt.Form) { return problems(ttt.Linear, 1, 3, MaxD+1, 1, 1), ttt.Dual },
		"b too large":   func() ([]ttt.HeadInput, ttt.Form) { return problems(ttt.Linear, 1, 70, 4, MaxB+1, 1), ttt.Dual },
		"W0 wrong size": func() ([]ttt.HeadInput, ttt.Form) {
			h := good()
			h[0].W0 = ttt.NewWeights(ttt.Linear, 4)
			return h, ttt.Dual
		},
		"unknown form": func() ([]ttt.HeadInput, ttt.Form) { return good(), ttt.Form(9) },
	}
	for name, mk := range cases {
		heads, f := mk()
		if _, err := be.Run(f, heads); err == nil {
			t.Errorf("%s: Run returned no error", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	if err := be.LinearAttention(make([]float32, 8), make([]float32, 8), make([]float32, 8), make([]float32, 7), 1, 2, 4); err == nil {
		t.Error("LinearAttention with a short V returned no error")
	}
	if _, err := be.RunBare(ttt.Naive, &ttt.BareSpec{D: 4, B: 2, Q: make([]float32, 8), K: make([]float32, 8), V: make([]float32, 8)}, 2); err == nil {
		t.Error("RunBare(naive) at b = 2 returned no error")
	}
	if err := validationError(be); err == nil {
		t.Error("a dynamic offset past the uniform buffer gave no error")
	} else {
		t.Logf("validation: %v", err)
	}
	// The backend still works afterwards.
	if _, err := be.Run(ttt.Dual, good()); err != nil {
		t.Fatalf("after the errors: %v", err)
	}
}

// TestLostDevice destroys a device on purpose: every later call must return
// an error wrapping ErrDeviceLost, never panic or hang. (Natively the loss is
// recorded by destroy itself, since wgpu-native on lavapipe reports nothing;
// the browser harness loses a real device.)
func TestLostDevice(t *testing.T) {
	backend(t) // skip or fail as the others do when there is no adapter
	be, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	heads := problems(ttt.Linear, 1, 20, 8, 16, 1)
	if _, err := be.Run(ttt.Dual, heads); err != nil {
		t.Fatal(err)
	}
	be.Destroy()
	_, err = be.Run(ttt.Dual, heads)
	if !errors.Is(err, ErrDeviceLost) {
		t.Fatalf("Run on a destroyed device = %v, want ErrDeviceLost", err)
	}
	t.Log(err)
	if _, err := be.NewStream([]*ttt.Head{heads[0].Head}, []*ttt.Weights{heads[0].W0}); !errors.Is(err, ErrDeviceLost) {
		t.Fatalf("NewStream on a destroyed device = %v, want ErrDeviceLost", err)
	}
	if _, err := be.SelfTest(); !errors.Is(err, ErrDeviceLost) {
		t.Fatalf("SelfTest on a destroyed device = %v, want ErrDeviceLost", err)
	}
}

// TestSelfTest runs the backend's own GPU-vs-CPU check.
func TestSelfTest(t *testing.T) {
	be := backend(t)
	msg, err := be.SelfTest()
	if err != nil {
		t.Fatal(err)
	}
	t.Log(msg)
}

// TestNoAdapter runs New in a child process whose Vulkan loader finds no
// driver: it must return an error wrapping ErrNoAdapter that says what to
// install, not crash or hang.
func TestNoAdapter(t *testing.T) {
	if os.Getenv("TTT_GPU_NO_ADAPTER_CHILD") == "1" {
		be, err := New()
		if err == nil {
			be.Close()
			fmt.Println("RESULT: New found an adapter")
			os.Exit(3)
		}
		fmt.Printf("RESULT: %v (ErrNoAdapter: %v)\n", err, errors.Is(err, ErrNoAdapter))
		os.Exit(0)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestNoAdapter$", "-test.count=1")
	cmd.Env = append(os.Environ(), "TTT_GPU_NO_ADAPTER_CHILD=1",
		"VK_ICD_FILENAMES=/nonexistent/icd.json", "VK_DRIVER_FILES=/nonexistent/icd.json")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the child with no Vulkan driver failed: %v\n%s", err, out)
	}
	i := strings.Index(string(out), "RESULT: ")
	if i < 0 {
		t.Fatalf("the child printed no result:\n%s", out)
	}
	line, _, _ := strings.Cut(string(out[i+len("RESULT: "):]), "\n")
	if !strings.HasSuffix(line, "(ErrNoAdapter: true)") || !strings.Contains(line, "install a Vulkan driver") {
		t.Fatalf("New with no Vulkan driver: %s", line)
	}
	t.Log(line)
}

// validationError records a dispatch whose dynamic offset lies past the end of
// the uniform buffer, which WebGPU must reject, and returns what came back.
func validationError(be *Backend) error {
	be.mu.Lock()
	defer be.mu.Unlock()
	p, err := be.pipeline(shaders.AttnLinear)
	if err != nil {
		return err
	}
	bg, err := be.ws.bindGroup()
	if err != nil {
		return err
	}
	be.d.pushScopes()
	enc, err := be.d.dev.CreateCommandEncoder(nil)
	if err == nil {
		pass := enc.BeginComputePass(nil)
		pass.SetPipeline(p)
		pass.SetBindGroup(0, bg, []uint32{uint32(be.ws.caps[bufUni]) + slotSize})
		pass.DispatchWorkgroups(1, 1, 1)
		err = be.d.endPass(pass)
		if err == nil {
			var cmd *wgpu.CommandBuffer
			cmd, err = enc.Finish(nil)
			if err == nil {
				be.d.submit(cmd)
				cmd.Release()
			}
		}
		enc.Release()
	}
	if perr := be.d.popScopes(); err == nil {
		err = perr
	}
	return err
}
