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
//	POST /api/scenarios           a scenario (scenario.Scenario, as application/json) → 201 {"id", "url", "embed_url", "scenario"};
//	                              415 for another Content-Type, 429 (Retry-After) over the client's rate, 507 when the store is full
//	GET  /api/scenarios/{id}      the scenario's canonical JSON
//	GET  /s/{id}                  the page, with the scenario in <script type="application/json" id="scenario">
//	GET  /e/{id}                  the embed view (embed.html, else index.html), likewise; any site may frame it
//	GET  /oembed?url=…            oEmbed JSON (type rich) for a /s/{id}, /e/{id} or page URL
//	GET  /…                       static files
package site

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"slices"
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
	// BaseURL is the site's public origin, such as https://ttt.example
	// (see ParseBaseURL). Links (a create's url and embed_url, oEmbed, the
	// page's oEmbed discovery link) are made with it and never with a
	// request's Host header, which any client chooses and which would end
	// up in publicly cached answers. Empty: taken from each request, which
	// only tests should do; ttt serve and the Worker always set it.
	BaseURL string
	// Hosts are other names of the site (host[:port], as in a Host
	// header), such as localhost:8080 beside http://127.0.0.1:8080: a
	// request for one of them gets links with its own host. A request for
	// any other host gets links with BaseURL.
	Hosts []string
	// CreateLimit limits each client's creates (nil: no limit); reads are
	// not limited.
	CreateLimit Limiter
	// Client names a request's client for CreateLimit (nil: RemoteClient).
	Client func(*http.Request) string
	// Logf logs what an error answer leaves out, such as the store's own
	// error (nil: log.Printf).
	Logf func(format string, args ...any)
}

// Handler is the site.
type Handler struct {
	cfg Config
	mux *http.ServeMux
}

// New returns the site's handler.
func New(cfg Config) *Handler {
	if cfg.Client == nil {
		cfg.Client = RemoteClient
	}
	if cfg.Logf == nil {
		cfg.Logf = log.Printf
	}
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

// origin is the site's public origin for this request, without a trailing
// slash: BaseURL, or the request's host if it is one of Hosts.
func (h *Handler) origin(r *http.Request) string {
	if h.cfg.BaseURL == "" {
		return requestOrigin(r)
	}
	base := strings.TrimSuffix(h.cfg.BaseURL, "/")
	if host := requestHost(r); h.otherName(host) {
		scheme, _, _ := strings.Cut(base, "://")
		return scheme + "://" + strings.ToLower(host)
	}
	return base
}

// otherName reports whether host is one of Hosts.
func (h *Handler) otherName(host string) bool {
	return slices.ContainsFunc(h.cfg.Hosts, func(name string) bool { return strings.EqualFold(name, host) })
}

// ownHost reports whether host (of a URL given to oEmbed) names this site.
func (h *Handler) ownHost(r *http.Request, host string) bool {
	for _, origin := range []string{h.origin(r), strings.TrimSuffix(h.cfg.BaseURL, "/")} {
		if _, self, _ := strings.Cut(origin, "://"); self != "" && strings.EqualFold(host, self) {
			return true
		}
	}
	return h.otherName(host)
}

// requestHost is the host the request was sent to: in the Worker the
// request URL is absolute; natively it is a path and the host is in Host.
func requestHost(r *http.Request) string {
	if r.URL.Host != "" {
		return r.URL.Host
	}
	return r.Host
}

func requestOrigin(r *http.Request) string {
	if r.URL.Scheme != "" && r.URL.Host != "" {
		return r.URL.Scheme + "://" + r.URL.Host
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// ParseBaseURL checks a public origin for Config.BaseURL: http or https, a
// host, and nothing after it but an optional "/". It returns it without the
// slash.
func ParseBaseURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "", fmt.Errorf("base URL %q: %v", raw, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("base URL %q: want http:// or https://", raw)
	case u.Host == "" || u.User != nil:
		return "", fmt.Errorf("base URL %q: want a host, as in https://ttt.example", raw)
	case (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "":
		return "", fmt.Errorf("base URL %q: want an origin only (scheme and host), no path, query or fragment", raw)
	}
	return u.Scheme + "://" + strings.ToLower(u.Host), nil
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

// WriteError answers with the site's JSON error body and headers, for code
// outside the handler (the Worker's) that answers on its own.
func WriteError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, apiError{Error: msg})
}

func writeError(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, apiError{Error: fmt.Sprintf(format, args...)})
}

// internalError answers 500 saying what failed, and logs why: the error
// of a store, a file system or a socket can carry paths and addresses,
// which are nobody's business outside the server.
func (h *Handler) internalError(w http.ResponseWriter, r *http.Request, what string, err error) {
	internalError(w, r, h.cfg.Logf, what, err)
}

func internalError(w http.ResponseWriter, r *http.Request, logf func(string, ...any), what string, err error) {
	logf("site: %s %s: %s: %v", r.Method, r.URL.Path, what, err)
	writeError(w, http.StatusInternalServerError, "%s failed on the server; try again later", what)
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
