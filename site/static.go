package site

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net/http"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Assets is where the page's files come from. Natively it is a directory
// (Static); in the Worker, wrangler serves the files and the Go side only
// reads the page's HTML through the ASSETS binding.
type Assets interface {
	// ServeHTTP answers GET and HEAD for a static file.
	http.Handler
	// ReadFile returns one file, for the routes that render the page with a
	// scenario. A missing file is an error satisfying errors.Is(err, fs.ErrNotExist).
	ReadFile(ctx context.Context, name string) ([]byte, error)
}

// Static serves the files of a file system: the right Content-Type, a
// precompressed variant (name.br, name.gz) when the client accepts it,
// Cache-Control by name, an ETag, ranges, and the security headers.
// Directories answer with their index.html; names with a dot segment
// (.git, .env) are never served.
type Static struct {
	fsys fs.FS

	mu    sync.Mutex
	etags map[string]etag // by name, computed once per size and mod time
}

type etag struct {
	size  int64
	mod   time.Time
	value string
}

// NewStatic serves the files of fsys.
func NewStatic(fsys fs.FS) *Static {
	return &Static{fsys: fsys, etags: map[string]etag{}}
}

// Dir serves the directory dir. It opens it as an os.Root, so that no name
// (a symbolic link included) reaches outside it. The directory need not
// exist yet: until it does, every file is missing.
func Dir(dir string) *Static {
	return NewStatic(lazyRoot(dir))
}

// lazyRoot opens the directory on each use, so that a web directory that
// is built (or rebuilt) after the server starts is served.
type lazyRoot string

func (d lazyRoot) Open(name string) (fs.File, error) {
	root, err := os.OpenRoot(string(d))
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	f, err := root.FS().Open(name)
	root.Close() // an open file outlives its root
	return f, err
}

// ReadFile implements Assets.
func (s *Static) ReadFile(_ context.Context, name string) ([]byte, error) {
	return fs.ReadFile(s.fsys, name)
}

func (s *Static) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodGet, http.MethodHead) {
		return
	}
	name := strings.TrimPrefix(r.URL.Path, "/")
	if name == "" || strings.HasSuffix(name, "/") {
		name += "index.html"
	}
	if !fs.ValidPath(name) || hidden(name) {
		writeError(w, http.StatusNotFound, "no such file: %s", r.URL.Path)
		return
	}
	fi, err := fs.Stat(s.fsys, name)
	if err == nil && fi.IsDir() {
		// A directory without the slash: send the browser to the slash, as
		// http.FileServer does, so that relative links resolve.
		http.Redirect(w, r, path.Base(name)+"/", http.StatusMovedPermanently)
		return
	}
	if err != nil || !fi.Mode().IsRegular() {
		writeError(w, http.StatusNotFound, "no such file: %s", r.URL.Path)
		return
	}

	h := w.Header()
	SecurityHeaders(h, KindOf(name))
	h.Set("Content-Type", ContentType(name))
	h.Set("Cache-Control", CacheControl(name))

	// Pick the smallest representation the client accepts.
	served, encoding := name, ""
	for _, enc := range []struct{ coding, ext string }{{"br", ".br"}, {"gzip", ".gz"}} {
		if !accepts(r.Header.Get("Accept-Encoding"), enc.coding) {
			continue
		}
		if vi, err := fs.Stat(s.fsys, name+enc.ext); err == nil && vi.Mode().IsRegular() {
			served, encoding, fi = name+enc.ext, enc.coding, vi
			break
		}
	}
	if s.hasVariant(name) {
		h.Add("Vary", "Accept-Encoding")
	}
	if encoding != "" {
		h.Set("Content-Encoding", encoding)
	}

	f, err := s.fsys.Open(served)
	if err != nil {
		writeError(w, http.StatusNotFound, "no such file: %s", r.URL.Path)
		return
	}
	defer f.Close()
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		// Every fs.FS this package is given (os.Root, fstest.MapFS, embed.FS)
		// has seekable files; read into memory otherwise.
		data, err := io.ReadAll(f)
		if err != nil {
			internalError(w, r, log.Printf, "reading the file", err)
			return
		}
		rs = bytes.NewReader(data)
	}
	if tag, err := s.etag(served, fi); err == nil {
		h.Set("ETag", tag)
	}
	http.ServeContent(w, r, name, fi.ModTime(), rs)
}

// hasVariant reports whether name has a precompressed variant, so that
// caches key its responses on Accept-Encoding.
func (s *Static) hasVariant(name string) bool {
	for _, ext := range []string{".br", ".gz"} {
		if _, err := fs.Stat(s.fsys, name+ext); err == nil {
			return true
		}
	}
	return false
}

// etag is a strong validator from the file's SHA-256, computed once for
// each size and modification time of the file.
func (s *Static) etag(name string, fi fs.FileInfo) (string, error) {
	s.mu.Lock()
	e, ok := s.etags[name]
	s.mu.Unlock()
	if ok && e.size == fi.Size() && e.mod.Equal(fi.ModTime()) {
		return e.value, nil
	}
	f, err := s.fsys.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sum := sha256.New()
	if _, err := io.Copy(sum, f); err != nil {
		return "", err
	}
	value := `"` + base64.RawURLEncoding.EncodeToString(sum.Sum(nil)[:18]) + `"`
	s.mu.Lock()
	s.etags[name] = etag{fi.Size(), fi.ModTime(), value}
	s.mu.Unlock()
	return value, nil
}

// hidden reports whether a name has a segment starting with a dot.
func hidden(name string) bool {
	for _, seg := range strings.Split(name, "/") {
		if strings.HasPrefix(seg, ".") {
			return true
		}
	}
	return false
}

// accepts reports whether an Accept-Encoding header accepts a coding:
// named (or matched by *) with a q-value above zero.
func accepts(header, coding string) bool {
	star := false
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				}
			}
		}
		switch name {
		case coding:
			return q > 0
		case "*":
			star = q > 0
		}
	}
	return star
}

// readPage reads one of the page's HTML files, falling back in order; with
// none of them there, it returns a minimal page so that scenario links work
// before the page is built.
func readPage(ctx context.Context, a Assets, names ...string) ([]byte, error) {
	for _, name := range names {
		data, err := a.ReadFile(ctx, name)
		if err == nil {
			return data, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
	}
	return []byte(fallbackPage), nil
}

const fallbackPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>TTT Explainer</title>
</head>
<body>
<p>The page is not built yet; the scenario is saved and will open here once it is.</p>
</body>
</html>
`
