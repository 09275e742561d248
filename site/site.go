// Package site is the server side of TTT Explainer as one http.Handler:
// the page's static files, the scenario API, the scenario and embed views
// and oEmbed. `ttt serve` runs it natively with a bbolt Store and the web
// directory; worker/ runs it on Cloudflare Workers with a KV Store, where
// wrangler serves the static files and Go answers /api/*, /s/*, /e/* and
// /oembed.
//
// Routes (every error is JSON {"error": "..."} with its status):
//
//	GET  /api/health              {"status":"ok"}
//	POST /api/scenarios           a scenario (demo.Scenario JSON) → 201 {"id", "url", "embed_url", "scenario"}
//	GET  /api/scenarios/{id}      the scenario's canonical JSON
//	GET  /s/{id}                  the page, with the scenario in <script type="application/json" id="scenario">
//	GET  /e/{id}                  the embed view (embed.html, else index.html), likewise; any site may frame it
//	GET  /oembed?url=…            oEmbed JSON (type rich) for a /s/{id}, /e/{id} or page URL
//	GET  /…                       static files
package site

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// MaxBody is the largest request body the API reads. Any JSON encoding of
// a valid scenario fits: demo.MaxText bytes of text escaped at worst as
// \u00XX (6 bytes a byte) is 96 KiB, plus the other fields.
const MaxBody = 128 << 10

// Config is what the handler serves from.
type Config struct {
	// Store keeps the scenarios.
	Store Store
	// Assets serves the static files (nil: none, as in the Worker, where
	// wrangler serves them) and gives the page's HTML to /s/ and /e/.
	Assets Assets
	// BaseURL is the site's public origin, such as https://ttt.example.
	// Empty: taken from each request.
	BaseURL string
}

// Handler is the site.
type Handler struct {
	cfg Config
	mux *http.ServeMux
}

// New returns the site's handler.
func New(cfg Config) *Handler {
	h := &Handler{cfg: cfg, mux: http.NewServeMux()}
	h.mux.HandleFunc("/api/health", h.health)
	h.mux.HandleFunc("/api/scenarios", h.scenarios)
	h.mux.HandleFunc("/api/scenarios/{id}", h.scenario)
	h.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such API route: %s", r.URL.Path)
	})
	h.mux.HandleFunc("/s/{id}", h.view(false))
	h.mux.HandleFunc("/e/{id}", h.view(true))
	h.mux.HandleFunc("/oembed", h.oembed)
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if cfg.Assets == nil {
			writeError(w, http.StatusNotFound, "no such file: %s", r.URL.Path)
			return
		}
		cfg.Assets.ServeHTTP(w, r)
	})
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if to, ok := EmbedRedirect(r.URL); ok && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		SecurityHeaders(w.Header(), KindEmbed)
		http.Redirect(w, r, to, http.StatusFound)
		return
	}
	h.mux.ServeHTTP(w, r)
}

func (h *Handler) health(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodGet, http.MethodHead) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// origin is the site's public origin without a trailing slash.
func (h *Handler) origin(r *http.Request) string {
	if h.cfg.BaseURL != "" {
		return strings.TrimSuffix(h.cfg.BaseURL, "/")
	}
	// In the Worker the request URL is absolute; natively it is a path.
	if r.URL.Scheme != "" && r.URL.Host != "" {
		return r.URL.Scheme + "://" + r.URL.Host
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// allow answers 405 with an Allow header unless the request's method is one
// of methods.
func allow(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	writeError(w, http.StatusMethodNotAllowed, "method %s not allowed on %s; allowed: %s", r.Method, r.URL.Path, strings.Join(methods, ", "))
	return false
}

// apiError is the body of every error.
type apiError struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"` // the scenario field at fault, for a 400
}

func writeError(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, apiError{Error: fmt.Sprintf(format, args...)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"error":"encoding the response failed"}`)
	}
	writeRaw(w, status, body)
}

// writeRaw writes a JSON body, with the API's headers. Error responses are
// never cached.
func writeRaw(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	// Headers a static file handler may have set before it failed.
	for _, k := range []string{"Content-Encoding", "ETag", "Vary", "Last-Modified"} {
		h.Del(k)
	}
	SecurityHeaders(h, KindAPI)
	h.Set("Content-Type", "application/json; charset=utf-8")
	if status >= 400 || h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-store")
	}
	h.Set("Content-Length", fmt.Sprint(len(body)+1))
	w.WriteHeader(status)
	w.Write(body)
	w.Write([]byte("\n"))
}

// pathURL joins the origin and a path.
func pathURL(origin, p string) string {
	return origin + (&url.URL{Path: p}).EscapedPath()
}
