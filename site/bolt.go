//go:build !js

package site

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

var scenariosBucket = []byte("scenarios")

// Bolt is a Store in a bbolt file. Each Put is committed (and fsynced)
// before it returns; concurrent Puts share one commit through bbolt's Batch.
type Bolt struct {
	db *bolt.DB
}

// OpenBolt opens (or creates) the database scenarios.db in dir. Only one
// process may have it open: a second one gives up after a second.
func OpenBolt(dir string) (*Bolt, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	file := filepath.Join(dir, "scenarios.db")
	db, err := bolt.Open(file, 0o600, &bolt.Options{Timeout: time.Second})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("opening %s: another process (a ttt serve?) has it open", file)
	}
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", file, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(scenariosBucket)
		return err
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	// Batch's default 10 ms wait would be the floor of every create's
	// latency; 1 ms still lets concurrent creates share a commit.
	db.MaxBatchDelay = time.Millisecond
	return &Bolt{db: db}, nil
}

// Path is the database file.
func (b *Bolt) Path() string { return b.db.Path() }

// Close closes the database; every Put that returned is on disk.
func (b *Bolt) Close() error { return b.db.Close() }

// Put implements Store.
func (b *Bolt) Put(_ context.Context, id string, scenario []byte) error {
	return b.db.Batch(func(tx *bolt.Tx) error {
		bk := tx.Bucket(scenariosBucket)
		if bk.Get([]byte(id)) != nil {
			return ErrExists
		}
		return bk.Put([]byte(id), scenario)
	})
}

// Get implements Store.
func (b *Bolt) Get(_ context.Context, id string) ([]byte, error) {
	var out []byte
	err := b.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(scenariosBucket).Get([]byte(id))
		if v == nil {
			return ErrNotFound
		}
		out = append([]byte(nil), v...) // v lives only as long as the transaction
		return nil
	})
	return out, err
}

// Count is the number of stored scenarios.
func (b *Bolt) Count() (int, error) {
	n := 0
	err := b.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(scenariosBucket).Stats().KeyN
		return nil
	})
	return n, err
}
