package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
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

// serve runs the site (site.New) natively: static files from -web, scenarios
// in a bbolt database under -data. It prints the URL it serves, and on
// SIGINT or SIGTERM stops taking connections, lets requests in flight finish
// and closes the database, so that every scenario it answered 201 for is on
// disk.
func serve(args []string, stdout io.Writer) error {
	fl := newFlags("serve", "[-addr 127.0.0.1:8080] [-data DIR] [-web DIR] [-base-url URL]")
	addr := fl.String("addr", "127.0.0.1:8080", "address to listen on (port 0: any free port)")
	data := fl.String("data", "data", "directory of the scenario database (created if missing)")
	web := fl.String("web", "web", "directory of the page's static files")
	base := fl.String("base-url", "", "public origin for links and oEmbed, e.g. https://ttt.example (default: from each request)")
	if err := parse(fl, args); err != nil {
		return err
	}
	if fl.NArg() != 0 {
		fmt.Fprintf(os.Stderr, "ttt serve: unexpected arguments %q\n", fl.Args())
		return errUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serveUntil(ctx, *addr, *data, *web, *base, stdout)
}

// serveUntil serves until ctx is done, then shuts down gracefully.
func serveUntil(ctx context.Context, addr, data, web, base string, stdout io.Writer) error {
	store, err := site.OpenBolt(data)
	if err != nil {
		return err
	}
	defer store.Close()
	if _, err := os.Stat(filepath.Join(web, "index.html")); err != nil {
		fmt.Fprintf(os.Stderr, "ttt serve: warning: no %s yet (build the page); the API and scenario links work without it\n", filepath.Join(web, "index.html"))
	}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           site.New(site.Config{Store: store, Assets: site.Dir(web), BaseURL: base}),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    64 << 10,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "serving http://%s/ (web %s, database %s)\n", ln.Addr(), web, store.Path())

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
