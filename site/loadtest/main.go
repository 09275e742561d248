// Command loadtest drives `ttt serve` on loopback with a mix of scenario
// creates and reads, checks every answer, reads every created scenario back,
// and prints the latency percentiles.
//
//	go run ./site/loadtest -server bin/ttt [-n 20000] [-c 64] [-creates 0.2] [-benchmarks docs/BENCHMARKS.md]
//
// With -server it starts the server itself (a fresh database in a temporary
// directory, a free 127.0.0.1 port) and stops it with SIGTERM at the end;
// with -url it targets a running server, which must be on loopback. All
// its clients are one address, so the server's per-client create limit
// must be far above the mix's creates: with -server it is started with
// serverFlags; a server given with -url needs the same. With
// -benchmarks it writes its results as the section "## Site: load test" of
// that file. It exits 1 on any error or any scenario that does not read back
// intact.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"tttexplainer/scenario"
)

func main() {
	server := flag.String("server", "", "the ttt binary to start as `ttt serve` on a free loopback port")
	target := flag.String("url", "", "a running server (loopback only), instead of -server")
	n := flag.Int("n", 20000, "requests in the measured mix")
	c := flag.Int("c", 64, "concurrent clients")
	creates := flag.Float64("creates", 0.2, "share of creates in the mix (the rest are reads)")
	seed := flag.Uint64("seed", 1, "seed of the mix and the scenarios")
	bench := flag.String("benchmarks", "", "write the results into this file's \"## Site: load test\" section")
	flag.Parse()
	if (*server == "") == (*target == "") {
		fmt.Fprintln(os.Stderr, "loadtest: give exactly one of -server and -url")
		os.Exit(2)
	}
	res, err := run(*server, *target, *n, *c, *creates, *seed)
	if res != nil {
		fmt.Print(res.table())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
	if *bench != "" {
		if err := writeSection(*bench, res.section()); err != nil {
			fmt.Fprintln(os.Stderr, "loadtest:", err)
			os.Exit(1)
		}
		fmt.Printf("wrote the section %q of %s\n", heading, *bench)
	}
}

type result struct {
	n, c, created, readBack int
	creates                 float64
	wall                    time.Duration
	lat                     map[string][]time.Duration // "all", "create", "read"
}

func run(server, target string, n, c int, creates float64, seed uint64) (*result, error) {
	base := strings.TrimSuffix(target, "/")
	var stop func() error
	if server != "" {
		var err error
		base, stop, err = startServer(server)
		if err != nil {
			return nil, err
		}
		defer func() {
			if stop != nil {
				stop()
			}
		}()
	}
	if err := loopbackOnly(base); err != nil {
		return nil, err
	}
	client := &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConns: 2 * c, MaxIdleConnsPerHost: 2 * c, IdleConnTimeout: time.Minute},
	}
	lg := &load{base: base, client: client}

	// The measured mix: each client takes the next request number until n.
	var next atomic.Int64
	lats := make([]map[string][]time.Duration, c)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range c {
		wg.Add(1)
		lats[w] = map[string][]time.Duration{}
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				kind := "read"
				if rng.Float64() < creates || lg.count() == 0 {
					kind = "create"
				}
				t0 := time.Now()
				var err error
				if kind == "create" {
					err = lg.create(randomScenario(rng))
				} else {
					err = lg.read(lg.pick(rng))
				}
				lats[w][kind] = append(lats[w][kind], time.Since(t0))
				if err != nil {
					lg.fail(err)
				}
			}
		}()
	}
	wg.Wait()
	res := &result{n: n, c: c, creates: creates, wall: time.Since(start), lat: map[string][]time.Duration{}}
	for _, l := range lats {
		for k, v := range l {
			res.lat[k] = append(res.lat[k], v...)
			res.lat["all"] = append(res.lat["all"], v...)
		}
	}
	for _, v := range res.lat {
		slices.Sort(v)
	}

	// Every created scenario reads back intact.
	ids := lg.all()
	res.created = len(ids)
	var at atomic.Int64
	var ok atomic.Int64
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := at.Add(1) - 1
				if i >= int64(len(ids)) {
					return
				}
				if err := lg.read(ids[i]); err != nil {
					lg.fail(fmt.Errorf("read-back: %w", err))
				} else {
					ok.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	res.readBack = int(ok.Load())

	if stop != nil {
		err := stop()
		stop = nil
		if err != nil {
			return res, err
		}
	}
	if errs := lg.errors(); len(errs) > 0 {
		return res, fmt.Errorf("%d errors, the first: %s", lg.nerr.Load(), strings.Join(errs, "; "))
	}
	if res.readBack != res.created {
		return res, fmt.Errorf("%d of %d created scenarios read back", res.readBack, res.created)
	}
	return res, nil
}

// load is the clients' shared state: the scenarios created so far.
type load struct {
	base   string
	client *http.Client

	mu       sync.RWMutex
	ids      []string
	want     map[string]scenario.Scenario
	nerr     atomic.Int64
	firstErr []string
}

func (l *load) count() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return len(l.ids)
}

func (l *load) pick(rng *rand.Rand) string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.ids[rng.IntN(len(l.ids))]
}

func (l *load) all() []string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return slices.Clone(l.ids)
}

func (l *load) fail(err error) {
	l.nerr.Add(1)
	l.mu.Lock()
	if len(l.firstErr) < 5 {
		l.firstErr = append(l.firstErr, err.Error())
	}
	l.mu.Unlock()
}

func (l *load) errors() []string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.firstErr
}

func (l *load) create(s scenario.Scenario) error {
	body, err := json.Marshal(s)
	if err != nil {
		return err
	}
	res, err := l.client.Post(l.base+"/api/scenarios", "application/json", bytes.NewReader(body))
	data, err := answer(res, err, http.StatusCreated, "POST")
	if err != nil {
		return err
	}
	var out struct{ ID string }
	if err := json.Unmarshal(data, &out); err != nil || out.ID == "" {
		return fmt.Errorf("POST: body %.200s: %v", data, err)
	}
	l.mu.Lock()
	if l.want == nil {
		l.want = map[string]scenario.Scenario{}
	}
	if _, dup := l.want[out.ID]; dup {
		l.mu.Unlock()
		return fmt.Errorf("POST: id %s given twice", out.ID)
	}
	l.want[out.ID] = s
	l.ids = append(l.ids, out.ID)
	l.mu.Unlock()
	return nil
}

func (l *load) read(id string) error {
	res, err := l.client.Get(l.base + "/api/scenarios/" + id)
	data, err := answer(res, err, http.StatusOK, "GET "+id)
	if err != nil {
		return err
	}
	got, err := scenario.DecodeJSON(data)
	if err != nil {
		return fmt.Errorf("GET %s: %v", id, err)
	}
	l.mu.RLock()
	want := l.want[id]
	l.mu.RUnlock()
	if got != want {
		return fmt.Errorf("GET %s: %+v; want %+v", id, got, want)
	}
	return nil
}

// textRunes mixes ASCII, markup, multi-byte letters and emoji.
var textRunes = []rune("abcdefghij klmnop qrstuvwxyz ABC 0123456789 .,;:!? <>&\"'/\\ ünïcødé ✓ ηθ 漢字 🙂\n\t")

func randomScenario(rng *rand.Rand) scenario.Scenario {
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	s := scenario.Default()
	s.Model = pick("linear", "mlp")
	s.Form = pick("naive", "primal", "dual", "stream")
	s.B = 1 + rng.IntN(64)
	if s.Form == "naive" {
		s.B = 1
	}
	s.LR = float64(1+rng.IntN(1000)) / 100
	s.Width = scenario.Widths[rng.IntN(len(scenario.Widths))].Name
	s.LN = rng.IntN(2) == 0
	s.Seed = rng.Uint64()
	s.Input = scenario.Inputs[rng.IntN(len(scenario.Inputs))]
	s.Backend = scenario.Backend(pick("auto", "gpu", "cpu"))
	s.Speed = float64(1 + rng.IntN(1000))
	if s.Input == "text" {
		size := 1 + rng.IntN(2000)
		if rng.IntN(50) == 0 {
			size = scenario.MaxText // the longest text there is
		}
		var b strings.Builder
		b.WriteRune('x') // never only spaces
		for b.Len() < size {
			r := textRunes[rng.IntN(len(textRunes))]
			if b.Len()+len(string(r)) > size {
				break
			}
			b.WriteRune(r)
		}
		s.Text = b.String()
	}
	return s
}

// serverFlags keep the per-client create limit in the measured path but
// out of the way: the load test's clients share one address. The store's
// quota stays at its default (100,000), above any mix's creates.
var serverFlags = []string{"-creates-per-minute", "1e9", "-create-burst", "1000000"}

// startServer runs `server serve` on a free loopback port with a fresh
// database and returns its URL and a function that stops it with SIGTERM
// and checks that it exited cleanly.
func startServer(bin string) (string, func() error, error) {
	dir, err := os.MkdirTemp("", "ttt-loadtest-")
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(bin, append([]string{"serve", "-addr", "127.0.0.1:0", "-data", dir + "/data", "-web", dir + "/web"}, serverFlags...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	sc := bufio.NewScanner(out)
	base := ""
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "serving "); ok {
			base = strings.TrimSuffix(strings.Fields(rest)[0], "/")
			break
		}
	}
	if base == "" {
		cmd.Process.Kill()
		cmd.Wait()
		return "", nil, fmt.Errorf("%s serve printed no URL: %s", bin, stderr.String())
	}
	go io.Copy(io.Discard, out)
	stop := func() error {
		defer os.RemoveAll(dir)
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				return fmt.Errorf("the server after SIGTERM: %v: %s", err, stderr.String())
			}
			return nil
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			return errors.New("the server did not stop within 20 s of SIGTERM")
		}
	}
	return base, stop, nil
}

// loopbackOnly refuses any target but this machine's loopback.
func loopbackOnly(base string) error {
	u, err := url.Parse(base)
	if err != nil {
		return err
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%s is not a loopback address: the load test only targets 127.0.0.0/8 and ::1", host)
}

func pct(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	i := int(float64(len(d))*q+0.999999) - 1
	return d[min(max(i, 0), len(d)-1)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

func (r *result) table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d requests (%.0f%% creates) from %d clients in %v: %.0f requests/s; %d scenarios created, %d read back intact\n\n",
		r.n, 100*r.creates, r.c, r.wall.Round(time.Millisecond), float64(r.n)/r.wall.Seconds(), r.created, r.readBack)
	b.WriteString("| requests | count | p50 | p90 | p99 | max |\n|---|---|---|---|---|---|\n")
	for _, k := range []string{"all", "create", "read"} {
		d := r.lat[k]
		if len(d) == 0 {
			continue
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s |\n", k, len(d), ms(pct(d, 0.5)), ms(pct(d, 0.9)), ms(pct(d, 0.99)), ms(d[len(d)-1]))
	}
	return b.String()
}

const heading = "## Site: load test"

func (r *result) section() string {
	return heading + `

` + "`ttt serve`" + ` (site.Handler with its bbolt store, a fresh database) on
127.0.0.1, driven by ` + "`site/loadtest`" + ` from the same machine: a mix of
creates (` + "`POST /api/scenarios`" + `, random valid scenarios, some with up to
16 KiB of text) and reads (` + "`GET /api/scenarios/{id}`" + ` of a scenario created
earlier, compared field by field). Afterwards every created scenario is read
back and compared; the run counts any non-2xx answer, transport error or
mismatch as an error. Client and server share the machine's cores.

Command (` + "`make bench-site`" + ` runs it and rewrites this section):

    go build -o bin/ttt ./cmd/ttt
    go run ./site/loadtest -server bin/ttt -n 20000 -c 64 -creates 0.2 -benchmarks docs/BENCHMARKS.md

Measured ` + time.Now().UTC().Format("2006-01-02") + fmt.Sprintf(" (%d cores, Go %s), zero errors:", runtime.NumCPU(), strings.TrimPrefix(runtime.Version(), "go")) + `

` + r.table() + `
Each create is committed and fsynced before its 201; concurrent creates
share a commit through bbolt's Batch (which waits at most 1 ms for company),
so creates cost the disk's fsync time and reads only the handler's. The
machine is shared with other jobs: repeated runs vary by up to 2× at p99.
`
}

// writeSection replaces the file's section under heading (up to the next
// "## " heading), or appends it; the other sections stay as they are.
func writeSection(file, section string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	text := string(data)
	i := strings.Index(text, heading+"\n")
	if i < 0 {
		text = strings.TrimRight(text, "\n") + "\n\n" + section
	} else {
		rest := text[i+len(heading):]
		end := len(text)
		if j := strings.Index(rest, "\n## "); j >= 0 {
			end = i + len(heading) + j + 1
		}
		sep := ""
		if end < len(text) {
			sep = "\n"
		}
		text = text[:i] + section + sep + text[end:]
	}
	return os.WriteFile(file, []byte(text), 0o644)
}

// answer reads the body of a request's answer: an error naming what when
// the request failed or the status is not want.
func answer(res *http.Response, err error, want int, what string) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != want {
		return nil, fmt.Errorf("%s: %d %.200s", what, res.StatusCode, data)
	}
	return data, nil
}
