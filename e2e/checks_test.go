//go:build !js

package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"tttexplainer/ttt"
	"tttexplainer/ttt/golden"
)

// replayGolden replays each named reference case (every one for nil names) through the page's
// ttt.replay on each backend and checks every array at ttt.AbsTol +
// ttt.RelTol. eval runs a script in whichever browser holds the page and
// returns its value, the replay's output as JSON text.
func replayGolden(t *testing.T, names, backends []string, eval func(script string) string) {
	t.Helper()
	cases, err := golden.Cases()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		name := c.Name
		if names != nil && !slices.Contains(names, name) {
			continue
		}
		for _, be := range backends {
			text := eval(fmt.Sprintf(`ttt.replay(%s, %q).then(JSON.stringify)`, jsString(string(c.JSON)), be))
			got, err := ttt.DecodeOutput([]byte(text))
			if err != nil {
				t.Fatalf("%s on %s: %v", name, be, err)
			}
			worst := 0.0
			for _, d := range ttt.Compare(got, c.Want, ttt.AbsTol, ttt.RelTol) {
				worst = max(worst, d.MaxAbs)
				if !d.OK() {
					t.Errorf("%s on %s: %v", name, be, d)
				}
			}
			t.Logf("%-36s %-6s max |Δ| = %.2e", name, be, worst)
		}
	}
}

// checkCPUFallback checks that a page with no WebGPU adapter chose the CPU
// and says why, in ttt.ready's reason and on the page.
func checkCPUFallback(t *testing.T, r readyInfo, eval func(script string) string) {
	t.Helper()
	if r.Backend != "cpu" || r.GPU {
		t.Fatalf("without WebGPU: backend %q (gpu %v)", r.Backend, r.GPU)
	}
	if !strings.Contains(r.Reason, "adapter") && !strings.Contains(r.Reason, "navigator.gpu") {
		t.Errorf("reason %q does not say why there is no GPU", r.Reason)
	}
	shown := eval(`document.getElementById("backend").textContent`)
	if !strings.Contains(shown, "CPU") || !strings.Contains(shown, "adapter") && !strings.Contains(shown, "navigator.gpu") {
		t.Errorf("the page says %q about its backend", shown)
	}
	t.Logf("the page says: %s", shown)
}
