package site

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"

	"tttexplainer/scenario"
	"tttexplainer/snippet"
)

// view answers /s/{id} (the page) and /e/{id} (the embed view): the page's
// HTML with the scenario in it, for the page to read with
//
//	JSON.parse(document.getElementById("scenario").textContent)
//
// The scenario (its text included) enters the HTML only inside that JSON
// script element, with <, > and & escaped as \u003c, \u003e and \u0026, so
// no text can close the element or start markup.
func (h *Handler) view(embed bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !allow(w, r, http.MethodGet, http.MethodHead) {
			return
		}
		data, ok := h.load(w, r)
		if !ok {
			return
		}
		var s scenario.Scenario
		if err := json.Unmarshal(data, &s); err != nil {
			h.internalError(w, r, "decoding the stored scenario", err)
			return
		}
		names, kind := []string{"index.html"}, KindPage
		if embed {
			names, kind = []string{"embed.html", "index.html"}, KindEmbed
		}
		var page []byte
		var err error
		if h.cfg.Assets != nil {
			page, err = readPage(r.Context(), h.cfg.Assets, names...)
		} else {
			page = []byte(fallbackPage)
		}
		if err != nil {
			h.internalError(w, r, "reading the page", err)
			return
		}
		origin := h.origin(r)
		oembed := origin + "/oembed?" + url.Values{"url": {pathURL(origin, r.URL.Path)}, "format": {"json"}}.Encode()
		out := renderPage(page, data, oembed, Title(&s))

		hd := w.Header()
		SecurityHeaders(hd, kind)
		hd.Set("Content-Type", "text/html; charset=utf-8")
		hd.Set("Cache-Control", CacheRevalidate) // the page changes with each release
		hd.Set("Content-Length", fmt.Sprint(len(out)))
		w.WriteHeader(http.StatusOK)
		w.Write(out)
	}
}

var (
	headOpen  = regexp.MustCompile(`(?i)<head(\s[^>]*)?>`)
	headClose = regexp.MustCompile(`(?i)</head\s*>`)
)

// renderPage puts into the page's head, right after <head>: a base URL (so
// that the page's relative links resolve from /, not from /s/), the oEmbed
// discovery link, and the scenario as a JSON script element before </head>.
func renderPage(page, scenario []byte, oembedHref, title string) []byte {
	var top bytes.Buffer
	top.WriteString(`<base href="/">`)
	fmt.Fprintf(&top, `<link rel="alternate" type="application/json+oembed" href="%s" title="%s">`,
		html.EscapeString(oembedHref), html.EscapeString(title))

	var script bytes.Buffer
	script.WriteString(`<script type="application/json" id="scenario">`)
	json.HTMLEscape(&script, scenario) // also escapes U+2028 and U+2029
	script.WriteString(`</script>`)

	out := make([]byte, 0, len(page)+top.Len()+script.Len())
	at := 0
	if loc := headOpen.FindIndex(page); loc != nil {
		at = loc[1]
	}
	out = append(out, page[:at]...)
	out = append(out, top.Bytes()...)
	rest := page[at:]
	if loc := headClose.FindIndex(rest); loc != nil {
		out = append(out, rest[:loc[0]]...)
		out = append(out, script.Bytes()...)
		out = append(out, rest[loc[0]:]...)
	} else {
		out = append(out, script.Bytes()...)
		out = append(out, rest...)
	}
	return out
}

// Title names a scenario for people (snippet.Title: the embed code's title).
func Title(s *scenario.Scenario) string { return snippet.Title(s) }
