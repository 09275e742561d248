//go:build !js

package site

import (
	"context"
	"fmt"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// BenchmarkOpenBolt opens a database at the default quota, 100,000
// scenarios of 500 bytes: the meta checks and bbolt's page check that
// every start of ttt serve now pays.
func BenchmarkOpenBolt(b *testing.B) {
	dir := b.TempDir()
	s, err := OpenBolt(dir)
	if err != nil {
		b.Fatal(err)
	}
	val := []byte(fmt.Sprintf(`{"text":"%490d"}`, 0))
	for i := 0; i < 100_000; i += 10_000 {
		err := s.db.Update(func(tx *bolt.Tx) error {
			bk := tx.Bucket(scenariosBucket)
			for range 10_000 {
				if err := bk.Put([]byte(NewID()), val); err != nil {
					return err
				}
			}
			return bk.SetSequence(bk.Sequence() + 10_000)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	s.Close()
	b.ResetTimer()
	for range b.N {
		s, err := OpenBolt(dir)
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}

// BenchmarkTokenBucket is the create limit's cost per create, over 1,000
// clients.
func BenchmarkTokenBucket(b *testing.B) {
	tb := NewTokenBucket(1e9, 1_000_000)
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = fmt.Sprintf("192.0.2.%d", i)
	}
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		tb.Allow(ctx, keys[i%len(keys)])
	}
}
