package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"tttexplainer/scenario"
)

// server is a `ttt serve` child process on a free loopback port.
type server struct {
	cmd  *exec.Cmd
	url  string // http://127.0.0.1:PORT, no trailing slash
	out  *bytes.Buffer
	mu   *sync.Mutex
	done chan struct{}
}

// unlimited turns off the per-client create limit, for tests that create
// many scenarios from one address.
var unlimited = []string{"-creates-per-minute", "0"}

func startServer(t *testing.T, data, web string, flags ...string) *server {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"serve", "-addr", "127.0.0.1:0", "-data", data, "-web", web}, flags...)...)
	cmd.Env = append(os.Environ(), "TTT_RUN_MAIN=1")
	cmd.Stderr = os.Stderr
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, out: &bytes.Buffer{}, mu: &sync.Mutex{}, done: make(chan struct{})}
	first := make(chan string, 1)
	go func() {
		defer close(s.done)
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.out.WriteString(line + "\n")
			s.mu.Unlock()
			if rest, ok := strings.CutPrefix(line, "serving "); ok {
				first <- strings.TrimSuffix(strings.Fields(rest)[0], "/")
			}
		}
	}()
	select {
	case s.url = <-first:
	case <-s.done:
		t.Fatalf("ttt serve exited before serving: %s", s.output())
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("ttt serve did not print its URL in 20 s")
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return s
}

func (s *server) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// stop sends sig and waits for a clean exit.
func (s *server) stop(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	<-s.done
	if err := s.cmd.Wait(); err != nil {
		t.Fatalf("ttt serve after %v: %v; output:\n%s", sig, err, s.output())
	}
	if !strings.Contains(s.output(), "database closed") {
		t.Errorf("ttt serve did not close its database: %s", s.output())
	}
}

func postScenario(c *http.Client, base string, body []byte) (id string, err error) {
	res, err := c.Post(base+"/api/scenarios", "application/json", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	var out struct{ ID string }
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("POST: %d %v", res.StatusCode, err)
	}
	return out.ID, nil
}

func getScenario(t *testing.T, base, id string) scenario.Scenario {
	t.Helper()
	res, err := http.Get(base + "/api/scenarios/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s = %d %s", id, res.StatusCode, data)
	}
	s, err := scenario.DecodeJSON(data)
	if err != nil {
		t.Fatalf("GET %s: %v", id, err)
	}
	return s
}

// TestServeRestart writes scenarios, stops the process with SIGTERM, starts
// a new one on the same database and reads every scenario back; then the
// same once more with SIGINT.
func TestServeRestart(t *testing.T) {
	data, web := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(web, "index.html"), []byte("<!doctype html><html><head><title>TTT</title></head><body></body></html>"), 0o644)
	srv := startServer(t, data, web, unlimited...)
	want := map[string]scenario.Scenario{}
	for i := range 12 {
		s := scenario.Default()
		s.Seed = uint64(i)
		s.B = 1 + i
		if i%3 == 0 {
			rep := fmt.Sprintf("scenario %d, ünïcode ✓ ", i)
			s.Input, s.Text = "text", strings.Repeat(rep, min(1+i*100, scenario.MaxText/len(rep))) // up to the 16 KiB limit
		}
		body, _ := json.Marshal(s)
		id, err := postScenario(http.DefaultClient, srv.url, body)
		if err != nil {
			t.Fatal(err)
		}
		want[id] = s
	}
	for _, sig := range []os.Signal{syscall.SIGTERM, os.Interrupt} {
		srv.stop(t, sig)
		srv = startServer(t, data, web)
		for id, s := range want {
			if got := getScenario(t, srv.url, id); got != s {
				t.Fatalf("after a restart (%v), %s = %+v; want %+v", sig, id, got, s)
			}
		}
	}
	res, err := http.Get(srv.url + "/")
	if err != nil || res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET / = %v %v", res, err)
	}
	res.Body.Close()
	srv.stop(t, syscall.SIGTERM)
}

// TestServeShutdownLosesNothing stops the server while clients are
// creating scenarios: every create that was answered 201 is in the
// database when it starts again.
func TestServeShutdownLosesNothing(t *testing.T) {
	data, web := t.TempDir(), t.TempDir()
	srv := startServer(t, data, web, unlimited...)
	var (
		mu  sync.Mutex
		ids []string
		wg  sync.WaitGroup
	)
	stop := make(chan struct{})
	client := &http.Client{Timeout: 10 * time.Second}
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				body := fmt.Appendf(nil, `{"seed":%d,"input":"text","text":"worker %d, scenario %d"}`, w*100000+i, w, i)
				id, err := postScenario(client, srv.url, body)
				if err != nil {
					continue // refused or cut off by the shutdown: not a 201, so nothing promised
				}
				mu.Lock()
				ids = append(ids, id)
				mu.Unlock()
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	srv.stop(t, syscall.SIGTERM)
	close(stop)
	wg.Wait()
	if len(ids) == 0 {
		t.Fatal("no scenario was created before the shutdown")
	}
	srv = startServer(t, data, web)
	defer srv.stop(t, syscall.SIGTERM)
	for _, id := range ids {
		getScenario(t, srv.url, id)
	}
	t.Logf("%d scenarios created while shutting down, all read back after the restart", len(ids))
}

// TestServeFlags: bad flags and a database that another server holds.
func TestServeFlags(t *testing.T) {
	if _, _, code := runMain(t, "serve", "-nope"); code != 2 {
		t.Errorf("ttt serve -nope: exit %d; want 2", code)
	}
	if _, _, code := runMain(t, "serve", "extra"); code != 2 {
		t.Errorf("ttt serve extra: exit %d; want 2", code)
	}
	data := t.TempDir()
	srv := startServer(t, data, t.TempDir())
	defer srv.stop(t, syscall.SIGTERM)
	_, stderr, code := runMain(t, "serve", "-addr", "127.0.0.1:0", "-data", data)
	if code != 1 || !strings.Contains(stderr, "scenarios.db: another process") {
		t.Errorf("a second server on the same database: exit %d, %q; want exit 1 naming the file", code, stderr)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-addr", "0.0.0.0:0"}, "-base-url"},
		{[]string{"-base-url", "ftp://ttt.example"}, "ftp://ttt.example"},
		{[]string{"-base-url", "https://ttt.example/app"}, "origin only"},
		{[]string{"-creates-per-minute", "-1"}, "-creates-per-minute"},
		{[]string{"-create-burst", "0"}, "-create-burst"},
		{[]string{"-max-scenarios", "-5"}, "-max-scenarios"},
		{[]string{"-hosts", "http://x/"}, "-hosts"},
	} {
		_, stderr, code := runMain(t, append([]string{"serve", "-data", t.TempDir()}, tt.args...)...)
		if code != 1 || !strings.Contains(stderr, tt.want) {
			t.Errorf("ttt serve %q: exit %d, %q; want exit 1 naming %s", tt.args, code, stderr, tt.want)
		}
	}
}

// TestServeDamagedDatabase: a real database with scenarios, truncated to
// 100 kB, and files that are not bbolt databases at all make `ttt serve`
// exit 1 with a line naming the file and what is wrong, not die of a
// signal or a panic inside bbolt.
func TestServeDamagedDatabase(t *testing.T) {
	data := t.TempDir()
	srv := startServer(t, data, t.TempDir(), unlimited...)
	for i := range 40 {
		s := scenario.Default()
		s.Input, s.Text = "text", strings.Repeat(fmt.Sprintf("scenario %d ", i), 400)[:4000]
		body, _ := json.Marshal(s)
		if _, err := postScenario(http.DefaultClient, srv.url, body); err != nil {
			t.Fatal(err)
		}
	}
	srv.stop(t, syscall.SIGTERM)
	file := filepath.Join(data, "scenarios.db")
	good, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(good) <= 100_000 {
		t.Fatalf("the database has only %d bytes: truncating it to 100 kB would cut nothing", len(good))
	}
	for _, tt := range []struct {
		name, want string
		body       []byte
	}{
		{"truncated to 100 kB", "truncated", good[:100_000]},
		{"truncated to one page", "truncated", good[:4096]},
		{"a text file", "not a bbolt database", []byte("this is not a database\n")},
		{"random bytes", "not a bbolt database", bytes.Repeat([]byte{0x5a, 0x17, 0xc3}, 50_000)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(file, tt.body, 0o600); err != nil {
				t.Fatal(err)
			}
			_, stderr, code := runMain(t, "serve", "-addr", "127.0.0.1:0", "-data", data, "-web", data)
			if code != 1 || !strings.Contains(stderr, file) || !strings.Contains(stderr, tt.want) || strings.Contains(stderr, "goroutine") {
				t.Errorf("ttt serve on a damaged database: exit %d, stderr %q; want exit 1 naming %s and %q", code, stderr, file, tt.want)
			}
		})
	}
}

// post sends a create with the given Host header and returns the status,
// the Retry-After header and the answer's url.
func post(t *testing.T, base, host string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest("POST", base+"/api/scenarios", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct{ URL string }
	json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, res.Header.Get("Retry-After"), out.URL
}

// TestServeBaseURL: links never take a request's Host header: by default
// they are on the loopback address served (or localhost at its port), and
// with -base-url on that origin.
func TestServeBaseURL(t *testing.T) {
	srv := startServer(t, t.TempDir(), t.TempDir())
	port := srv.url[strings.LastIndexByte(srv.url, ':')+1:]
	for host, want := range map[string]string{
		"evil.example":         srv.url,
		"127.0.0.1:" + port:    srv.url,
		"localhost:" + port:    "http://localhost:" + port,
		"localhost:1" + port:   srv.url,
		"evil.example:" + port: srv.url,
	} {
		if code, _, url := post(t, srv.url, host); code != 201 || !strings.HasPrefix(url, want+"/s/") {
			t.Errorf("POST with Host %s = %d, url %q; want it on %s", host, code, url, want)
		}
	}
	srv.stop(t, syscall.SIGTERM)

	srv = startServer(t, t.TempDir(), t.TempDir(), "-base-url", "https://ttt.example/")
	defer srv.stop(t, syscall.SIGTERM)
	if code, _, url := post(t, srv.url, "evil.example"); code != 201 || !strings.HasPrefix(url, "https://ttt.example/s/") {
		t.Errorf("POST with -base-url and Host evil.example = %d, url %q", code, url)
	}
}

// TestServeLimits: -creates-per-minute and -create-burst give 429 with
// Retry-After, -max-scenarios 507.
func TestServeLimits(t *testing.T) {
	srv := startServer(t, t.TempDir(), t.TempDir(), "-creates-per-minute", "2", "-create-burst", "2")
	for i, want := range []int{201, 201, 429} {
		code, retry, _ := post(t, srv.url, "")
		if code != want || (code == 429) != (retry == "30") {
			t.Errorf("create %d = %d, Retry-After %q; want %d (30 s for a 429)", i, code, retry, want)
		}
	}
	srv.stop(t, syscall.SIGTERM)

	data := t.TempDir()
	srv = startServer(t, data, t.TempDir(), "-max-scenarios", "1")
	for i, want := range []int{201, 507} {
		if code, _, _ := post(t, srv.url, ""); code != want {
			t.Errorf("create %d into a database for 1 = %d; want %d", i, code, want)
		}
	}
	srv.stop(t, syscall.SIGTERM)
	// The count is in the file: a restart with room for 2 takes one more.
	srv = startServer(t, data, t.TempDir(), "-max-scenarios", "2")
	defer srv.stop(t, syscall.SIGTERM)
	for i, want := range []int{201, 507} {
		if code, _, _ := post(t, srv.url, ""); code != want {
			t.Errorf("after a restart, create %d into a database for 2 = %d; want %d", i, code, want)
		}
	}
}
