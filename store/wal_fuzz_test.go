package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"
)

// Ways FuzzWALDamage damages a log of good records.
const (
	damageAppend    = iota // junk after the records: a torn or garbage tail
	damageOverwrite        // junk over the bytes at off: a bad block
	damageFramed           // junk as a whole frame, checksum right, after the records
	damageKinds
)

// FuzzWALDamage: a log of good records (single frames, then a group)
// with junk appended, or written over a byte range, or appended as a
// frame whose checksum holds; Open neither fails nor panics, and keeps
// every record that ends before the damage. Only a whole frame of a kind
// newer than this version may make it refuse (TestCorruptLogRecordRefused).
func FuzzWALDamage(f *testing.F) {
	txn := appendFrame(nil, &hotRec{kind: recTxn, transport: "wa", login: "l", id: "t0", remote: "r0", at: time.Unix(1, 2)})
	for mode := range byte(damageKinds) {
		f.Add(uint8(3), mode, uint16(0), []byte{})
		f.Add(uint8(2), mode, uint16(40), []byte("\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
		f.Add(uint8(5), mode, uint16(9), []byte{0xff, 0xff, 0xff, 0x7f, 1, 2, 3, 4, 5})
		f.Add(uint8(1), mode, uint16(100), txn)
		f.Add(uint8(4), mode, uint16(3), txn[8:])
		f.Add(uint8(0), mode, uint16(0), []byte{recGroup, 2, 1, recOutDel, 3, 0, 0, 0})
	}
	// Whole records of every kind, for the framed damage to mutate.
	for _, r := range walFuzzRecords() {
		f.Add(uint8(2), uint8(damageFramed), uint16(0), appendFrame(nil, &r)[8:])
	}
	f.Add(uint8(2), uint8(damageFramed), uint16(0), appendGroupFrame(nil, walFuzzRecords())[8:])
	f.Fuzz(func(t *testing.T, good uint8, mode uint8, off uint16, junk []byte) {
		log, at, ends := damagedLog(good, mode, off, junk)
		path := filepath.Join(t.TempDir(), "p.db")
		must(t, os.WriteFile(walPath(path, 1), log, 0o600))
		db, err := OpenOptions(path, Options{LockTimeout: time.Second})
		if errors.Is(err, errNewerKind) {
			return
		}
		if err != nil {
			t.Fatalf("Open over a damaged log: %v", err)
		}
		defer db.Close()
		if mode%damageKinds == damageFramed {
			return // the frame is whole: it may rewrite a record before it
		}
		for i, end := range ends {
			if end > at {
				break
			}
			if got, err := db.GetTxn("wa", "l", fmt.Sprint("t", i)); err != nil || got != fmt.Sprint("r", i) {
				t.Errorf("txn t%d, before the damage at %d, = %q, %v; want r%d", i, at, got, err, i)
			}
		}
	})
}

// FuzzScanFrames is FuzzWALDamage's damage read by scanFrames alone,
// thousands of times faster than a store's Open: the records before the
// damage come first, in order, and every byte is a record's, skipped or
// the tail.
func FuzzScanFrames(f *testing.F) {
	txn := appendFrame(nil, &hotRec{kind: recTxn, transport: "wa", login: "l", id: "t0", remote: "r0", at: time.Unix(1, 2)})
	for mode := range byte(damageKinds) {
		f.Add(uint8(3), mode, uint16(0), []byte{})
		f.Add(uint8(5), mode, uint16(9), []byte{0xff, 0xff, 0xff, 0x7f, 1, 2, 3, 4, 5})
		f.Add(uint8(1), mode, uint16(100), txn)
		f.Add(uint8(0), mode, uint16(0), []byte{recGroup, 2, 1, recOutDel, 3, 0, 0, 0})
	}
	f.Fuzz(func(t *testing.T, good uint8, mode uint8, off uint16, junk []byte) {
		log, at, ends := damagedLog(good, mode, off, junk)
		s, err := scanFrames(log)
		if errors.Is(err, errNewerKind) {
			return
		}
		if err != nil {
			t.Fatalf("scan: %v", err)
		}
		if s.size != int64(len(log)) || s.tail < 0 || s.damaged() > s.size {
			t.Fatalf("scan of %d bytes: size %d, tail %d, skipped %v", len(log), s.size, s.tail, s.skipped)
		}
		prev := int64(-1)
		for _, sp := range s.skipped {
			if sp.n <= 0 || sp.off <= prev || sp.off+sp.n > s.size-s.tail {
				t.Fatalf("skipped spans %v in %d bytes, tail %d", s.skipped, s.size, s.tail)
			}
			prev = sp.off + sp.n
		}
		for i, end := range ends {
			if end > at {
				break
			}
			if i >= len(s.recs) || s.recs[i].id != fmt.Sprint("t", i) || s.recs[i].remote != fmt.Sprint("r", i) {
				t.Fatalf("record %d, before the damage at %d, lost: %d records", i, at, len(s.recs))
			}
		}
		// The search for the next frame finds what checking every
		// offset with frameAt finds, its checksums summed either way.
		want := scanFramesEachOffset(log)
		for _, direct := range []int{directSum, 0} {
			got, err := scanFramesSumming(log, direct)
			if err != nil || !sameScan(got, want) {
				t.Fatalf("direct %d: %d records, skipped %v, tail %d, %v; checking every offset: %d, %v, %d",
					direct, len(got.recs), got.skipped, got.tail, err, len(want.recs), want.skipped, want.tail)
			}
		}
	})
}

// scanFramesEachOffset is scanFrames as it was: past damage it checks
// each offset with frameAt, which sums every payload that fits.
func scanFramesEachOffset(b []byte) logScan {
	s := logScan{size: int64(len(b))}
	for off := 0; off < len(b); {
		rs, size, ok, _ := frameAt(b[off:])
		if ok {
			s.recs = append(s.recs, rs...)
			off += size
			continue
		}
		next := -1
		for q := off + 1; q+8 < len(b); q++ {
			if _, _, ok, _ := frameAt(b[q:]); ok {
				next = q
				break
			}
		}
		if next < 0 {
			s.tail = int64(len(b) - off)
			break
		}
		s.skipped = append(s.skipped, logSpan{int64(off), int64(next - off)})
		off = next
	}
	return s
}

// sameScan reports whether two scans found the same records and damage.
func sameScan(a, b logScan) bool {
	return reflect.DeepEqual(a.recs, b.recs) && slices.Equal(a.skipped, b.skipped) && a.tail == b.tail && a.size == b.size
}

// damagedLog is a log of good records damaged as FuzzWALDamage says,
// where the damage starts, and where each good record ends.
func damagedLog(good, mode uint8, off uint16, junk []byte) (log []byte, at int, ends []int) {
	log, ends = damagedLogRecords(int(good % 8))
	at = len(log)
	switch mode % damageKinds {
	case damageAppend:
		log = append(log, junk...)
	case damageOverwrite:
		at = int(off) % len(log)
		copy(log[at:], junk)
	case damageFramed:
		log = binary.LittleEndian.AppendUint32(log, uint32(len(junk)))
		log = binary.LittleEndian.AppendUint32(log, crc32.Checksum(junk, crcTable))
		log = append(log, junk...)
	}
	return log, at, ends
}

// walFuzzRecords is one record of each kind.
func walFuzzRecords() []hotRec {
	at := time.Unix(1700000000, 5)
	return []hotRec{
		{kind: recRef, ref: MessageRef{Transport: "wa", LoginID: "l", ChatID: "c", RemoteID: "m1", OriginID: "o1", StanzaID: "s1", ID: "i1", FromMe: true, Time: at, Meta: []byte{0, 1}}},
		{kind: recTxn, transport: "wa", login: "l", id: "t9", remote: "m1", at: at},
		{kind: recDedup, transport: "wa", login: "l", chat: "c", id: "d1", at: at},
		{kind: recOutbox, transport: "wa", key: 7, val: []byte("entry")},
		{kind: recOutDel, transport: "wa", key: 7},
		{kind: recCursor, transport: "wa", login: "l", chat: "c", cur: &BackfillCursor{Cursor: "x", Stored: 3, Seq: 2, Updated: at}},
		{kind: recArchive, transport: "wa", login: "u@example.org", chat: "g", ar: &archRec{epoch: 1, seq: 1,
			msg: ArchivedMessage{Time: at, Arrived: at.Add(time.Hour), Nick: "n", SenderJID: "s@example.org", RemoteID: "m2", Payload: []byte("<message/>")}}},
	}
}

// damagedLogRecords frames txns t0..t<n-1> as single frames, then two
// more, t<n> and t<n+1>, as one group; ends[i] is where t<i>'s frame ends.
func damagedLogRecords(n int) (log []byte, ends []int) {
	rec := func(i int) hotRec {
		return hotRec{kind: recTxn, transport: "wa", login: "l", id: fmt.Sprint("t", i), remote: fmt.Sprint("r", i), at: time.Unix(int64(i), 0)}
	}
	for i := range n {
		r := rec(i)
		log = appendFrame(log, &r)
		ends = append(ends, len(log))
	}
	log = appendGroupFrame(log, []hotRec{rec(n), rec(n + 1)})
	return log, append(ends, len(log), len(log))
}
