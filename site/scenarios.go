package site

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"

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
	if !allow(w, r, http.MethodPost) {
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			writeError(w, http.StatusUnsupportedMediaType, "Content-Type %q: send the scenario as application/json", ct)
			return
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "request body over %d bytes (a scenario's text may be at most %d bytes)", MaxBody, scenario.MaxText)
			return
		}
		writeError(w, http.StatusBadRequest, "reading the request body: %v", err)
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
		writeError(w, http.StatusInternalServerError, "encoding the scenario: %v", err)
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
	if err != nil {
		writeError(w, http.StatusInternalServerError, "storing the scenario failed: %v", err)
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
		writeError(w, http.StatusInternalServerError, "reading scenario %q failed: %v", id, err)
		return nil, false
	}
	return data, true
}
