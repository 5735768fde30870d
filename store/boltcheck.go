package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
)

// checkFreelist reads a bbolt file's freelist page the way bbolt's Open
// does, with plain reads, and reports damage there as an error. bbolt
// panics on a damaged freelist inside Open, after it has mapped the file:
// the mapping keeps the file's lock held until the process exits, so a
// recovered panic would still leave the file locked. Anything else
// bbolt's Open checks itself (meta pages, sizes) is left to it. It looks
// only when no process holds bbolt's lock: a running writer may rewrite
// the page under it, and bbolt's Open then reports the lock.
//
// The on-disk layout read here is bbolt's format version 2: a 16-byte
// page header (id u64, flags u16, count u16, overflow u32), and in pages
// 0 and 1 the meta (magic, version, page size, flags u32; root bucket
// u64+u64; freelist, high-water page and txid u64; FNV-64a checksum of
// what precedes it), little endian on the hosts Go supports here.
func checkFreelist(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil // a new file
	}
	if err != nil {
		return fmt.Errorf("store: %w", err) // os's error names the path
	}
	defer f.Close()
	if ok, err := tryLockShared(f); !ok || err != nil {
		return nil
	}
	m0 := make([]byte, metaEnd)
	if n, _ := f.ReadAt(m0, 0); n < metaEnd {
		return nil // too small: bbolt says so itself (or creates it)
	}
	var metas []boltMeta
	if m, ok := parseMeta(m0); ok {
		metas = append(metas, m)
	}
	// The second meta is one page in; bbolt guesses the page size the
	// same way when the first meta is damaged.
	for _, ps := range []uint32{binary.LittleEndian.Uint32(m0[16+8:]), uint32(os.Getpagesize()), 4096} {
		b := make([]byte, metaEnd)
		if ps < metaEnd {
			continue
		}
		if n, _ := f.ReadAt(b, int64(ps)); n < metaEnd {
			continue
		}
		if m, ok := parseMeta(b); ok && m.pageSize == ps {
			metas = append(metas, m)
			break
		}
	}
	if len(metas) == 0 {
		return nil // bbolt refuses the file with an error of its own
	}
	m := metas[0]
	for _, o := range metas[1:] {
		if o.txid > m.txid {
			m = o
		}
	}
	if fi, err := f.Stat(); err == nil && fi.Size() < int64(m.pgid)*int64(m.pageSize) {
		// bbolt grows the file before a meta may count the new pages:
		// a shorter file was cut (a copy or a restore that stopped).
		return cutShortError{damaged(path, fmt.Sprintf("cut short: the file is %d bytes, its %d pages need %d", fi.Size(), m.pgid, int64(m.pgid)*int64(m.pageSize)))}
	}
	if m.freelist == ^uint64(0) {
		return nil // not synced: bbolt rebuilds it by scanning
	}
	bad := func(why string, args ...any) error {
		return damaged(path, fmt.Sprintf("freelist page %d: ", m.freelist)+fmt.Sprintf(why, args...))
	}
	if m.freelist < 2 || m.freelist >= m.pgid {
		return bad("beyond the file's %d pages", m.pgid)
	}
	ps := int64(m.pageSize)
	hdr := make([]byte, 24)
	if _, err := f.ReadAt(hdr, int64(m.freelist)*ps); err != nil {
		return bad("unreadable: %v", err)
	}
	id, flags := binary.LittleEndian.Uint64(hdr), binary.LittleEndian.Uint16(hdr[8:])
	count, overflow := uint64(binary.LittleEndian.Uint16(hdr[10:])), uint64(binary.LittleEndian.Uint32(hdr[12:]))
	if id != m.freelist || flags != 0x10 {
		return bad("page header says page %d of type %#x", id, flags)
	}
	first := uint64(0)
	if count == 0xffff {
		count, first = binary.LittleEndian.Uint64(hdr[16:]), 1
	}
	if m.freelist+overflow >= m.pgid || 16+(first+count)*8 > (overflow+1)*uint64(ps) {
		return bad("%d entries do not fit in %d pages", count, overflow+1)
	}
	ids := make([]byte, count*8)
	if _, err := f.ReadAt(ids, int64(m.freelist)*ps+16+int64(first)*8); err != nil {
		return bad("unreadable: %v", err)
	}
	for i := range count {
		if p := binary.LittleEndian.Uint64(ids[i*8:]); p < 2 || p >= m.pgid {
			return bad("free page %d out of range", p)
		}
	}
	return nil
}

// damagedMeta returns the one of a bbolt file's two meta pages (0 or 1)
// whose meta does not hold, when the other does: bbolt opens the file
// from the sound one, and its writes rewrite the other, but its Tx.Check
// stops at the damaged page with a bare "assertion failed". ok is false
// when both hold, or neither (bbolt refuses the file itself).
func damagedMeta(path string) (page int, ok bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	m0 := make([]byte, metaEnd)
	if n, _ := f.ReadAt(m0, 0); n < metaEnd {
		return 0, false
	}
	first, ok0 := parseMeta(m0)
	sizes := []uint32{binary.LittleEndian.Uint32(m0[16+8:]), uint32(os.Getpagesize()), 4096}
	if ok0 {
		sizes = []uint32{first.pageSize}
	}
	ok1 := false
	for _, ps := range sizes {
		b := make([]byte, metaEnd)
		if ps < metaEnd {
			continue
		}
		if n, _ := f.ReadAt(b, int64(ps)); n < metaEnd {
			continue
		}
		if m, good := parseMeta(b); good && m.pageSize == ps {
			ok1 = true
			break
		}
	}
	switch {
	case ok0 && !ok1:
		return 1, true
	case ok1 && !ok0:
		return 0, true
	}
	return 0, false
}

// ErrCutShort is a store file shorter than the pages its meta counts:
// a copy or a restore that did not finish, not a crash (which bbolt
// survives). Such an error is also ErrCorrupt.
var ErrCutShort = errors.New("store: the file is cut short")

// cutShortError is damaged's error for a file cut short: its text, and
// ErrCutShort for errors.Is.
type cutShortError struct{ error }

func (e cutShortError) Unwrap() error { return e.error }

func (e cutShortError) Is(target error) bool { return target == ErrCutShort }

type boltMeta struct {
	pageSize             uint32
	freelist, pgid, txid uint64
}

// metaEnd is the page header and the meta after it: 16 + 64 bytes.
const metaEnd = 80

// parseMeta decodes the meta of page p (its first metaEnd bytes), if its
// magic, version and checksum hold.
func parseMeta(p []byte) (boltMeta, bool) {
	m := p[16:metaEnd]
	if binary.LittleEndian.Uint32(m) != 0xED0CDAED || binary.LittleEndian.Uint32(m[4:]) != 2 {
		return boltMeta{}, false
	}
	h := fnv.New64a()
	_, _ = h.Write(m[:56])
	if h.Sum64() != binary.LittleEndian.Uint64(m[56:]) {
		return boltMeta{}, false
	}
	return boltMeta{pageSize: binary.LittleEndian.Uint32(m[8:]), freelist: binary.LittleEndian.Uint64(m[32:]),
		pgid: binary.LittleEndian.Uint64(m[40:]), txid: binary.LittleEndian.Uint64(m[48:])}, true
}
