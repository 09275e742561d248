package site

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"

	"tttexplainer/scenario"
)

// created is the answer to a POST /api/scenarios.
type created struct {
	ID       string          `json:"id"`
	URL      string          `json:"url"`       // the page with the scenario: /s/{id}
	EmbedURL string          `json:"embed_url"` // the embed view: /e/{id}
	Scenario json.RawMessage `json:"scenario"`  // as stored
}

func (h *Handler) scenarios(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodPost) || !h.admit(w, r) {
		return
	}
	// A JSON type is required, not only checked when present: a cross-site
	// form or no-cors fetch can send a body without one (or as text/plain),
	// but cannot send application/json without the CORS preflight that
	// this site never answers.
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "Content-Type %q: send the scenario as application/json", ct)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "request body over %d bytes (a scenario's text may be at most %d bytes)", MaxBody, scenario.MaxText)
			return
		}
		h.cfg.Logf("site: %s %s: reading the body: %v", r.Method, r.URL.Path, err)
		writeError(w, http.StatusBadRequest, "the request body could not be read to its end")
		return
	}
	s, err := scenario.DecodeJSON(body)
	if err != nil {
		var fe *scenario.FieldError
		if errors.As(err, &fe) {
			writeJSON(w, http.StatusBadRequest, apiError{Error: "invalid scenario: " + fe.Error(), Field: fe.Field})
			return
		}
		writeError(w, http.StatusBadRequest, "invalid scenario: %v", err)
		return
	}
	canonical, err := json.Marshal(s)
	if err != nil {
		h.internalError(w, r, "encoding the scenario", err)
		return
	}
	// A taken id means 2^-128 bad luck, or a store that lost its randomness
	// source; try a few times before calling it an error.
	var id string
	for try := 0; ; try++ {
		id = NewID()
		err = h.cfg.Store.Put(r.Context(), id, canonical)
		if !errors.Is(err, ErrExists) || try == 3 {
			break
		}
	}
	if errors.Is(err, ErrFull) {
		writeError(w, http.StatusInsufficientStorage, "the site holds as many saved scenarios as it may: no new one can be saved (links to saved ones still work)")
		return
	}
	if err != nil {
		h.internalError(w, r, "storing the scenario", err)
		return
	}
	origin := h.origin(r)
	w.Header().Set("Location", "/api/scenarios/"+id)
	writeJSON(w, http.StatusCreated, created{
		ID:       id,
		URL:      pathURL(origin, "/s/"+id),
		EmbedURL: pathURL(origin, "/e/"+id),
		Scenario: canonical,
	})
}

func (h *Handler) scenario(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodGet, http.MethodHead) {
		return
	}
	data, ok := h.load(w, r)
	if !ok {
		return
	}
	// A scenario never changes under its id.
	w.Header().Set("Cache-Control", CacheImmutable)
	writeRaw(w, http.StatusOK, data)
}

// load reads the scenario named by the path's {id}, answering 404 for a
// malformed or unknown id.
func (h *Handler) load(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	id := r.PathValue("id")
	if !ValidID(id) {
		writeError(w, http.StatusNotFound, "no scenario %q: an id is %d characters of base64url", id, IDLen)
		return nil, false
	}
	data, err := h.cfg.Store.Get(r.Context(), id)
	if errors.Is(err, ErrNotFound) {
		writeError(w, http.StatusNotFound, "no scenario %q", id)
		return nil, false
	}
	if err != nil {
		h.internalError(w, r, "reading the scenario", err)
		return nil, false
	}
	return data, true
}

// admit answers 429 with Retry-After when the request's client has used
// up its creates.
func (h *Handler) admit(w http.ResponseWriter, r *http.Request) bool {
	if h.cfg.CreateLimit == nil {
		return true
	}
	ok, wait, err := h.cfg.CreateLimit.Allow(r.Context(), h.cfg.Client(r))
	if err != nil {
		// A limiter that fails open keeps the site usable; it is logged.
		h.cfg.Logf("site: rate limit for %s: %v", r.URL.Path, err)
		return true
	}
	if !ok {
		secs := max(int(math.Ceil(wait.Seconds())), 1)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		writeError(w, http.StatusTooManyRequests, "too many scenarios saved from your address: try again in %d s", secs)
		return false
	}
	return true
}
