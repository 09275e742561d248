package site

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
)

// Store keeps saved scenarios by id. The value is the scenario's canonical
// JSON, written once and never changed. Implementations: Bolt (a bbolt file,
// for `ttt serve`) and the Worker's KV namespace (worker/kv.go).
type Store interface {
	// Put stores a new scenario. It returns ErrExists if id is taken and
	// ErrFull if the store has reached its quota.
	Put(ctx context.Context, id string, scenario []byte) error
	// Get returns a scenario, or ErrNotFound.
	Get(ctx context.Context, id string) ([]byte, error)
}

var (
	// ErrNotFound is returned by Store.Get for an id that was never stored.
	ErrNotFound = errors.New("site: no such scenario")
	// ErrExists is returned by Store.Put for an id that is taken.
	ErrExists = errors.New("site: scenario id taken")
	// ErrFull is returned by Store.Put when the store holds as many
	// scenarios as it may.
	ErrFull = errors.New("site: the scenario store is full")
)

// idBytes is the size of a scenario id: 128 random bits, so ids cannot be
// guessed or enumerated.
const idBytes = 16

// IDLen is the length of an id: 16 bytes in unpadded base64url.
const IDLen = 22

var idEncoding = base64.RawURLEncoding.Strict()

// NewID returns a fresh random scenario id.
func NewID() string {
	var b [idBytes]byte
	rand.Read(b[:]) // never fails (crypto/rand panics rather than return a short read)
	return idEncoding.EncodeToString(b[:])
}

// ValidID reports whether s has the form of an id. Only such strings reach a
// store: anything else is a 404 without a lookup.
func ValidID(s string) bool {
	if len(s) != IDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	// Strict decoding also refuses a last character with stray low bits, so
	// each id has exactly one spelling.
	b, err := idEncoding.DecodeString(s)
	return err == nil && len(b) == idBytes
}
