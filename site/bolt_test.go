//go:build !js

package site

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// TestBoltConcurrent writes and reads from many goroutines at once, then
// reopens the file and finds every scenario.
func TestBoltConcurrent(t *testing.T) {
	dir := t.TempDir()
	b, err := OpenBolt(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const workers, each = 64, 20
	ids := make([][]string, workers)
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				id := NewID()
				val := fmt.Appendf(nil, `{"w":%d,"i":%d}`, w, i)
				if err := b.Put(ctx, id, val); err != nil {
					errs <- err
					return
				}
				got, err := b.Get(ctx, id)
				if err != nil || string(got) != string(val) {
					errs <- fmt.Errorf("Get(%s) = %q, %v; want %q", id, got, err, val)
					return
				}
				ids[w] = append(ids[w], id)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}

	b, err = OpenBolt(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if n, _ := b.Count(); n != workers*each {
		t.Fatalf("after reopening: %d scenarios; want %d", n, workers*each)
	}
	for w := range workers {
		for i, id := range ids[w] {
			got, err := b.Get(ctx, id)
			if want := fmt.Sprintf(`{"w":%d,"i":%d}`, w, i); err != nil || string(got) != want {
				t.Fatalf("after reopening: Get(%s) = %q, %v; want %q", id, got, err, want)
			}
		}
	}
	// Ids are never overwritten, and a missing id is ErrNotFound.
	if err := b.Put(ctx, ids[0][0], []byte("{}")); !errors.Is(err, ErrExists) {
		t.Errorf("Put of a taken id = %v; want ErrExists", err)
	}
	if _, err := b.Get(ctx, NewID()); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get of a missing id = %v; want ErrNotFound", err)
	}
}

// TestBoltLocked: a second process (here, a second open) cannot open a
// database in use, and says so instead of waiting forever.
func TestBoltLocked(t *testing.T) {
	dir := t.TempDir()
	b, err := OpenBolt(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b2, err := OpenBolt(dir); err == nil {
		b2.Close()
		t.Fatal("a second OpenBolt of a database in use succeeded")
	}
}

func TestIDs(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := NewID()
		if !ValidID(id) || len(id) != IDLen || seen[id] {
			t.Fatalf("NewID() = %q: valid %v, seen %v", id, ValidID(id), seen[id])
		}
		seen[id] = true
	}
	for _, bad := range []string{"", "short", "AAAAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAA+A", "AAAAAAAAAAAAAAAAAAAAA/", "AAAAAAAAAAAAAAAAAAAAAB", "AAAAAAAAAAAAAAAAAAAA=="} {
		if ValidID(bad) {
			t.Errorf("ValidID(%q) = true", bad)
		}
	}
}
