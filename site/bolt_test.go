//go:build !js

package site

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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

// fillBolt writes n scenarios of about 2 kB into a new database in dir.
func fillBolt(t *testing.T, dir string, n int) {
	t.Helper()
	b, err := OpenBolt(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := b.Put(context.Background(), NewID(), []byte(fmt.Sprintf(`{"text":"%2000d"}`, i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestBoltDamagedPage: a database whose meta pages are intact but whose
// data pages were overwritten is refused by the page check, with an error
// naming the file, instead of crashing on first use.
func TestBoltDamagedPage(t *testing.T) {
	dir := t.TempDir()
	fillBolt(t, dir, 60)
	file := filepath.Join(dir, "scenarios.db")
	f, err := os.OpenFile(file, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	junk := bytes.Repeat([]byte{0xa5}, 3*4096)
	_, err = f.WriteAt(junk, 4*4096)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	b, err := OpenBolt(dir)
	if err == nil {
		b.Close()
		t.Fatal("OpenBolt of a database with overwritten pages succeeded")
	}
	if !strings.Contains(err.Error(), file) || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("OpenBolt = %v; want an error naming %s as damaged", err, file)
	}
}

// TestBoltQuota: Put stops at Max with ErrFull, and the count survives a
// reopen (it is kept in the file, not counted in memory).
func TestBoltQuota(t *testing.T) {
	dir := t.TempDir()
	fillBolt(t, dir, 3)
	b, err := OpenBolt(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	b.Max = 5
	ctx := context.Background()
	for i := range 3 {
		err := b.Put(ctx, NewID(), []byte(`{}`))
		if want := i == 2; errors.Is(err, ErrFull) != want || (!want && err != nil) {
			t.Fatalf("Put %d of a store with 3 of at most 5: %v", 4+i, err)
		}
	}
	if n, err := b.Count(); n != 5 || err != nil {
		t.Errorf("Count = %d, %v; want 5", n, err)
	}
}
