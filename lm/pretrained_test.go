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
	path := filepath.Join("..", "..", DataPath)
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
	m, err := Pretrained()
	if err != nil {
		t.Fatal(err)
	}
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
	m, err := Pretrained()
	if err != nil {
		t.Fatal(err)
	}
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
