package golden

import (
	"strings"
	"testing"
)

// TestCases: every embedded case decodes, carries its expected outputs and
// its JSON, and Cases lists them in the order of Names.
func TestCases(t *testing.T) {
	cases, err := Cases()
	if err != nil {
		t.Fatal(err)
	}
	names := Names()
	if len(cases) != Count || len(names) != Count {
		t.Fatalf("Cases() = %d cases, Names() = %d, want %d", len(cases), len(names), Count)
	}
	for i, c := range cases {
		if c.Name != names[i] {
			t.Errorf("Cases()[%d].Name = %q, want %q", i, c.Name, names[i])
		}
		if len(c.Want) == 0 || c.Case == nil || !strings.HasPrefix(strings.TrimSpace(string(c.JSON)), "{") {
			t.Errorf("%s: decoded %v, %d expected arrays, JSON %.20q", c.Name, c.Case != nil, len(c.Want), c.JSON)
		}
	}
}
