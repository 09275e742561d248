//go:build !js

package site

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

var scenariosBucket = []byte("scenarios")

// Bolt is a Store in a bbolt file. Each Put is committed (and fsynced)
// before it returns; concurrent Puts share one commit through bbolt's Batch.
//
// The bucket's sequence number is the count of scenarios: it changes in
// the same transaction as the keys, so the quota holds exactly, and
// reading it costs nothing where counting the keys walks every page.
type Bolt struct {
	db *bolt.DB
	// Max is the most scenarios the store takes; a Put beyond it returns
	// ErrFull. 0: no limit. Set it before the first Put.
	Max int
}

// OpenBolt opens (or creates) the database scenarios.db in dir. Only one
// process may have it open: a second one gives up after a second. A damaged
// file (truncated, not a bbolt file, pages that do not add up) is an error
// naming the file and what is wrong, never a crash.
func OpenBolt(dir string) (*Bolt, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	file := filepath.Join(dir, "scenarios.db")
	if err := checkBoltPath(file); err != nil {
		return nil, fmt.Errorf("opening %s: %w; move it away to start with an empty database, or restore it from a backup", file, err)
	}
	db, err := openGuarded(file)
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("opening %s: another process (a ttt serve?) has it open", file)
	}
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", file, err)
	}
	if err := initBolt(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("opening %s: %w; move it away to start with an empty database, or restore it from a backup", file, err)
	}
	// Batch's default 10 ms wait would be the floor of every create's
	// latency; 1 ms still lets concurrent creates share a commit.
	db.MaxBatchDelay = time.Millisecond
	return &Bolt{db: db}, nil
}

// checkBoltPath checks an existing, non-empty file before bbolt maps it
// (an empty one bbolt initialises).
func checkBoltPath(file string) error {
	f, err := os.Open(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || fi.Size() == 0 {
		return err
	}
	return checkBoltFile(f)
}

// openGuarded is bolt.Open, with a panic or a memory fault while bbolt
// reads the mapped file (a damaged freelist) turned into an error. The
// file's lock and descriptor then stay with this process, which is about to
// exit with the error.
func openGuarded(file string) (db *bolt.DB, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			db, err = nil, fmt.Errorf("damaged: %v", r)
		}
	}()
	return bolt.Open(file, 0o600, &bolt.Options{Timeout: time.Second, PreLoadFreelist: true})
}

// initBolt creates the bucket of a new database and checks the pages of an
// existing one: every page reachable once and in bounds, every key in
// order. It also starts the count of a database written before there was
// one.
func initBolt(db *bolt.DB) error {
	err := db.View(func(tx *bolt.Tx) error {
		// The first error is enough, and the check must not go on into a
		// page that may fault: its goroutine is left blocked on its send.
		for err := range tx.Check() {
			return fmt.Errorf("damaged: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return db.Update(func(tx *bolt.Tx) error {
		bk, err := tx.CreateBucketIfNotExists(scenariosBucket)
		if err != nil {
			return err
		}
		if n := uint64(bk.Stats().KeyN); bk.Sequence() != n {
			return bk.SetSequence(n)
		}
		return nil
	})
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
		n := bk.Sequence()
		if b.Max > 0 && n >= uint64(b.Max) {
			return ErrFull
		}
		if err := bk.Put([]byte(id), scenario); err != nil {
			return err
		}
		return bk.SetSequence(n + 1)
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
		n = int(tx.Bucket(scenariosBucket).Sequence())
		return nil
	})
	return n, err
}
