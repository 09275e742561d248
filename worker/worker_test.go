//go:build !js

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"tttexplainer/scenario"
	"tttexplainer/site"
)

// TestHeadersFile: a catch-all rule gives any path (wrangler's redirects
// included) nosniff, the referrer policy and a CSP; each file's rule
// replaces what it must, so that every header has one value: the page's
// CSP on the page, frame-ancestors * only on the embed view, and the
// content types that the page's files need.
func TestHeadersFile(t *testing.T) {
	hf, err := headersFile([]string{"index.html", "embed.html", "app.wasm", "shaders/dual.wgsl", "app.0123abcd.js"})
	if err != nil {
		t.Fatal(err)
	}
	rules, order := map[string][]string{}, []string{}
	var cur string
	for _, line := range strings.Split(hf, "\n") {
		switch {
		case strings.HasPrefix(line, "/"):
			cur = line
			order = append(order, line)
		case strings.HasPrefix(line, "  "):
			rules[cur] = append(rules[cur], strings.TrimSpace(line))
		}
	}
	if len(order) == 0 || order[0] != "/*" {
		t.Fatalf("the first rule is not the catch-all /*:\n%s", hf)
	}
	// The headers of a path, as wrangler applies the rules: the catch-all,
	// then the path's own, where "! Name" detaches a header.
	headers := func(path string) http.Header {
		h := http.Header{}
		for _, rule := range []string{"/*", path} {
			for _, l := range rules[rule] {
				if name, ok := strings.CutPrefix(l, "! "); ok {
					h.Del(name)
					continue
				}
				k, v, _ := strings.Cut(l, ": ")
				h.Add(k, v)
			}
		}
		return h
	}
	for path, want := range map[string][2]string{
		"/":                  {"text/html; charset=utf-8", site.PageCSP},
		"/index.html":        {"text/html; charset=utf-8", site.PageCSP},
		"/embed":             {"text/html; charset=utf-8", site.EmbedCSP},
		"/embed.html":        {"text/html; charset=utf-8", site.EmbedCSP},
		"/app.wasm":          {"application/wasm", ""},
		"/shaders/dual.wgsl": {"text/wgsl; charset=utf-8", ""},
		"/app.0123abcd.js":   {"text/javascript; charset=utf-8", ""},
		"/embed/":            {"", "default-src 'none'; frame-ancestors 'none'"}, // wrangler's redirect to /embed
	} {
		if _, ok := rules[path]; !ok && path != "/embed/" {
			t.Errorf("no rule for %s in\n%s", path, hf)
			continue
		}
		h := headers(path)
		if h.Get("Content-Type") != want[0] || h.Get("Content-Security-Policy") != want[1] {
			t.Errorf("%s: Content-Type %q, CSP %q; want %q, %q", path, h.Get("Content-Type"), h.Get("Content-Security-Policy"), want[0], want[1])
		}
		for k, v := range h {
			if len(v) != 1 {
				t.Errorf("%s: %s has %d values %q; wrangler would join them", path, k, len(v), v)
			}
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" {
			t.Errorf("%s: X-Content-Type-Options %q, Referrer-Policy %q", path, h.Get("X-Content-Type-Options"), h.Get("Referrer-Policy"))
		}
	}
	if got := headers("/embed").Get("Cross-Origin-Resource-Policy"); got != "cross-origin" {
		t.Errorf("the embed view: Cross-Origin-Resource-Policy %q", got)
	}
	if got := headers("/app.0123abcd.js").Get("Cache-Control"); got != site.CacheImmutable {
		t.Errorf("a content-hashed file: Cache-Control %q", got)
	}
	many := make([]string, 100)
	for i := range many {
		many[i] = fmt.Sprintf("f%d.js", i)
	}
	if _, err := headersFile(many); err == nil {
		t.Error("101 rules: no error")
	}
}

// wrangler is `wrangler dev --local` on a free loopback port.
type wrangler struct {
	cmd  *exec.Cmd
	url  string
	log  *bytes.Buffer
	done chan struct{}
}

// TestWorkerSmoke builds the worker, runs it under `wrangler dev --local`
// (workerd, offline, KV persisted in a temporary directory) with a small web
// directory as its assets, and checks the API, the views and the assets
// over HTTP; then restarts wrangler and reads the scenario back from KV.
// It needs `npm ci` (wrangler and Node 22 in node_modules); make
// worker-test does both.
func TestWorkerSmoke(t *testing.T) {
	if os.Getenv("TTT_WORKER_TEST") != "1" {
		t.Skip("set TTT_WORKER_TEST=1 (make worker-test) to build the worker and run it under wrangler dev")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(root, "node_modules", ".bin")
	if _, err := os.Stat(filepath.Join(bin, "wrangler")); err != nil {
		t.Fatalf("no wrangler in %s: run npm ci (make worker-test does)", bin)
	}
	tmp := t.TempDir()
	build := filepath.Join(tmp, "build")
	run := func(env []string, name string, args ...string) {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
	}
	start := time.Now()
	run(nil, "go", "run", "github.com/syumai/workers/cmd/workers-assets-gen", "-mode=go", "-o", build)
	run([]string{"GOOS=js", "GOARCH=wasm"}, "go", "build", "-trimpath", "-ldflags=-s", "-o", filepath.Join(build, "app.wasm"), "./worker")
	t.Logf("built the worker in %v", time.Since(start).Round(time.Millisecond))

	// The page's files, as the page engineer's build will have them.
	web := filepath.Join(tmp, "web")
	files := map[string]string{
		"index.html":        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>TTT</title><script src="main.js"></script></head><body></body></html>`,
		"embed.html":        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>TTT embed</title></head><body></body></html>`,
		"main.js":           `console.log("page")`,
		"app.wasm":          "\x00asm\x01\x00\x00\x00",
		"app.wasm.gz":       "left behind",
		"shaders/dual.wgsl": "// a kernel",
		"main.0123abcd.js":  `console.log("hashed")`,
	}
	for name, body := range files {
		p := filepath.Join(web, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	assets := filepath.Join(tmp, "assets")
	if _, err := prepare(web, assets); err != nil {
		t.Fatal(err)
	}

	// The project's wrangler.toml, pointed at these builds.
	conf, err := os.ReadFile(filepath.Join(root, "wrangler.toml"))
	if err != nil {
		t.Fatal(err)
	}
	c := string(conf)
	for old, new := range map[string]string{
		`main = "./build/worker/worker.mjs"`:  fmt.Sprintf("main = %q", filepath.Join(build, "worker.mjs")),
		`directory = "./build/worker-assets"`: fmt.Sprintf("directory = %q", assets),
		// A lower create limit, reached below in a few requests.
		`simple = { limit = 30, period = 60 }`: `simple = { limit = 10, period = 60 }`,
	} {
		if !strings.Contains(c, old) {
			t.Fatalf("wrangler.toml has no line %s", old)
		}
		c = strings.Replace(c, old, new, 1)
	}
	config := filepath.Join(tmp, "wrangler.toml")
	if err := os.WriteFile(config, []byte(c), 0o644); err != nil {
		t.Fatal(err)
	}
	persist := filepath.Join(tmp, "state")

	w := startWrangler(t, root, config, persist)
	base := w.url

	// Health.
	if code, body, _ := fetch(t, "GET", base+"/api/health", ""); code != 200 || strings.TrimSpace(body) != `{"status":"ok"}` {
		t.Fatalf("GET /api/health = %d %s", code, body)
	}
	// Create and read.
	text := "</script><script>alert('x')</script> ünïcode ✓"
	in, _ := json.Marshal(map[string]any{"model": "mlp", "form": "dual", "b": 4, "input": "text", "text": text})
	code, body, _ := fetch(t, "POST", base+"/api/scenarios", string(in))
	var made struct{ ID, URL string }
	if code != 201 || json.Unmarshal([]byte(body), &made) != nil || !site.ValidID(made.ID) || made.URL != base+"/s/"+made.ID {
		t.Fatalf("POST /api/scenarios = %d %s", code, body)
	}
	want, _ := scenario.DecodeJSON(in)
	code, body, h := fetch(t, "GET", base+"/api/scenarios/"+made.ID, "")
	if got, err := scenario.DecodeJSON([]byte(body)); code != 200 || err != nil || got != want || h.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("GET /api/scenarios/{id} = %d %s (%v); want %+v", code, body, err, want)
	}
	// Errors.
	for _, tt := range []struct {
		method, path, body string
		status             int
		want               string
	}{
		{"GET", "/api/scenarios/" + site.NewID(), "", 404, "no scenario"},
		{"GET", "/api/scenarios/not-an-id", "", 404, "no scenario"},
		{"GET", "/s/" + site.NewID(), "", 404, "no scenario"},
		{"POST", "/api/scenarios", `{"b": 0}`, 400, `"field":"b"`},
		{"POST", "/api/scenarios", `{"b": 16,`, 400, `"field":"body"`},
		{"POST", "/api/scenarios", `{"input":"text","text":"` + strings.Repeat("a", site.MaxBody) + `"}`, 413, "over"},
		{"DELETE", "/api/scenarios/" + made.ID, "", 405, "not allowed"},
		{"GET", "/oembed?url=" + made.URL + "&format=xml", "", 501, "only json"},
	} {
		code, body, h := fetch(t, tt.method, base+tt.path, tt.body)
		if code != tt.status || !strings.Contains(body, tt.want) || !strings.HasPrefix(body, `{"error":`) || h.Get("Content-Type") != "application/json; charset=utf-8" {
			t.Errorf("%s %s = %d %.200s; want %d with %s", tt.method, tt.path, code, body, tt.status, tt.want)
		}
		if tt.status == 405 && h.Get("Allow") != "GET, HEAD" {
			t.Errorf("405 without Allow: %v", h)
		}
	}
	// The page with the scenario, through the ASSETS binding.
	code, body, h = fetch(t, "GET", made.URL, "")
	if code != 200 || !strings.Contains(body, "<title>TTT</title>") || !strings.Contains(body, `<script type="application/json" id="scenario">`) ||
		strings.Contains(body, "<script>alert") || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'self'") {
		t.Errorf("GET /s/{id} = %d %v\n%s", code, h, body)
	}
	code, body, h = fetch(t, "GET", base+"/e/"+made.ID, "")
	if code != 200 || !strings.Contains(body, "<title>TTT embed</title>") || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors *") {
		t.Errorf("GET /e/{id} = %d %v\n%s", code, h, body)
	}
	code, body, _ = fetch(t, "GET", base+"/oembed?maxwidth=360&url="+made.URL, "")
	if code != 200 || !strings.Contains(body, `"type":"rich"`) || !strings.Contains(body, `"width":360`) || !strings.Contains(body, "/e/"+made.ID) {
		t.Errorf("GET /oembed = %d %s", code, body)
	}
	// Assets from wrangler, with the headers of `ttt serve`.
	for _, tt := range []struct{ path, ctype, cache, csp string }{
		{"/", "text/html; charset=utf-8", site.CacheRevalidate, site.PageCSP},
		{"/embed", "text/html; charset=utf-8", site.CacheRevalidate, site.EmbedCSP},
		{"/app.wasm", "application/wasm", site.CacheRevalidate, ""},
		{"/shaders/dual.wgsl", "text/wgsl; charset=utf-8", site.CacheRevalidate, ""},
		{"/main.0123abcd.js", "text/javascript; charset=utf-8", site.CacheImmutable, ""},
	} {
		code, _, h := fetch(t, "GET", base+tt.path, "")
		if code != 200 || h.Get("Content-Type") != tt.ctype || h.Get("Cache-Control") != tt.cache || h.Get("Content-Security-Policy") != tt.csp || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s = %d, Content-Type %q, Cache-Control %q, CSP %q; want %q, %q, %q",
				tt.path, code, h.Get("Content-Type"), h.Get("Cache-Control"), h.Get("Content-Security-Policy"), tt.ctype, tt.cache, tt.csp)
		}
	}
	if code, _, _ := fetch(t, "GET", base+"/app.wasm.gz", ""); code != 404 {
		t.Errorf("GET /app.wasm.gz = %d; want 404 (precompressed files stay behind)", code)
	}
	// wrangler's own redirects get the catch-all rule's headers.
	code, _, h = fetch(t, "GET", base+"/embed/", "")
	if code/100 != 3 || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" || h.Get("Content-Security-Policy") != "default-src 'none'; frame-ancestors 'none'" {
		t.Errorf("GET /embed/ = %d, headers %v; want a redirect with nosniff, a referrer policy and a CSP", code, h)
	}

	// Creates need JSON's Content-Type, and links never take the Host header.
	for _, ctype := range []string{"", "text/plain;charset=UTF-8"} {
		if code, body, _ := send(t, "POST", base+"/api/scenarios", `{}`, "Content-Type", ctype); code != 415 {
			t.Errorf("POST with Content-Type %q = %d %s; want 415", ctype, code, body)
		}
	}
	code, body, _ = send(t, "POST", base+"/api/scenarios", `{}`, "Content-Type", "application/json", "Host", "evil.example")
	if code != 201 || strings.Contains(body, "evil") || !strings.Contains(body, `"url":"`+base+`/s/`) {
		t.Errorf("POST with Host evil.example = %d %s; want links on %s", code, body, base)
	}

	// KV keeps the scenario across a restart of wrangler; with room for
	// one scenario, creates get 507.
	w.stop(t)
	w = startWrangler(t, root, config, persist, "MAX_SCENARIOS:1")
	code, body, _ = fetch(t, "GET", w.url+"/api/scenarios/"+made.ID, "")
	if got, err := scenario.DecodeJSON([]byte(body)); code != 200 || err != nil || got != want {
		t.Fatalf("after restarting wrangler: GET /api/scenarios/{id} = %d %s", code, body)
	}
	if code, body, _ := fetch(t, "POST", w.url+"/api/scenarios", `{}`); code != 507 || !strings.Contains(body, "no new one can be saved") {
		t.Errorf("POST into a full KV = %d %s; want 507", code, body)
	}
	// The create limit (10 a minute in fixed windows: 21 tries within a
	// minute must meet it) answers 429 with Retry-After; reads go on.
	limited := false
	for range 21 {
		code, _, h := fetch(t, "POST", w.url+"/api/scenarios", `{}`)
		if code == 429 {
			limited = true
			if h.Get("Retry-After") != "60" {
				t.Errorf("429 with Retry-After %q; want 60", h.Get("Retry-After"))
			}
			break
		}
	}
	if !limited {
		t.Error("21 creates within a minute, none refused with 429")
	}
	if code, _, _ := fetch(t, "GET", w.url+"/api/scenarios/"+made.ID, ""); code != 200 {
		t.Errorf("a read after the create limit = %d; want 200", code)
	}
	w.stop(t)
}

// startWrangler runs wrangler dev with BASE_URL its own address and the
// given vars (NAME:VALUE) on top of wrangler.toml's.
func startWrangler(t *testing.T, root, config, persist string, vars ...string) *wrangler {
	t.Helper()
	port, inspector := freePort(t), freePort(t)
	args := []string{"dev", "--local",
		"--config", config, "--ip", "127.0.0.1", "--port", port,
		"--inspector-ip", "127.0.0.1", "--inspector-port", inspector, "--persist-to", persist}
	for _, v := range append([]string{"BASE_URL:http://127.0.0.1:" + port}, vars...) {
		args = append(args, "--var", v)
	}
	cmd := exec.Command(filepath.Join(root, "node_modules", ".bin", "wrangler"), args...)
	cmd.Dir = filepath.Dir(config)
	// wrangler 4.164 needs Node ≥ 22.12: the pinned node in node_modules/.bin comes first.
	cmd.Env = append(os.Environ(),
		"PATH="+filepath.Join(root, "node_modules", ".bin")+string(os.PathListSeparator)+os.Getenv("PATH"),
		"WRANGLER_SEND_METRICS=false", "WRANGLER_HIDE_BANNER=true", "CLOUDFLARE_CF_FETCH_ENABLED=false",
		"WRANGLER_LOG_PATH="+filepath.Join(filepath.Dir(config), "logs"), "CI=true", "NO_COLOR=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // wrangler starts workerd: stop the group
	w := &wrangler{cmd: cmd, url: "http://127.0.0.1:" + port, log: &bytes.Buffer{}, done: make(chan struct{})}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(w.done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			w.log.WriteString(sc.Text() + "\n")
		}
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			cmd.Wait()
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := http.Get(w.url + "/api/health")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return w
			}
		}
		select {
		case <-w.done:
			t.Fatalf("wrangler dev exited:\n%s", w.log)
		default:
		}
		if time.Now().After(deadline) {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-w.done
			t.Fatalf("wrangler dev did not answer /api/health in 60 s:\n%s", w.log)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// stop sends SIGTERM to wrangler and waits for its process group to end.
func (w *wrangler) stop(t *testing.T) {
	t.Helper()
	syscall.Kill(-w.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-w.done:
	case <-time.After(15 * time.Second):
		syscall.Kill(-w.cmd.Process.Pid, syscall.SIGKILL)
		<-w.done
	}
	w.cmd.Wait()
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
}

func fetch(t *testing.T, method, url, body string) (int, string, http.Header) {
	t.Helper()
	if body == "" {
		return send(t, method, url, body)
	}
	return send(t, method, url, body, "Content-Type", "application/json")
}

// send is one request; headers alternate name and value, "Host" sets the
// Host header and an empty value sends none.
func send(t *testing.T, method, url, body string, headers ...string) (int, string, http.Header) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		switch {
		case headers[i] == "Host":
			req.Host = headers[i+1]
		case headers[i+1] != "":
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	client := &http.Client{
		Timeout:       20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(data), res.Header
}
