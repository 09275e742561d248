//go:build !js

package site

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"tttexplainer/scenario"
)

// FuzzCreateScenario sends any bytes to POST /api/scenarios. Each answer is
// 201 or a JSON 400 (413 for an oversized body); after a 201 the stored
// scenario reads back, validates, and equals what the decoder made of the
// bytes.
func FuzzCreateScenario(f *testing.F) {
	for _, seed := range []string{
		`{}`,
		`{"model":"mlp","form":"dual","b":8,"lr":0.5,"width":"wide","ln":false,"seed":7,"input":"text","text":"hello","backend":"cpu","speed":100}`,
		`{"form":"naive","b":1}`,
		`{"input":"text","text":"</script><script>alert(1)</script>"}`,
		`{"b":"1"}`, `{"lr":1e999}`, `{"text":"\ud800"}`, `[]`, `null`, `{"b":16}{}`, "\xff",
	} {
		f.Add([]byte(seed))
	}
	ts := newTestSite(f)
	// The fuzzer minimizes interesting inputs by rerunning them thousands of
	// times: skip the fsync of each commit (the bbolt file is still real).
	ts.store.db.NoSync = true
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := ts.do("POST", "/api/scenarios", body, "Content-Type", "application/json")
		want, derr := scenario.DecodeJSON(body)
		switch rec.Code {
		case http.StatusCreated:
			if derr != nil {
				t.Fatalf("created a scenario the decoder refuses (%v)", derr)
			}
			var c created
			if err := json.Unmarshal(rec.Body.Bytes(), &c); err != nil || !ValidID(c.ID) {
				t.Fatalf("201 body %q: %v", rec.Body, err)
			}
			got := ts.do("GET", "/api/scenarios/"+c.ID, nil)
			s, err := scenario.DecodeJSON(got.Body.Bytes())
			if got.Code != 200 || err != nil || s != want {
				t.Fatalf("read back %d %q (%v); want %+v", got.Code, got.Body, err, want)
			}
			page := ts.do("GET", "/s/"+c.ID, nil).Body.String()
			if strings.Count(page, "</script>") != 2 || !bytes.Contains([]byte(page), []byte(`id="scenario">`)) {
				t.Fatalf("the page's markup changed: %q", page)
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			if rec.Code == http.StatusBadRequest && derr == nil {
				t.Fatalf("400 for a scenario the decoder accepts: %s", rec.Body)
			}
			var e apiError
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error == "" {
				t.Fatalf("error body %q is not JSON with an error", rec.Body)
			}
		default:
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	})
}
