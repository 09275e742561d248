//go:build !js

package site

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"tttexplainer/scenario"
)

const testOrigin = "http://ttt.test"

// countingStore is the real Bolt store with a count of lookups, to show
// that malformed ids never reach it.
type countingStore struct {
	*Bolt
	gets atomic.Int64
}

func (c *countingStore) Get(ctx context.Context, id string) ([]byte, error) {
	c.gets.Add(1)
	return c.Bolt.Get(ctx, id)
}

type testSite struct {
	h     *Handler
	store *countingStore
	web   string
}

// newTestSite serves a temporary web directory (index.html, embed.html, a
// wasm file with a gzip variant, a content-hashed script, a shader and a
// stylesheet) with a bbolt store in a temporary directory.
func newTestSite(t testing.TB) *testSite {
	t.Helper()
	web := t.TempDir()
	files := map[string]string{
		"index.html":         `<!doctype html><html lang="en"><HEAD><meta charset="utf-8"><title>TTT</title><script src="main.js"></script></HEAD><body></body></html>`,
		"embed.html":         `<!doctype html><html><head><title>embed</title></head><body></body></html>`,
		"main.js":            `console.log("hi")`,
		"main.0123abcd.js":   `console.log("hashed")`,
		"style.css":          `body{margin:0}`,
		"shaders/dual.wgsl":  `@compute @workgroup_size(1) fn main() {}`,
		"app.wasm":           "\x00asm\x01\x00\x00\x00" + strings.Repeat("wasm body ", 200),
		".secret":            "no",
		"sub/index.html":     `<!doctype html><title>sub</title>`,
		"report.json":        `{}`,
		"app.0123abcd.wasm":  "\x00asm\x01\x00\x00\x00",
		"icons/favicon.svg":  `<svg xmlns="http://www.w3.org/2000/svg"/>`,
		"wasm_exec.js":       `// go`,
		"data/notes.txt":     "notes",
		"data/notes.txt.gz":  gz("notes"),
		"data/notes.txt.br":  "pretend brotli",
		"shaders/empty.wgsl": "",
	}
	files["app.wasm.gz"] = gz(files["app.wasm"])
	for name, body := range files {
		p := filepath.Join(web, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := OpenBolt(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	store := &countingStore{Bolt: b}
	return &testSite{h: New(Config{Store: store, Assets: Dir(web)}), store: store, web: web}
}

func gz(s string) string {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(s))
	zw.Close()
	return buf.String()
}

// do sends one request through the handler; headers alternate key, value.
func (ts *testSite) do(method, target string, body []byte, headers ...string) *httptest.ResponseRecorder {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req := httptest.NewRequest(method, testOrigin+target, rd)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	ts.h.ServeHTTP(rec, req)
	return rec
}

// create stores a scenario and returns the answer.
func (ts *testSite) create(t *testing.T, body string) created {
	t.Helper()
	rec := ts.do("POST", "/api/scenarios", []byte(body), "Content-Type", "application/json")
	if rec.Code != http.StatusCreated {
		t.Fatalf("POST /api/scenarios = %d %s; want 201", rec.Code, rec.Body)
	}
	var c created
	if err := json.Unmarshal(rec.Body.Bytes(), &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// wantError checks a JSON error answer and returns its body.
func wantError(t *testing.T, rec *httptest.ResponseRecorder, status int) apiError {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status = %d; want %d (body %s)", rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q; want JSON", ct)
	}
	var e apiError
	dec := json.NewDecoder(rec.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil || e.Error == "" {
		t.Fatalf("error body is not {\"error\": ...}: %v", err)
	}
	if rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("an error has Cache-Control %q; want no-store", rec.Header().Get("Cache-Control"))
	}
	return e
}

func TestHealth(t *testing.T) {
	ts := newTestSite(t)
	rec := ts.do("GET", "/api/health", nil)
	if rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != `{"status":"ok"}` {
		t.Fatalf("GET /api/health = %d %s", rec.Code, rec.Body)
	}
}

func TestCreateAndRead(t *testing.T) {
	ts := newTestSite(t)
	in := `{"model":"mlp","form":"dual","b":8,"lr":0.5,"input":"text","text":"héllo, world ✓","seed":42}`
	rec := ts.do("POST", "/api/scenarios", []byte(in), "Content-Type", "application/json; charset=utf-8")
	if rec.Code != http.StatusCreated {
		t.Fatalf("POST = %d %s", rec.Code, rec.Body)
	}
	var c created
	if err := json.Unmarshal(rec.Body.Bytes(), &c); err != nil {
		t.Fatal(err)
	}
	if !ValidID(c.ID) {
		t.Fatalf("id %q is not a valid id", c.ID)
	}
	if got, want := rec.Header().Get("Location"), "/api/scenarios/"+c.ID; got != want {
		t.Errorf("Location = %q; want %q", got, want)
	}
	if c.URL != testOrigin+"/s/"+c.ID || c.EmbedURL != testOrigin+"/e/"+c.ID {
		t.Errorf("url, embed_url = %q, %q", c.URL, c.EmbedURL)
	}
	want, err := scenario.DecodeJSON([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	for _, method := range []string{"GET", "HEAD"} {
		rec = ts.do(method, "/api/scenarios/"+c.ID, nil)
		if rec.Code != 200 {
			t.Fatalf("%s = %d %s", method, rec.Code, rec.Body)
		}
		if rec.Header().Get("Cache-Control") != CacheImmutable {
			t.Errorf("Cache-Control = %q; want %q", rec.Header().Get("Cache-Control"), CacheImmutable)
		}
	}
	rec = ts.do("GET", "/api/scenarios/"+c.ID, nil)
	got, err := scenario.DecodeJSON(rec.Body.Bytes())
	if err != nil {
		t.Fatalf("the stored scenario does not decode: %v", err)
	}
	if got != want {
		t.Errorf("GET returned %+v; want %+v", got, want)
	}
	// Two creates of the same scenario are two ids.
	if c2 := ts.create(t, in); c2.ID == c.ID {
		t.Errorf("two creates gave the same id %q", c.ID)
	}
}

func TestCreateBadInput(t *testing.T) {
	ts := newTestSite(t)
	json := "application/json"
	tests := []struct {
		name, body, ctype string
		status            int
		field             string
	}{
		{"malformed JSON", `{"b": 16,`, json, 400, "body"},
		{"not an object", `[1,2]`, json, 400, "body"},
		{"empty body", ``, json, 400, "body"},
		{"trailing data", `{} {}`, json, 400, "body"},
		{"unknown field", `{"bogus": 1}`, json, 400, "bogus"},
		{"wrong type", `{"b": "sixteen"}`, json, 400, "b"},
		{"b out of range", `{"b": 0}`, json, 400, "b"},
		{"naive with b > 1", `{"form": "naive", "b": 4}`, json, 400, "b"},
		{"bad model", `{"model": "rnn"}`, json, 400, "model"},
		{"lr NaN-ish", `{"lr": -1}`, json, 400, "lr"},
		{"empty text", `{"input": "text", "text": "  "}`, json, 400, "text"},
		{"text too long", `{"input": "text", "text": "` + strings.Repeat("a", scenario.MaxText+1) + `"}`, json, 400, "text"},
		{"body over the limit", `{"input": "text", "text": "` + strings.Repeat("a", MaxBody) + `"}`, json, 413, ""},
		{"not JSON", `b=16`, "application/x-www-form-urlencoded", 415, ""},
		{"no Content-Type", `{}`, "", 415, ""},
		{"text/plain, as a no-cors fetch sends", `{}`, "text/plain;charset=UTF-8", 415, ""},
		{"JSON's type as a parameter", `{}`, "text/plain; type=application/json", 415, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := ts.do("POST", "/api/scenarios", []byte(tt.body), "Content-Type", tt.ctype)
			e := wantError(t, rec, tt.status)
			if e.Field != tt.field {
				t.Errorf("field = %q; want %q (error %q)", e.Field, tt.field, e.Error)
			}
			if tt.field != "" && !strings.Contains(e.Error, tt.field) {
				t.Errorf("error %q does not name the field %q", e.Error, tt.field)
			}
		})
	}
	// The longest text fits, even with every byte escaped by JSON.
	long := `{"input": "text", "text": "` + strings.Repeat(`\u0001`, scenario.MaxText) + `"}`
	ts.create(t, long)
	if n, _ := ts.store.Count(); n != 1 {
		t.Errorf("the store holds %d scenarios after one good create; want 1", n)
	}
}

func TestUnknownAndMalformedIDs(t *testing.T) {
	ts := newTestSite(t)
	c := ts.create(t, `{}`)
	unknown := NewID()
	for _, path := range []string{"/api/scenarios/", "/s/", "/e/"} {
		ts.store.gets.Store(0)
		wantError(t, ts.do("GET", path+unknown, nil), 404)
		if ts.store.gets.Load() != 1 {
			t.Errorf("%s{unknown id}: %d store lookups; want 1", path, ts.store.gets.Load())
		}
		for _, bad := range []string{
			"x",                                // short
			c.ID + "A",                         // long
			strings.Repeat("A", IDLen-1) + "=", // padding
			"AAAAAAAAAAAAAAAAAAAAA%2B",         // '+' (not base64url)
			strings.Repeat("A", IDLen-1) + "B", // stray low bits in the last character
			"..%2F..%2Fetc%2Fpasswd",
		} {
			ts.store.gets.Store(0)
			rec := ts.do("GET", path+bad, nil)
			if rec.Code != 404 {
				t.Errorf("GET %s%s = %d; want 404", path, bad, rec.Code)
				continue
			}
			wantError(t, rec, 404)
			if ts.store.gets.Load() != 0 {
				t.Errorf("GET %s%s reached the store", path, bad)
			}
		}
	}
	wantError(t, ts.do("GET", "/api/nope", nil), 404)
	wantError(t, ts.do("GET", "/api/scenarios/", nil), 404)
}

func TestMethodNotAllowed(t *testing.T) {
	ts := newTestSite(t)
	id := ts.create(t, `{}`).ID
	tests := []struct{ method, path, allow string }{
		{"GET", "/api/scenarios", "POST"},
		{"PUT", "/api/scenarios", "POST"},
		{"POST", "/api/health", "GET, HEAD"},
		{"DELETE", "/api/scenarios/" + id, "GET, HEAD"},
		{"POST", "/s/" + id, "GET, HEAD"},
		{"PUT", "/e/" + id, "GET, HEAD"},
		{"POST", "/oembed", "GET, HEAD"},
		{"POST", "/index.html", "GET, HEAD"},
		{"DELETE", "/", "GET, HEAD"},
	}
	for _, tt := range tests {
		rec := ts.do(tt.method, tt.path, []byte(`{}`))
		wantError(t, rec, 405)
		if got := rec.Header().Get("Allow"); got != tt.allow {
			t.Errorf("%s %s: Allow = %q; want %q", tt.method, tt.path, got, tt.allow)
		}
	}
}

func TestStaticTypesAndCaching(t *testing.T) {
	ts := newTestSite(t)
	tests := []struct{ path, ctype, cache string }{
		{"/", "text/html; charset=utf-8", CacheRevalidate},
		{"/index.html", "text/html; charset=utf-8", CacheRevalidate},
		{"/embed.html", "text/html; charset=utf-8", CacheRevalidate},
		{"/sub/", "text/html; charset=utf-8", CacheRevalidate},
		{"/main.js", "text/javascript; charset=utf-8", CacheRevalidate},
		{"/main.0123abcd.js", "text/javascript; charset=utf-8", CacheImmutable},
		{"/app.0123abcd.wasm", "application/wasm", CacheImmutable},
		{"/app.wasm", "application/wasm", CacheRevalidate},
		{"/style.css", "text/css; charset=utf-8", CacheRevalidate},
		{"/shaders/dual.wgsl", "text/wgsl; charset=utf-8", CacheRevalidate},
		{"/shaders/empty.wgsl", "text/wgsl; charset=utf-8", CacheRevalidate},
		{"/report.json", "application/json", CacheRevalidate},
		{"/icons/favicon.svg", "image/svg+xml", CacheRevalidate},
	}
	for _, tt := range tests {
		rec := ts.do("GET", tt.path, nil)
		if rec.Code != 200 {
			t.Errorf("GET %s = %d %s", tt.path, rec.Code, rec.Body)
			continue
		}
		h := rec.Header()
		if h.Get("Content-Type") != tt.ctype {
			t.Errorf("GET %s: Content-Type = %q; want %q", tt.path, h.Get("Content-Type"), tt.ctype)
		}
		if h.Get("Cache-Control") != tt.cache {
			t.Errorf("GET %s: Cache-Control = %q; want %q", tt.path, h.Get("Cache-Control"), tt.cache)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("ETag") == "" {
			t.Errorf("GET %s: nosniff %q, ETag %q", tt.path, h.Get("X-Content-Type-Options"), h.Get("ETag"))
		}
		// Revalidation: the ETag gives a 304.
		rec2 := ts.do("GET", tt.path, nil, "If-None-Match", h.Get("ETag"))
		if rec2.Code != http.StatusNotModified {
			t.Errorf("GET %s with If-None-Match = %d; want 304", tt.path, rec2.Code)
		}
	}
	if rec := ts.do("GET", "/sub", nil); rec.Code != http.StatusMovedPermanently || rec.Header().Get("Location") != "/sub/" {
		t.Errorf("GET /sub = %d Location %q; want 301 to /sub/", rec.Code, rec.Header().Get("Location"))
	}
	for _, path := range []string{"/missing.js", "/.secret", "/shaders/", "/%2e%2e/etc/passwd", "/data/"} {
		rec := ts.do("GET", path, nil)
		wantError(t, rec, 404)
	}
}

func TestStaticPrecompressed(t *testing.T) {
	ts := newTestSite(t)
	raw, _ := os.ReadFile(filepath.Join(ts.web, "app.wasm"))
	gzBody, _ := os.ReadFile(filepath.Join(ts.web, "app.wasm.gz"))
	tests := []struct {
		accept, encoding string
		body             []byte
	}{
		{"", "", raw},
		{"gzip", "gzip", gzBody},
		{"gzip, deflate, br, zstd", "gzip", gzBody}, // no .br of app.wasm
		{"gzip;q=0, deflate", "", raw},
		{"*", "gzip", gzBody},
		{"identity", "", raw},
	}
	for _, tt := range tests {
		rec := ts.do("GET", "/app.wasm", nil, "Accept-Encoding", tt.accept)
		h := rec.Header()
		if rec.Code != 200 || h.Get("Content-Encoding") != tt.encoding || !bytes.Equal(rec.Body.Bytes(), tt.body) {
			t.Errorf("Accept-Encoding %q: %d, Content-Encoding %q, %d bytes; want 200, %q, %d bytes",
				tt.accept, rec.Code, h.Get("Content-Encoding"), rec.Body.Len(), tt.encoding, len(tt.body))
		}
		if h.Get("Content-Type") != "application/wasm" || h.Get("Vary") != "Accept-Encoding" {
			t.Errorf("Accept-Encoding %q: Content-Type %q, Vary %q", tt.accept, h.Get("Content-Type"), h.Get("Vary"))
		}
	}
	// Brotli wins over gzip when both exist and both are accepted.
	rec := ts.do("GET", "/data/notes.txt", nil, "Accept-Encoding", "gzip, br")
	if rec.Header().Get("Content-Encoding") != "br" || rec.Body.String() != "pretend brotli" {
		t.Errorf("notes.txt with gzip, br: Content-Encoding %q", rec.Header().Get("Content-Encoding"))
	}
	// A file without variants does not vary.
	if v := ts.do("GET", "/main.js", nil, "Accept-Encoding", "gzip").Header().Get("Vary"); v != "" {
		t.Errorf("main.js: Vary %q; want none", v)
	}
}

func TestSecurityHeaders(t *testing.T) {
	ts := newTestSite(t)
	id := ts.create(t, `{}`).ID
	page := ts.do("GET", "/", nil).Header()
	for _, h := range []http.Header{page, ts.do("GET", "/s/"+id, nil).Header()} {
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"'wasm-unsafe-eval'", "frame-ancestors 'self'", "script-src 'self' 'wasm-unsafe-eval';", "object-src 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("page CSP %q lacks %q", csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-eval'") && !strings.Contains(csp, "'wasm-unsafe-eval'") || strings.Contains(csp, " 'unsafe-eval'") {
			t.Errorf("page CSP allows eval: %q", csp)
		}
		if h.Get("X-Frame-Options") != "SAMEORIGIN" || h.Get("Cross-Origin-Opener-Policy") != "same-origin" || h.Get("Cross-Origin-Embedder-Policy") != "require-corp" {
			t.Errorf("page headers: %v", h)
		}
	}
	for _, h := range []http.Header{ts.do("GET", "/embed.html", nil).Header(), ts.do("GET", "/e/"+id, nil).Header()} {
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors *") || !strings.Contains(csp, "'wasm-unsafe-eval'") {
			t.Errorf("embed CSP %q", csp)
		}
		if h.Get("X-Frame-Options") != "" || h.Get("Cross-Origin-Resource-Policy") != "cross-origin" {
			t.Errorf("embed view: X-Frame-Options %q, CORP %q; want none, cross-origin", h.Get("X-Frame-Options"), h.Get("Cross-Origin-Resource-Policy"))
		}
	}
	// frame-ancestors * appears nowhere but on the embed view.
	for _, path := range []string{"/", "/app.wasm", "/api/health", "/s/" + id, "/oembed?url=" + testOrigin + "/s/" + id} {
		if csp := ts.do("GET", path, nil).Header().Get("Content-Security-Policy"); strings.Contains(csp, "frame-ancestors *") {
			t.Errorf("%s may be framed by anyone: %q", path, csp)
		}
	}
}

func TestScenarioView(t *testing.T) {
	ts := newTestSite(t)
	c := ts.create(t, `{"model":"mlp","b":4}`)
	rec := ts.do("GET", "/s/"+c.ID, nil)
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET /s/{id} = %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	body := rec.Body.String()
	if !strings.HasPrefix(body, `<!doctype html><html lang="en"><HEAD><base href="/"><link rel="alternate" type="application/json+oembed" href="http://ttt.test/oembed?format=json&amp;url=http%3A%2F%2Fttt.test%2Fs%2F`+c.ID+`" title="TTT Explainer: TTT-MLP, stream form, b = 4`) {
		t.Errorf("GET /s/{id}: head starts %.300q", body)
	}
	s := scenarioIn(t, body)
	if s.Model != "mlp" || s.B != 4 {
		t.Errorf("the page's scenario = %+v", s)
	}
	if !strings.Contains(body, `<script src="main.js"></script><script type="application/json" id="scenario">`) || !strings.HasSuffix(body, "</script></HEAD><body></body></html>") {
		t.Errorf("the scenario is not at the end of the head: %q", body)
	}
	// The embed view is embed.html with the same scenario.
	body = ts.do("GET", "/e/"+c.ID, nil).Body.String()
	if !strings.Contains(body, "<title>embed</title>") || scenarioIn(t, body) != s {
		t.Errorf("GET /e/{id} = %q", body)
	}
	// Without embed.html the embed view is the page; without the page, a
	// minimal page that still carries the scenario.
	os.Remove(filepath.Join(ts.web, "embed.html"))
	if body = ts.do("GET", "/e/"+c.ID, nil).Body.String(); !strings.Contains(body, "<title>TTT</title>") {
		t.Errorf("GET /e/{id} without embed.html = %q", body)
	}
	os.Remove(filepath.Join(ts.web, "index.html"))
	for _, p := range []string{"/s/", "/e/"} {
		rec := ts.do("GET", p+c.ID, nil)
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), "not built yet") || scenarioIn(t, rec.Body.String()) != s {
			t.Errorf("GET %s{id} without the page = %d %q", p, rec.Code, rec.Body)
		}
	}
}

// scenarioIn reads the page's scenario as the page does: the text of the
// element with id "scenario", parsed as JSON.
func scenarioIn(t *testing.T, page string) scenario.Scenario {
	t.Helper()
	const open = `<script type="application/json" id="scenario">`
	i := strings.Index(page, open)
	if i < 0 || strings.Count(page, open) != 1 {
		t.Fatalf("no single scenario element in %q", page)
	}
	rest := page[i+len(open):]
	j := strings.Index(rest, "</script>")
	if j < 0 {
		t.Fatalf("the scenario element is not closed")
	}
	s, err := scenario.DecodeJSON([]byte(rest[:j]))
	if err != nil {
		t.Fatalf("the scenario element does not decode: %v", err)
	}
	return s
}

// TestNoHTMLInjection stores texts that try to break out of the scenario
// element or the head, and checks that the page carries each one as JSON
// text only: the markup is unchanged, and the text reads back exactly.
func TestNoHTMLInjection(t *testing.T) {
	ts := newTestSite(t)
	clean := ts.do("GET", "/s/"+ts.create(t, `{}`).ID, nil).Body.String()
	attacks := []string{
		`</script><script>alert(1)</script>`,
		`</SCRIPT ><img src=x onerror=alert(1)>`,
		`<!--<script>`,
		`"></title></head><body onload=alert(1)>`,
		"line\u2028separator\u2029and & &amp; &lt;",
		`{"model":"rnn"}</script>`,
		`<base href="https://evil.example/">`,
	}
	for _, text := range attacks {
		body, _ := json.Marshal(map[string]string{"input": "text", "text": text})
		c := ts.create(t, string(body))
		for _, p := range []string{"/s/", "/e/"} {
			page := ts.do("GET", p+c.ID, nil).Body.String()
			if got := scenarioIn(t, page).Text; got != text {
				t.Errorf("%s: text reads back as %q; want %q", p, got, text)
			}
			for _, bad := range []string{"<script>", "</SCRIPT", "<img", "<body onload", "<!--", "</title></head>", `<base href="https`, "\u2028"} {
				if strings.Contains(page, bad) {
					t.Errorf("%s page with text %q contains %q", p, text, bad)
				}
			}
			if p == "/s/" && (strings.Count(page, "<") != strings.Count(clean, "<") || strings.Count(page, ">") != strings.Count(clean, ">")) {
				t.Errorf("text %q changed the page's markup", text)
			}
		}
		// oEmbed's HTML names the scenario by its settings, never its text.
		rec := ts.do("GET", "/oembed?url="+c.URL, nil)
		var o OEmbed
		json.Unmarshal(rec.Body.Bytes(), &o)
		if strings.Contains(o.HTML, "alert") || strings.Contains(o.Title, "alert") {
			t.Errorf("oEmbed carries the text: %q", o.HTML)
		}
	}
}

func TestOEmbed(t *testing.T) {
	ts := newTestSite(t)
	c := ts.create(t, `{"form":"dual","b":8,"lr":1}`)
	get := func(query string) (*httptest.ResponseRecorder, OEmbed) {
		rec := ts.do("GET", "/oembed?"+query, nil)
		var o OEmbed
		if rec.Code == 200 {
			dec := json.NewDecoder(rec.Body)
			dec.DisallowUnknownFields()
			if err := dec.Decode(&o); err != nil {
				t.Fatalf("oEmbed %s: %v", query, err)
			}
		}
		return rec, o
	}
	rec, o := get("url=" + c.URL + "&format=json")
	if rec.Code != 200 || o.Version != "1.0" || o.Type != "rich" || o.ProviderName == "" || o.ProviderURL != testOrigin+"/" {
		t.Fatalf("oEmbed = %d %+v", rec.Code, o)
	}
	if rec.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("oEmbed is not readable cross-origin")
	}
	wantHTML := `<iframe src="http://ttt.test/e/` + c.ID + `" title="TTT Explainer: TTT-Linear, dual form, b = 8, η = 1, repeat input" width="720" height="480" style="border:0;max-width:100%" loading="lazy" allow="cross-origin-isolated; fullscreen"></iframe>`
	if o.HTML != wantHTML || o.Width != 720 || o.Height != 480 {
		t.Errorf("oEmbed html = %s (%d×%d); want %s", o.HTML, o.Width, o.Height, wantHTML)
	}
	// The embed view's URL gives the same answer.
	if _, o2 := get("url=" + c.EmbedURL); o2 != o {
		t.Errorf("oEmbed of /e/{id} = %+v; want %+v", o2, o)
	}
	// maxwidth and maxheight shrink the frame and keep 3:2.
	for _, tt := range []struct {
		q    string
		w, h int
	}{
		{"&maxwidth=360", 360, 240},
		{"&maxheight=300", 450, 300},
		{"&maxwidth=600&maxheight=300", 450, 300},
		{"&maxwidth=2000&maxheight=2000", 720, 480},
	} {
		_, o := get("url=" + c.URL + tt.q)
		if o.Width != tt.w || o.Height != tt.h || !strings.Contains(o.HTML, `width="`+itoa(tt.w)+`" height="`+itoa(tt.h)+`"`) {
			t.Errorf("oEmbed %s: %d×%d; want %d×%d", tt.q, o.Width, o.Height, tt.w, tt.h)
		}
	}
	// The page's own URL (its state in the query) embeds embed.html with it.
	_, o = get("url=" + testOrigin + "/%3Fmodel%3Dmlp%26b%3D4")
	if !strings.Contains(o.HTML, `src="http://ttt.test/embed.html?b=4&amp;model=mlp"`) || !strings.Contains(o.Title, "TTT-MLP") {
		t.Errorf("oEmbed of the page URL: %s", o.HTML)
	}

	wantError(t, ts.do("GET", "/oembed?url="+c.URL+"&format=xml", nil), 501)
	wantError(t, ts.do("GET", "/oembed", nil), 400)
	wantError(t, ts.do("GET", "/oembed?url="+c.URL+"&maxwidth=wide", nil), 400)
	wantError(t, ts.do("GET", "/oembed?url="+c.URL+"&maxheight=0", nil), 400)
	wantError(t, ts.do("GET", "/oembed?url=%3Fb%3D0", nil), 404) // not absolute
	wantError(t, ts.do("GET", "/oembed?url="+testOrigin+"/%3Fb%3D0", nil), 400)
	wantError(t, ts.do("GET", "/oembed?url=https://other.example/s/"+c.ID, nil), 404)
	wantError(t, ts.do("GET", "/oembed?url="+testOrigin+"/s/"+NewID(), nil), 404)
	wantError(t, ts.do("GET", "/oembed?url="+testOrigin+"/s/nope", nil), 404)
	wantError(t, ts.do("GET", "/oembed?url="+testOrigin+"/app.wasm", nil), 404)
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestBaseURL: links and oEmbed use the configured public origin.
func TestBaseURL(t *testing.T) {
	ts := newTestSite(t)
	ts.h.cfg.BaseURL = "https://ttt.example/"
	c := ts.create(t, `{}`)
	if c.URL != "https://ttt.example/s/"+c.ID {
		t.Errorf("url = %q", c.URL)
	}
	rec := ts.do("GET", "/oembed?url=https://ttt.example/s/"+c.ID, nil)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `https://ttt.example/e/`+c.ID) {
		t.Errorf("oEmbed with a base URL = %d %s", rec.Code, rec.Body)
	}
}

func TestAcceptsEncoding(t *testing.T) {
	tests := []struct {
		header, coding string
		want           bool
	}{
		{"", "gzip", false},
		{"gzip", "gzip", true},
		{"GZIP", "gzip", true},
		{"deflate, gzip;q=0.5", "gzip", true},
		{"gzip;q=0", "gzip", false},
		{"gzip; q=0.000", "gzip", false},
		{"*", "br", true},
		{"*;q=0, gzip", "br", false},
		{"br;q=0, *", "br", false},
		{"gzipx", "gzip", false},
	}
	for _, tt := range tests {
		if got := accepts(tt.header, tt.coding); got != tt.want {
			t.Errorf("accepts(%q, %q) = %v; want %v", tt.header, tt.coding, got, tt.want)
		}
	}
}
