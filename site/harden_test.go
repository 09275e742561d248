//go:build !js

package site

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// request is one request to h from the given client address and Host.
func request(h http.Handler, method, target, host, remote, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.Host, req.RemoteAddr = host, remote
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestHostNotReflected: with a base URL, a request's Host header never
// reaches a link (a create's url and embed_url, oEmbed, the page's
// discovery link) unless it is one of the configured other names.
func TestHostNotReflected(t *testing.T) {
	ts := newTestSite(t)
	ts.h.cfg.BaseURL = "https://ttt.example/"
	ts.h.cfg.Hosts = []string{"localhost:8080"}
	rec := request(ts.h, "POST", "/api/scenarios", "evil.example", "192.0.2.1:1234", `{}`)
	if rec.Code != 201 || strings.Contains(rec.Body.String(), "evil") || !strings.Contains(rec.Body.String(), `"url":"https://ttt.example/s/`) {
		t.Fatalf("POST with Host evil.example = %d %s; want links on https://ttt.example", rec.Code, rec.Body)
	}
	var c created
	if err := json.Unmarshal(rec.Body.Bytes(), &c); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{
		"/oembed?url=https://ttt.example/s/" + c.ID,
		"/s/" + c.ID,
		"/e/" + c.ID,
	} {
		rec := request(ts.h, "GET", target, "evil.example", "192.0.2.1:1234", "")
		if rec.Code != 200 || strings.Contains(rec.Body.String(), "evil") || !strings.Contains(rec.Body.String(), "https://ttt.example/") {
			t.Errorf("GET %s with Host evil.example = %d %.300s; want links on https://ttt.example only", target, rec.Code, rec.Body)
		}
	}
	if rec := request(ts.h, "GET", "/oembed?url=https://evil.example/s/"+c.ID, "evil.example", "192.0.2.1:1234", ""); rec.Code != 404 {
		t.Errorf("oEmbed of a URL on the Host header's host = %d; want 404", rec.Code)
	}
	// A configured other name keeps its links, with the base's scheme.
	rec = request(ts.h, "GET", "/oembed?url=https://ttt.example/s/"+c.ID, "LOCALHOST:8080", "127.0.0.1:1234", "")
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "https://localhost:8080/e/"+c.ID) {
		t.Errorf("oEmbed on localhost:8080 = %d %s; want links on https://localhost:8080", rec.Code, rec.Body)
	}
}

func TestParseBaseURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://ttt.example":      "https://ttt.example",
		"https://TTT.example/":     "https://ttt.example",
		"http://127.0.0.1:8080":    "http://127.0.0.1:8080",
		"ftp://ttt.example":        "",
		"ttt.example":              "",
		"https://":                 "",
		"https://ttt.example/page": "",
		"https://ttt.example/?q=1": "",
		"https://u:p@ttt.example":  "",
	} {
		got, err := ParseBaseURL(in)
		if got != want || (err == nil) != (want != "") {
			t.Errorf("ParseBaseURL(%q) = %q, %v; want %q", in, got, err, want)
		}
		if err != nil && !strings.Contains(err.Error(), in) {
			t.Errorf("ParseBaseURL(%q): error %q does not name the URL", in, err)
		}
	}
}

// brokenStore fails as a real store can, with its file's path in the error.
type brokenStore struct{}

var errBroken = errors.New("read /var/lib/ttt/data/scenarios.db: input/output error (from 10.0.0.7:5432)")

func (brokenStore) Put(context.Context, string, []byte) error   { return errBroken }
func (brokenStore) Get(context.Context, string) ([]byte, error) { return nil, errBroken }

// TestErrorsHideDetails: a failing store's error (paths, addresses) is
// logged, and the answer says only what failed.
func TestErrorsHideDetails(t *testing.T) {
	var mu sync.Mutex
	var logged []string
	h := New(Config{Store: brokenStore{}, BaseURL: testOrigin, Logf: func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		logged = append(logged, strings.TrimSpace(fmt.Sprintf(format, args...)))
	}})
	id := NewID()
	for _, tt := range []struct{ method, target, body string }{
		{"POST", "/api/scenarios", `{}`},
		{"GET", "/api/scenarios/" + id, ""},
		{"GET", "/s/" + id, ""},
		{"GET", "/e/" + id, ""},
		{"GET", "/oembed?url=" + testOrigin + "/s/" + id, ""},
	} {
		logged = nil
		rec := request(h, tt.method, tt.target, "ttt.test", "192.0.2.1:1", tt.body)
		body := rec.Body.String()
		if rec.Code != 500 || strings.Contains(body, "/var/lib") || strings.Contains(body, "10.0.0.7") || !strings.Contains(body, "failed") {
			t.Errorf("%s %s = %d %s; want a 500 without the store's error", tt.method, tt.target, rec.Code, body)
		}
		if len(logged) != 1 || !strings.Contains(logged[0], errBroken.Error()) {
			t.Errorf("%s %s logged %q; want the store's error", tt.method, tt.target, logged)
		}
	}
}

// TestCreateRateLimit: a client's creates beyond its burst get 429 with
// Retry-After until its bucket refills; other clients and reads go on.
func TestCreateRateLimit(t *testing.T) {
	ts := newTestSite(t)
	tb := NewTokenBucket(6, 3) // one token every 10 s
	now := time.Unix(1_000_000, 0)
	tb.now = func() time.Time { return now }
	ts.h.cfg.CreateLimit = tb
	var id string
	for i := range 3 {
		rec := request(ts.h, "POST", "/api/scenarios", "ttt.test", "192.0.2.1:1000", `{}`)
		if rec.Code != 201 {
			t.Fatalf("create %d within the burst = %d %s", i, rec.Code, rec.Body)
		}
		var c created
		json.Unmarshal(rec.Body.Bytes(), &c)
		id = c.ID
	}
	rec := request(ts.h, "POST", "/api/scenarios", "ttt.test", "192.0.2.1:2000", `{}`)
	wantError(t, rec, 429)
	if got := rec.Header().Get("Retry-After"); got != "10" {
		t.Errorf("Retry-After = %q; want 10", got)
	}
	for range 20 {
		if rec := request(ts.h, "GET", "/api/scenarios/"+id, "ttt.test", "192.0.2.1:1000", ""); rec.Code != 200 {
			t.Fatalf("a read after the limit = %d; reads are not limited", rec.Code)
		}
	}
	if rec := request(ts.h, "POST", "/api/scenarios", "ttt.test", "192.0.2.2:1000", `{}`); rec.Code != 201 {
		t.Errorf("another client = %d; want 201", rec.Code)
	}
	now = now.Add(7 * time.Second)
	if rec := request(ts.h, "POST", "/api/scenarios", "ttt.test", "192.0.2.1:1000", `{}`); rec.Code != 429 || rec.Header().Get("Retry-After") != "3" {
		t.Errorf("7 s later = %d, Retry-After %q; want 429, 3", rec.Code, rec.Header().Get("Retry-After"))
	}
	now = now.Add(3 * time.Second)
	if rec := request(ts.h, "POST", "/api/scenarios", "ttt.test", "192.0.2.1:1000", `{}`); rec.Code != 201 {
		t.Errorf("10 s later = %d; want 201", rec.Code)
	}
	// Refilled buckets are forgotten.
	now = now.Add(time.Hour)
	tb.Allow(context.Background(), "192.0.2.9")
	if len(tb.buckets) != 1 {
		t.Errorf("%d buckets an hour later; want 1", len(tb.buckets))
	}
}

func TestClientKeys(t *testing.T) {
	req := func(remote string, headers ...string) *http.Request {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		for i := 0; i+1 < len(headers); i += 2 {
			r.Header.Add(headers[i], headers[i+1])
		}
		return r
	}
	xff := HeaderClient("X-Forwarded-For")
	for _, tt := range []struct {
		got, want string
	}{
		{RemoteClient(req("192.0.2.1:5000")), "192.0.2.1"},
		{RemoteClient(req("[2001:db8:1:2:3:4:5:6]:5000")), "2001:db8:1:2::/64"},
		{RemoteClient(req("[::ffff:192.0.2.1]:5000")), "192.0.2.1"},
		{RemoteClient(req("192.0.2.1:5000", "X-Forwarded-For", "198.51.100.1")), "192.0.2.1"},
		{xff(req("192.0.2.1:5000", "X-Forwarded-For", "203.0.113.9, 198.51.100.1")), "198.51.100.1"},
		{xff(req("192.0.2.1:5000", "X-Forwarded-For", "203.0.113.9", "X-Forwarded-For", "198.51.100.2")), "198.51.100.2"},
		{xff(req("192.0.2.1:5000")), "192.0.2.1"},
	} {
		if tt.got != tt.want {
			t.Errorf("client = %q; want %q", tt.got, tt.want)
		}
	}
}

// TestCreateQuota: a full store answers 507 and keeps what it has.
func TestCreateQuota(t *testing.T) {
	ts := newTestSite(t)
	ts.store.Max = 2
	id := ts.create(t, `{}`).ID
	ts.create(t, `{}`)
	e := wantError(t, ts.do("POST", "/api/scenarios", []byte(`{}`), "Content-Type", "application/json"), 507)
	if !strings.Contains(e.Error, "no new one can be saved") {
		t.Errorf("507 says %q", e.Error)
	}
	if rec := ts.do("GET", "/api/scenarios/"+id, nil); rec.Code != 200 {
		t.Errorf("a read from a full store = %d", rec.Code)
	}
}
