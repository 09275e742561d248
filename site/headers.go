package site

import (
	"mime"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strings"
)

// The page's Content-Security-Policy. It allows only what the page needs:
// its own scripts, its wasm ('wasm-unsafe-eval' lets WebAssembly.instantiate
// compile; no JavaScript eval is allowed), fetches to its own API, and
// images and canvases from itself, data: and blob: URLs.
//
// style-src allows inline styles because ebiten's browser driver styles the
// document and its canvas from Go (a <style> element and style attributes).
// Scripts get no such allowance: the page must load its scripts from files.
const cspBase = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; " +
	"style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
	"connect-src 'self'; worker-src 'self' blob:; object-src 'none'; " +
	"base-uri 'self'; form-action 'self'"

// PageCSP is the policy of the full page: it may only be framed by itself.
const PageCSP = cspBase + "; frame-ancestors 'self'"

// EmbedCSP is the policy of the embed view, which any site may frame.
const EmbedCSP = cspBase + "; frame-ancestors *"

// Kind says which header set a response gets.
type Kind int

const (
	KindAsset Kind = iota // a static file other than HTML
	KindPage              // the full page's HTML
	KindEmbed             // the embed view's HTML
	KindAPI               // JSON from the API and oEmbed
)

// SecurityHeaders sets the headers that every response of the given kind
// carries.
//
// Cross-origin isolation (COOP same-origin + COEP require-corp) sharpens
// performance.now in the page from 100 µs to 5 µs, which the page's timings
// need. COOP is ignored inside an iframe, and COEP only constrains the
// page's own subresources, which are all same-origin, so neither breaks
// embedding; the embed view also says CORP cross-origin so that an embedder
// that is itself cross-origin isolated may load it.
func SecurityHeaders(h http.Header, k Kind) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	switch k {
	case KindPage:
		h.Set("Content-Security-Policy", PageCSP)
		h.Set("X-Frame-Options", "SAMEORIGIN")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Embedder-Policy", "require-corp")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
	case KindEmbed:
		h.Set("Content-Security-Policy", EmbedCSP)
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Embedder-Policy", "require-corp")
		h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	case KindAsset:
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
	case KindAPI:
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
	}
}

// KindOf tells the header set of a static file by its name: embed.html is
// the embed view, other HTML is the page. view.html, the canvas frame, is
// framed by the embed view and so, through it, by any site: frame-ancestors
// checks every ancestor, not only the parent.
func KindOf(name string) Kind {
	switch {
	case path.Base(name) == "embed.html", path.Base(name) == "view.html":
		return KindEmbed
	case strings.HasSuffix(name, ".html"):
		return KindPage
	}
	return KindAsset
}

// contentTypes names the types that matter to the page explicitly, so that
// they do not depend on the machine's mime tables.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".mjs":  "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".wasm": "application/wasm",
	".wgsl": "text/wgsl; charset=utf-8",
	".json": "application/json",
	".map":  "application/json",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".ico":  "image/x-icon",
	".txt":  "text/plain; charset=utf-8",
	".md":   "text/markdown; charset=utf-8",
	".gz":   "application/gzip",
	".br":   "application/octet-stream",
}

// ContentType is the Content-Type of a static file, by its extension.
func ContentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if t, ok := contentTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

// hashed matches a content hash of 8 or more hex digits just before the
// extension: app.3f2a9c1b.wasm, app-3f2a9c1b.js.
var hashed = regexp.MustCompile(`[.-][0-9a-f]{8,64}\.[A-Za-z0-9]+$`)

// Cache-Control values.
const (
	CacheImmutable  = "public, max-age=31536000, immutable"
	CacheRevalidate = "no-cache"
)

// CacheControl is the Cache-Control of a static file: content-hashed files
// never change under their name, everything else (HTML above all, and
// app.wasm while it has no hash in its name) is revalidated on every use.
func CacheControl(name string) string {
	if hashed.MatchString(path.Base(name)) {
		return CacheImmutable
	}
	return CacheRevalidate
}

// EmbedRedirect is where a page address with ?embed=1 leads: the page (/,
// /index.html) to /embed.html and a saved scenario's /s/{id} to /e/{id},
// keeping the rest of the query. The page itself may only be framed by
// itself, so a frame of ?embed=1 must be sent on before the page loads.
func EmbedRedirect(u *url.URL) (string, bool) {
	q := u.Query()
	if q.Get("embed") != "1" {
		return "", false
	}
	q.Del("embed")
	var to string
	switch p := u.Path; {
	case p == "/" || p == "" || p == "/index.html":
		to = "/embed.html"
	case strings.HasPrefix(p, "/s/"):
		to = "/e/" + strings.TrimPrefix(p, "/s/")
	default:
		return "", false
	}
	if enc := q.Encode(); enc != "" {
		to += "?" + enc
	}
	return to, true
}
