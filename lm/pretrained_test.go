package lm

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// readValidation reads the validation split of the npm data set, skipping
// the test where it is not installed unless TTT_REQUIRE_DATA=1 (make test).
func readValidation(t *testing.T) []int {
	t.Helper()
	path := filepath.Join("..", DataPath) // the repository root, from lm/
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("TTT_REQUIRE_DATA") == "1" {
			t.Fatalf("TTT_REQUIRE_DATA=1 but the training text is missing: %v (npm ci installs it)", err)
		}
		t.Skipf("no training text (%v); npm ci installs it", err)
	}
	_, val, err := ReadText(path)
	if err != nil {
		t.Fatal(err)
	}
	return val
}

// TestPretrainedValidationLoss: the committed weights score the validation
// loss they recorded when make train wrote them, on the first ValWindows
// windows of the validation split.
func TestPretrainedValidationLoss(t *testing.T) {
	m := pretrainedModel(t)
	meta, err := PretrainedMetadata()
	if err != nil {
		t.Fatal(err)
	}
	want, err := strconv.ParseFloat(meta["val_loss_first_windows"], 64)
	if err != nil {
		t.Fatalf("metadata val_loss_first_windows %q: %v", meta["val_loss_first_windows"], err)
	}
	ev, err := Evaluate(m, readValidation(t), ValWindows)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("validation loss on %d windows: %.6f nats/char (recorded %.6f), %.4f bits/char", ev.Windows, ev.Loss, want, ev.BPC)
	// On amd64 the loss is bit-for-bit what make train recorded; the margin
	// is for platforms where Go fuses multiply-adds (arm64), which move the
	// last float32 bits.
	if math.Abs(ev.Loss-want) > 1e-5 {
		t.Fatalf("validation loss = %.9f; want %.9f as recorded", ev.Loss, want)
	}
	if m.Config != DefaultConfig(TTTLinear) {
		t.Errorf("embedded config %+v, want DefaultConfig %+v", m.Config, DefaultConfig(TTTLinear))
	}
}

// TestPretrainedStreams: the page's path — the embedded model, streamed —
// gives each token of a validation window the loss the training forward gives it.
func TestPretrainedStreams(t *testing.T) {
	m := pretrainedModel(t)
	val := readValidation(t)
	T := 64
	w := newWork(m.Config)
	m.forward(w, val[:T], val[1:T+1])
	st, err := m.NewStream(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var worst float64
	for i, tok := range val[:T+1] {
		step, err := st.Step(tok)
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 {
			worst = max(worst, math.Abs(float64(step.Loss-w.loss[i-1])))
		}
	}
	t.Logf("stream vs forward on the trained model: maxdiff = %.2g", worst)
	if worst > streamTol {
		t.Fatalf("stream vs forward: maxdiff = %g, want ≤ %g", worst, streamTol)
	}
}

// TestPretrainedLearnsInContext: the committed model's W moves away from
// W0 as it reads and keeps moving across mini-batches (the weights before
// issue 11 had learnt τ so that W snapped back to W0 every b characters:
// ‖W − W0‖ was exactly 0 at 16, 32 and 64), and an English passage it never
// saw costs less the second time it is read (P + "\n" + P) by at least
// pretrainedCopyGain nats a character, as the model card records.
func TestPretrainedLearnsInContext(t *testing.T) {
	m := pretrainedModel(t)
	passages, err := Passages()
	if err != nil {
		t.Fatal(err)
	}
	drift, err := WeightDrift(m, passages[0], []int{16, 32, 64})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("mean ‖W − W0‖ after 16, 32, 64 characters: %.4f", drift)
	if !(drift[0] > 0 && drift[1] > drift[0] && drift[2] > drift[1]) {
		t.Errorf("mean ‖W − W0‖ after 16, 32, 64 characters = %v, want positive and growing", drift)
	}
	ce, err := EvaluateCopy(m, passages)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d passages read twice: %.4f nats/char the first time, %.4f the second (gain %.4f)", ce.Segments, ce.First, ce.Second, ce.Gain())
	if ce.Gain() < pretrainedCopyGain {
		t.Errorf("second reading gain %.4f nats/char, want ≥ %g", ce.Gain(), pretrainedCopyGain)
	}
}

// pretrainedCopyGain is the least second-reading gain the test accepts: the
// committed weights measure 0.249 nats/char on the six passages (the model
// card), short of issue 11's goal of 0.3; the test keeps them from getting
// worse, it does not claim the goal.
const pretrainedCopyGain = 0.2

// pretrainedModel is the committed model, or the test's end.
func pretrainedModel(t *testing.T) *Model {
	t.Helper()
	m, err := Pretrained()
	if err != nil {
		t.Fatal(err)
	}
	return m
}
