package lm

import (
	"bytes"
	"runtime"
	"slices"
	"strings"
	"testing"
)

const overfitText = `Call me Ishmael. Some years ago, never mind how long precisely, having
little or no money in my purse, and nothing particular to interest me on
shore, I thought I would sail about a little and see the watery part of
the world. It is a way I have of driving off the spleen and regulating
the circulation. Whenever I find myself growing grim about the mouth;
whenever it is a damp, drizzly November in my soul; whenever I find
myself involuntarily pausing before coffin warehouses, and bringing up
the rear of every funeral I meet; and especially whenever my hypos get
such an upper hand of me, that it requires a strong moral principle to
prevent me from deliberately stepping into the street, and methodically
knocking people’s hats off, then, I account it high time to get to sea
as soon as I can.
`

func smallConfig(m Mixer) Config {
	return Config{Mixer: m, Vocab: len(vocabRunes), D: 32, H: 2, Layers: 1, FFN: 64, B: 8, Context: 64, BaseLR: 1, RopeTheta: 10000}
}

// TestOverfit: a small TTT model memorises a fixed ~800-character text:
// the training loss falls from ln 83 ≈ 4.4 below 1.6 nats/char in 300 steps
// (1.475 measured; training is deterministic, so this is a regression check).
func TestOverfit(t *testing.T) {
	tokens, err := Encode(overfitText)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := New(smallConfig(TTTLinear), 1)
	tc := TrainConfig{Steps: 300, Batch: 8, LR: 1e-2, MinLR: 1e-3, Warmup: 20, WeightDecay: 0.1, Clip: 1, Seed: 1}
	tr, err := NewTrainer(m, tc, tokens)
	if err != nil {
		t.Fatal(err)
	}
	var first, last float64
	for tr.Step < tc.Steps {
		l, _ := tr.TrainStep()
		if tr.Step == 1 {
			first = l
		}
		last = l
	}
	t.Logf("overfit: loss %.3f → %.3f nats/char in %d steps", first, last, tc.Steps)
	if !(last < 1.6) {
		t.Fatalf("overfit: loss %.3f → %.3f after %d steps, want < 1.6", first, last, tc.Steps)
	}
}

// trainBytes trains a few steps and returns the saved weights.
func trainBytes(t *testing.T, mixer Mixer, procs int) []byte {
	t.Helper()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	tokens, _ := Encode(strings.Repeat(overfitText, 2))
	m, _ := New(smallConfig(mixer), 2)
	tr, err := NewTrainer(m, TrainConfig{Steps: 4, Batch: 5, LR: 1e-2, MinLR: 1e-3, Warmup: 2, WeightDecay: 0.1, Clip: 1, Seed: 3}, tokens)
	if err != nil {
		t.Fatal(err)
	}
	for tr.Step < tr.TC.Steps {
		tr.TrainStep()
	}
	var buf bytes.Buffer
	if err := m.Save(&buf, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestDeterministic: training gives the same bytes with 1 and 3 threads.
func TestDeterministic(t *testing.T) {
	for _, mixer := range []Mixer{TTTLinear, TTTMLP, Attention, LinearAttention, RoPELinearAttention} {
		if a, b := trainBytes(t, mixer, 1), trainBytes(t, mixer, 3); !bytes.Equal(a, b) {
			t.Errorf("%s: weights differ between GOMAXPROCS 1 and 3", mixer)
		}
	}
}

// TestResume: 2 steps, checkpoint, resume, 2 more equals 4 straight steps.
func TestResume(t *testing.T) {
	tokens, _ := Encode(strings.Repeat(overfitText, 2))
	tc := TrainConfig{Steps: 4, Batch: 3, LR: 1e-2, MinLR: 1e-3, Warmup: 1, WeightDecay: 0.1, Clip: 1, Seed: 4}
	m1, _ := New(smallConfig(TTTLinear), 5)
	straight, _ := NewTrainer(m1, tc, tokens)
	for straight.Step < 4 {
		straight.TrainStep()
	}
	m2, _ := New(smallConfig(TTTLinear), 5)
	half, _ := NewTrainer(m2, tc, tokens)
	half.TrainStep()
	half.TrainStep()
	var ck bytes.Buffer
	if err := half.SaveCheckpoint(&ck); err != nil {
		t.Fatal(err)
	}
	resumed, err := ResumeTrainer(ck.Bytes(), tokens)
	if err != nil {
		t.Fatal(err)
	}
	for resumed.Step < 4 {
		resumed.TrainStep()
	}
	if !slices.Equal(straight.M.Params.Flat, resumed.M.Params.Flat) {
		t.Fatal("resumed run differs from the straight run")
	}
}

// TestSafetensorsRoundTrip: Save then Load gives the same parameters and
// config; every truncation of the file is an error, never a model.
func TestSafetensorsRoundTrip(t *testing.T) {
	m, _ := New(tinyConfig(TTTLinear), 1)
	var buf bytes.Buffer
	if err := m.Save(&buf, map[string]string{"note": "x"}); err != nil {
		t.Fatal(err)
	}
	got, meta, err := Load(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if got.Config != m.Config || !slices.Equal(got.Params.Flat, m.Params.Flat) || meta["note"] != "x" {
		t.Fatal("round trip changed the model")
	}
	b := buf.Bytes()
	for _, n := range []int{0, 7, 8, 20, len(b) / 2, len(b) - 4} {
		if _, _, err := Load(b[:n]); err == nil {
			t.Errorf("Load of the first %d of %d bytes succeeded", n, len(b))
		}
	}
	bad := slices.Clone(b)
	copy(bad[bytes.Index(bad, []byte(`"F32"`)):], `"F16"`)
	if _, _, err := Load(bad); err == nil || !strings.Contains(err.Error(), "dtype") {
		t.Errorf("Load with an F16 tensor: %v, want a dtype error", err)
	}
}

// TestRepeatWindows: with Repeat a window is the text at the same offset as
// without, but for a segment read twice; the draws depend on (Seed, step)
// alone; FixedTau leaves τ at 0.
func TestRepeatWindows(t *testing.T) {
	text := make([]int, 400)
	for i := range text {
		text[i] = i % len(vocabRunes)
	}
	got := repeatWindow(make([]int, 11), text, 2, 3)
	if want := []int{0, 1, 2, 3, 4, 2, 3, 4, 5, 6, 7}; !slices.Equal(got, want) {
		t.Fatalf("repeatWindow(p 2, L 3) = %v, want %v", got, want)
	}
	c := smallConfig(TTTLinear)
	tc := TrainConfig{Steps: 2, Batch: 8, LR: 1e-3, MinLR: 1e-4, Warmup: 1, Clip: 1, Seed: 3, Repeat: 0.5, FixedTau: true}
	m, _ := New(c, 1)
	tr, err := NewTrainer(m, tc, text)
	if err != nil {
		t.Fatal(err)
	}
	repeats := 0
	for i, off := range tr.batchOffsets(0) {
		w := slices.Clone(tr.window(0, i, off))
		plain := text[off : off+c.Context+1]
		if slices.Equal(w, plain) {
			continue
		}
		repeats++
		// Some segment w[p:p+L] = w[p+L:p+2L] with the text before and after in place.
		found := false
		for L := minRepeat; L <= c.Context/2 && !found; L++ {
			for p := 0; p+2*L <= c.Context+1; p++ {
				if slices.Equal(w[:p+L], plain[:p+L]) && slices.Equal(w[p+L:p+2*L], plain[p:p+L]) && slices.Equal(w[p+2*L:], plain[p+L:c.Context+1-L]) {
					found = true
					break
				}
			}
		}
		if !found {
			t.Errorf("window %d is neither the text nor a repeat of it: %v", i, w)
		}
		if again := tr.window(0, i, off); !slices.Equal(again, w) {
			t.Errorf("window %d drawn twice differs", i)
		}
	}
	if repeats == 0 || repeats == tc.Batch {
		t.Errorf("%d of %d windows hold a repeat at p = 0.5", repeats, tc.Batch)
	}
	tr.TrainStep()
	for _, b := range m.Params.Blocks {
		for _, v := range b.Tau {
			if v != 0 {
				t.Fatalf("FixedTau: τ = %v after a step, want 0", b.Tau)
			}
		}
	}
}

// TestPairsWindows: with Pairs (2: as many as fit a context of 64) a repeat window is the text at its offset
// with that many segments, each read twice at once, inserted: text
// segments (Random 0) come from the text where they sit, so reading the
// window, every jump back is a repeat of the L characters before it;
// random segments (Random 1) are runs of letters, each two equal halves of
// minRepeat..RepeatMax.
func TestPairsWindows(t *testing.T) {
	c := smallConfig(TTTLinear) // context 64 < 83: a window's text tokens are distinct
	text := make([]int, 400)
	for i := range text {
		text[i] = i % len(vocabRunes)
	}
	letter := func(v int) bool { return vocabRunes[v] >= 'a' && vocabRunes[v] <= 'z' }
	for _, random := range []float32{0, 1} {
		tc := TrainConfig{Steps: 2, Batch: 16, LR: 1e-3, MinLR: 1e-4, Warmup: 1, Clip: 1, Seed: 5, Repeat: 1, Random: random, Pairs: 2, RepeatMax: minRepeat + 4}
		if random == 1 { // text without letters: the letters are the segments
			for i := range text {
				text[i] = strings.IndexRune(Vocab, ' ')
			}
		}
		if err := tc.Validate(); err != nil {
			t.Fatal(err)
		}
		m, _ := New(c, 1)
		tr, err := NewTrainer(m, tc, text)
		if err != nil {
			t.Fatal(err)
		}
		for i, off := range tr.batchOffsets(1) {
			w := slices.Clone(tr.window(1, i, off))
			if len(w) != c.Context+1 {
				t.Fatalf("window %d has %d tokens, want %d", i, len(w), c.Context+1)
			}
			pairs := 0
			if random == 0 {
				if w[0] != text[off] {
					t.Errorf("window %d starts with %d, want the text's %d", i, w[0], text[off])
				}
				for j := 1; j < len(w); j++ {
					if w[j] == (w[j-1]+1)%len(vocabRunes) {
						continue
					}
					L := (w[j-1] + 1 - w[j] + len(vocabRunes)) % len(vocabRunes)
					if L < minRepeat || L > tc.RepeatMax || j < L || !slices.Equal(w[j:min(j+L, len(w))], w[j-L:j-L+min(L, len(w)-j)]) {
						t.Fatalf("window %d jumps from %d to %d at %d: not a repeat of %d..%d characters: %v", i, w[j-1], w[j], j, minRepeat, tc.RepeatMax, w)
					}
					pairs++
					j += L - 1
				}
			} else {
				for j := 0; j < len(w); {
					if !letter(w[j]) {
						j++
						continue
					}
					e := j
					for e < len(w) && letter(w[e]) {
						e++
					}
					// The run is one or more (segment, segment) pairs.
					for j < e {
						L := minRepeat
						for ; L <= tc.RepeatMax && !(j+2*L <= e && slices.Equal(w[j:j+L], w[j+L:j+2*L])); L++ {
						}
						if L > tc.RepeatMax {
							t.Fatalf("window %d: letters %d..%d are not pairs of equal halves: %v", i, j, e, w[j:e])
						}
						pairs++
						j += 2 * L
					}
				}
			}
			if pairs != tc.Pairs {
				t.Errorf("window %d (random %v) holds %d repeats, want %d", i, random, pairs, tc.Pairs)
			}
		}
	}
}
