//go:build !js

package site

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// bbolt maps its file into memory and follows page ids without bounds
// checks, so a damaged file (a truncated copy, another program's file)
// kills the process with a fault that recover() does not catch. These
// checks run before bolt.Open and refuse such a file with an error instead.
//
// The layout is bbolt v1.5.0's (internal/common/page.go and meta.go): pages
// 0 and 1 are meta pages, each a 16-byte page header followed by
//
//	magic, version, pageSize, flags uint32; root, sequence, freelist, pgid, txid uint64; checksum uint64
//
// in the machine's byte order, the checksum being FNV-64a of the fields
// before it. pgid is the high-water mark: every page the database uses lies
// below it.
const (
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	boltPageHeader = 16
	boltMetaSum    = 56 // bytes of the meta before its checksum
	boltMinPage    = 1024
)

// boltMeta is what the checks need of a meta page.
type boltMeta struct {
	pageSize uint32
	pgid     uint64 // high-water mark
	txid     uint64
}

// parseBoltMeta decodes the meta page at the start of p, or says why it is
// not one.
func parseBoltMeta(p []byte) (boltMeta, error) {
	if len(p) < boltPageHeader+boltMetaSum+8 {
		return boltMeta{}, errors.New("too short for a meta page")
	}
	m := p[boltPageHeader:]
	le := binary.NativeEndian
	switch {
	case le.Uint32(m[0:]) != boltMagic:
		return boltMeta{}, errors.New("no bbolt magic number")
	case le.Uint32(m[4:]) != boltVersion:
		return boltMeta{}, fmt.Errorf("bbolt format version %d, not %d", le.Uint32(m[4:]), boltVersion)
	}
	sum := fnv.New64a()
	sum.Write(m[:boltMetaSum])
	if sum.Sum64() != le.Uint64(m[boltMetaSum:]) {
		return boltMeta{}, errors.New("meta page checksum mismatch")
	}
	meta := boltMeta{pageSize: le.Uint32(m[8:]), pgid: le.Uint64(m[40:]), txid: le.Uint64(m[48:])}
	if meta.pageSize < boltMinPage || meta.pageSize&(meta.pageSize-1) != 0 {
		return boltMeta{}, fmt.Errorf("page size %d", meta.pageSize)
	}
	return meta, nil
}

// checkBoltFile says what is wrong with an existing bbolt file, if anything
// that would crash bbolt: no valid meta page, or a file shorter than the
// pages its newest valid meta says it uses (a truncated copy). Like bbolt,
// it accepts a file with one damaged meta page (a torn write), since bbolt
// then uses the other.
func checkBoltFile(f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	size := fi.Size()
	first := make([]byte, 4096)
	n, err := f.ReadAt(first, 0)
	if err != nil && err != io.EOF {
		return err
	}
	meta0, err0 := parseBoltMeta(first[:n])
	// Meta page 1 sits one page in: at meta 0's page size, else at any
	// page size bbolt supports, as bbolt looks for it.
	sizes := []int64{}
	if err0 == nil {
		sizes = append(sizes, int64(meta0.pageSize))
	} else {
		for ps := int64(boltMinPage); ps <= 16<<20; ps *= 2 {
			sizes = append(sizes, ps)
		}
	}
	var meta1 boltMeta
	err1 := errors.New("file too short for a second meta page")
	for _, ps := range sizes {
		if ps >= size {
			break
		}
		n, err := f.ReadAt(first, ps)
		if err != nil && err != io.EOF {
			return err
		}
		if meta1, err1 = parseBoltMeta(first[:n]); err1 == nil && int64(meta1.pageSize) == ps {
			break
		}
	}
	var meta boltMeta
	switch {
	case err0 != nil && err1 != nil:
		return fmt.Errorf("not a bbolt database, or both its meta pages are damaged (page 0: %v; page 1: %v)", err0, err1)
	case err0 != nil:
		meta = meta1
	case err1 != nil:
		meta = meta0
	case meta1.txid > meta0.txid:
		meta = meta1
	default:
		meta = meta0
	}
	if meta.pgid < 2 {
		return fmt.Errorf("damaged: its high-water mark, page %d, is below its own meta pages", meta.pgid)
	}
	if need := int64(meta.pgid) * int64(meta.pageSize); need > size {
		return fmt.Errorf("damaged: the database uses %d pages of %d bytes (%d bytes) but the file has %d bytes; it was truncated", meta.pgid, meta.pageSize, need, size)
	}
	return nil
}
