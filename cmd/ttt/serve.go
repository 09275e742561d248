package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"tttexplainer/site"
)

// Server timeouts. The write timeout covers a whole response, so it leaves
// time for the page's wasm (a few MB compressed) on a slow connection.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 15 * time.Second
	writeTimeout      = 2 * time.Minute
	idleTimeout       = 2 * time.Minute
	shutdownTimeout   = 10 * time.Second
)

// serveConfig is what `ttt serve` is told by its flags.
type serveConfig struct {
	addr, data, web string
	base            string   // public origin; empty: from a loopback -addr
	hosts           []string // other names of the site
	perMinute       float64  // creates a minute per client; 0: no limit
	burst           int
	maxScenarios    int
	clientHeader    string // set by a proxy in front; empty: the connection's address
}

// serve runs the site (site.New) natively: static files from -web, scenarios
// in a bbolt database under -data. It prints the URL it serves, and on
// SIGINT or SIGTERM stops taking connections, lets requests in flight finish
// and closes the database, so that every scenario it answered 201 for is on
// disk.
func serve(args []string, stdout io.Writer) error {
	fl := newFlags("serve", "[-addr 127.0.0.1:8080] [-data DIR] [-web DIR] [-base-url URL] [-hosts H,...] [-creates-per-minute N] [-create-burst N] [-max-scenarios N] [-client-header NAME]")
	var c serveConfig
	fl.StringVar(&c.addr, "addr", "127.0.0.1:8080", "address to listen on (port 0: any free port)")
	fl.StringVar(&c.data, "data", "data", "directory of the scenario database (created if missing)")
	fl.StringVar(&c.web, "web", "web", "directory of the page's static files")
	fl.StringVar(&c.base, "base-url", "", "public origin of the links it makes (a create's url, oEmbed), e.g. https://ttt.example;\nrequired unless -addr is a loopback address, which it defaults to")
	hosts := fl.String("hosts", "", "other host[:port] names of the site whose requests keep their own host in links, comma-separated\n(default with a loopback -addr and no -base-url: localhost:PORT)")
	fl.Float64Var(&c.perMinute, "creates-per-minute", 30, "scenarios each client may save a minute, beyond its burst (0: no limit)")
	fl.IntVar(&c.burst, "create-burst", 10, "scenarios a client may save at once")
	fl.IntVar(&c.maxScenarios, "max-scenarios", 100_000, "most scenarios the database takes; then creates get 507 (0: no limit)")
	fl.StringVar(&c.clientHeader, "client-header", "", "header that a proxy in front sets to the client's address, e.g. X-Forwarded-For\n(default: the connection's address; never trust a header without such a proxy)")
	if err := parse(fl, args); err != nil {
		return err
	}
	if fl.NArg() != 0 {
		fmt.Fprintf(os.Stderr, "ttt serve: unexpected arguments %q\n", fl.Args())
		return errUsage
	}
	if err := c.check(*hosts); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serveUntil(ctx, c, stdout)
}

// check validates the flags that need more than their type.
func (c *serveConfig) check(hosts string) error {
	if c.base != "" {
		base, err := site.ParseBaseURL(c.base)
		if err != nil {
			return fmt.Errorf("-base-url: %w", err)
		}
		c.base = base
	} else if !loopback(c.addr) {
		return fmt.Errorf("-addr %s listens beyond this machine: give -base-url, the public origin of the links it makes (such as https://ttt.example), so that they are not taken from the requests' Host header", c.addr)
	}
	for _, h := range strings.Split(hosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			if strings.ContainsAny(h, "/ ") {
				return fmt.Errorf("-hosts: %q is not a host[:port]", h)
			}
			c.hosts = append(c.hosts, h)
		}
	}
	switch {
	case c.perMinute < 0 || math.IsNaN(c.perMinute) || math.IsInf(c.perMinute, 0):
		return fmt.Errorf("-creates-per-minute %v: want a number ≥ 0", c.perMinute)
	case c.burst < 1:
		return fmt.Errorf("-create-burst %d: want at least 1", c.burst)
	case c.maxScenarios < 0:
		return fmt.Errorf("-max-scenarios %d: want a number ≥ 0", c.maxScenarios)
	}
	return nil
}

// loopback reports whether addr's host is a loopback address or name.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// serveUntil serves until ctx is done, then shuts down gracefully.
func serveUntil(ctx context.Context, c serveConfig, stdout io.Writer) error {
	store, err := site.OpenBolt(c.data)
	if err != nil {
		return err
	}
	defer store.Close()
	store.Max = c.maxScenarios
	if _, err := os.Stat(filepath.Join(c.web, "index.html")); err != nil {
		fmt.Fprintf(os.Stderr, "ttt serve: warning: no %s yet (build the page); the API and scenario links work without it\n", filepath.Join(c.web, "index.html"))
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	cfg := site.Config{Store: store, Assets: site.Dir(c.web), BaseURL: c.base, Hosts: c.hosts}
	if cfg.BaseURL == "" {
		// A loopback address: links on the address it listens on (its
		// port is known only now), and on localhost at the same port.
		cfg.BaseURL = "http://" + ln.Addr().String()
		if len(cfg.Hosts) == 0 {
			cfg.Hosts = []string{net.JoinHostPort("localhost", fmt.Sprint(ln.Addr().(*net.TCPAddr).Port))}
		}
	}
	if c.perMinute > 0 {
		cfg.CreateLimit = site.NewTokenBucket(c.perMinute, c.burst)
	}
	if c.clientHeader != "" {
		cfg.Client = site.HeaderClient(c.clientHeader)
	}
	srv := &http.Server{
		Handler:           site.New(cfg),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    64 << 10,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "serving http://%s/ (web %s, database %s, links on %s)\n", ln.Addr(), c.web, store.Path(), cfg.BaseURL)

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(stdout, "shutting down: finishing requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	if err := store.Close(); err != nil {
		return fmt.Errorf("closing the database: %w", err)
	}
	fmt.Fprintln(stdout, "stopped; database closed")
	return nil
}
