package site

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"tttexplainer/scenario"
	"tttexplainer/snippet"
)

// OEmbed is an oEmbed 1.0 response of type rich.
type OEmbed struct {
	Version      string `json:"version"`
	Type         string `json:"type"`
	ProviderName string `json:"provider_name"`
	ProviderURL  string `json:"provider_url"`
	Title        string `json:"title"`
	HTML         string `json:"html"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	CacheAge     int    `json:"cache_age,omitempty"`
}

func (h *Handler) oembed(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodGet, http.MethodHead) {
		return
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	q := r.URL.Query()
	if f := q.Get("format"); f != "" && f != "json" {
		writeError(w, http.StatusNotImplemented, "format %q: only json is served", f)
		return
	}
	dims := [2]int{}
	for i, key := range []string{"maxwidth", "maxheight"} {
		if v := q.Get(key); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				writeJSON(w, http.StatusBadRequest, apiError{Error: fmt.Sprintf("%s %q: want a whole number ≥ 1", key, v), Field: key})
				return
			}
			dims[i] = n
		}
	}
	raw := q.Get("url")
	if raw == "" {
		writeJSON(w, http.StatusBadRequest, apiError{Error: "url: missing; give the URL of a page of this site", Field: "url"})
		return
	}
	origin := h.origin(r)
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || !h.ownHost(r, u.Host) {
		writeError(w, http.StatusNotFound, "no embed for %q: not a URL of %s", raw, origin)
		return
	}

	var src, title string
	switch p := u.Path; {
	case strings.HasPrefix(p, "/s/") || strings.HasPrefix(p, "/e/"):
		id := p[3:]
		if !ValidID(id) {
			writeError(w, http.StatusNotFound, "no scenario %q", id)
			return
		}
		data, err := h.cfg.Store.Get(r.Context(), id)
		if errors.Is(err, ErrNotFound) {
			writeError(w, http.StatusNotFound, "no scenario %q", id)
			return
		}
		if err != nil {
			h.internalError(w, r, "reading the scenario", err)
			return
		}
		var s scenario.Scenario
		if err := json.Unmarshal(data, &s); err != nil {
			h.internalError(w, r, "decoding the stored scenario", err)
			return
		}
		src, title = snippet.Src(origin, p, &s), snippet.Title(&s)
	case p == "" || p == "/" || p == "/index.html" || p == "/embed.html":
		// The page with its state in the query, as the page's own URL has it.
		s, err := scenario.FromQuery(u.Query())
		if err != nil {
			var fe *scenario.FieldError
			if errors.As(err, &fe) {
				writeJSON(w, http.StatusBadRequest, apiError{Error: "url: invalid scenario: " + fe.Error(), Field: fe.Field})
				return
			}
			writeError(w, http.StatusBadRequest, "url: invalid scenario: %v", err)
			return
		}
		src, title = snippet.Src(origin, p, &s), snippet.Title(&s)
	default:
		writeError(w, http.StatusNotFound, "no embed for %q: embeddable are /s/{id}, /e/{id} and the page", raw)
		return
	}

	width, height := snippet.Size(dims[0], dims[1])
	w.Header().Set("Cache-Control", "public, max-age=86400")
	writeJSON(w, http.StatusOK, OEmbed{
		Version:      "1.0",
		Type:         "rich",
		ProviderName: "TTT Explainer",
		ProviderURL:  origin + "/",
		Title:        title,
		HTML:         snippet.Iframe(src, title, width, height),
		Width:        width,
		Height:       height,
		CacheAge:     86400,
	})
}
