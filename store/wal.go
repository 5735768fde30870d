package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The write-ahead log holds the hot writes of the message path (message
// map, txns, dedup keys, outbox puts and removals) between checkpoints.
// Appending a few hundred bytes and one fsync per group of callers costs a
// small fraction of a bbolt transaction, which rewrites every page it
// touches in each nested bucket and syncs twice; the records reach bbolt
// later, many thousands per transaction, in the background (checkpoint).
//
// A history batch and its backfill cursor are logged as one record
// (recGroup), so replay applies all of the batch or none of it.
//
// Each generation of records has its own file, <db>.wal.<gen>: a
// checkpoint freezes the live generation, starts the next file and applies
// the frozen records to bbolt, recording the generation as applied in the
// same transaction (meta/wal-applied); then the frozen file is removed.
// Open replays, oldest first, the files a crash left that are newer than
// the applied generation, and removes the others.
//
// A record is [u32 payload length][u32 CRC-32C of the payload][payload],
// little endian. Replay never refuses to start over damage (see
// scanFrames): a torn or zero-filled tail ends a file (only writes whose
// caller never got an answer can be there, or a crash's unwritten
// blocks); past a damaged record in the middle the replay goes on at the
// next valid frame, so the acknowledged records after it are kept. Both
// are logged with their size.

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// Record kinds.
const (
	recRef    byte = 1 // MessageRef put
	recTxn    byte = 2 // txn put
	recDedup  byte = 3 // dedup key put
	recOutbox byte = 4 // outbox entry put
	recOutDel byte = 5 // outbox entry removal
	recCursor byte = 6 // backfill cursor put
	// recGroup holds records logged as one frame, so that replay finds all
	// of them or none (a history batch with its cursor); it is flattened
	// when read and never nests.
	recGroup byte = 7
	// recArchive is a message appended to a room archive (archive.go).
	recArchive byte = 8
	// recHeld and recHeldDel put and remove a user's message recorded
	// until its plugin answered it (held.go).
	recHeld    byte = 9
	recHeldDel byte = 10
	// recArchiveArrived is recArchive with the message's arrival (its
	// place in the archive) after its time: what is written since the
	// archive is ordered by arrival. Read, it becomes a recArchive; a
	// recArchive of an older log arrived at its time.
	recArchiveArrived byte = 11

	recMaxKind = recArchiveArrived
)

// errNewerKind marks a whole record of a kind this version does not know.
var errNewerKind = errors.New("log record of a kind unknown to this version (written by a newer passerelle?)")

// hotRec is one logged write.
type hotRec struct {
	kind                   byte
	transport, login, chat string
	id                     string // dedup ID or txn ID
	remote                 string // txn: remote message ID
	at                     time.Time
	ref                    MessageRef      // recRef
	key                    uint64          // outbox or held-message key
	val                    []byte          // outbox or held-message value
	cur                    *BackfillCursor // recCursor; never changed once made
	ar                     *archRec        // recArchive: login is the user JID, chat the room
	// hk holds the index keys once computed (see keys), so the batch's
	// staging index and the live generation share them.
	hk [5]string
}

func (r *hotRec) encode(e *enc) {
	if r.kind == recArchive {
		e.b = append(e.b, recArchiveArrived)
	} else {
		e.b = append(e.b, r.kind)
	}
	switch r.kind {
	case recRef:
		e.str(r.ref.Transport)
		e.str(r.ref.LoginID)
		e.str(r.ref.ChatID)
		e.str(r.ref.RemoteID)
		e.str(r.ref.OriginID)
		e.str(r.ref.StanzaID)
		e.str(r.ref.ID)
		e.bool(r.ref.FromMe)
		e.time(r.ref.Time)
		encodeRefTail(e, r.ref)
	case recTxn, recDedup:
		e.str(r.transport)
		e.str(r.login)
		e.str(r.chat)
		e.str(r.id)
		e.str(r.remote)
		e.time(r.at)
	case recOutbox, recOutDel, recHeld, recHeldDel:
		e.str(r.transport)
		e.uvarint(r.key)
		e.bytes(r.val)
	case recCursor:
		e.str(r.transport)
		e.str(r.login)
		e.str(r.chat)
		encodeCursorFields(e, r.cur)
	case recArchive:
		e.str(r.transport)
		e.str(r.login)
		e.str(r.chat)
		e.uvarint(r.ar.epoch)
		e.uvarint(r.ar.seq)
		e.time(r.ar.msg.Time)
		e.time(r.ar.msg.Arrived)
		e.str(r.ar.msg.Nick)
		e.str(r.ar.msg.SenderJID)
		e.str(r.ar.msg.RemoteID)
		e.bytes(r.ar.msg.Payload)
	}
}

// appendGroupFrame appends recs, framed as one recGroup record, to buf.
func appendGroupFrame(buf []byte, recs []hotRec) []byte {
	start := len(buf)
	buf = append(buf, make([]byte, 8)...)
	e := enc{b: append(buf, recGroup)}
	e.uvarint(uint64(len(recs)))
	var sub enc
	for i := range recs {
		sub.b = sub.b[:0]
		recs[i].encode(&sub)
		e.bytes(sub.b)
	}
	buf = e.b
	payload := buf[start+8:]
	binary.LittleEndian.PutUint32(buf[start:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(buf[start+4:], crc32.Checksum(payload, crcTable))
	return buf
}

// decodeHotRecs decodes one frame's payload: one record, or a group's.
func decodeHotRecs(p []byte) ([]hotRec, error) {
	if len(p) == 0 || p[0] != recGroup {
		r, err := decodeHotRec(p)
		if err != nil {
			return nil, err
		}
		return []hotRec{r}, nil
	}
	d := &dec{b: p[1:]}
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.b)) { // each record takes a byte at least
		return nil, fmt.Errorf("%w: log record group of %d records in %d bytes", ErrCorrupt, n, len(d.b))
	}
	recs := make([]hotRec, 0, n)
	for range n {
		sub := d.raw()
		if d.err != nil {
			return nil, fmt.Errorf("log record group: %w", d.err)
		}
		if len(sub) > 0 && sub[0] == recGroup {
			return nil, fmt.Errorf("%w: nested log record group", ErrCorrupt)
		}
		r, err := decodeHotRec(sub)
		if err != nil {
			return nil, fmt.Errorf("log record group: %w", err)
		}
		recs = append(recs, r)
	}
	if len(d.b) > 0 {
		return nil, fmt.Errorf("%w: %d bytes after a log record group", ErrCorrupt, len(d.b))
	}
	return recs, nil
}

func decodeHotRec(p []byte) (hotRec, error) {
	if len(p) == 0 {
		return hotRec{}, fmt.Errorf("%w: empty log record", ErrCorrupt)
	}
	r := hotRec{kind: p[0]}
	d := &dec{b: p[1:]} // the kind byte versions the payload
	switch r.kind {
	case recRef:
		r.ref.Transport = d.str()
		r.ref.LoginID = d.str()
		r.ref.ChatID = d.str()
		r.ref.RemoteID = d.str()
		r.ref.OriginID = d.str()
		r.ref.StanzaID = d.str()
		r.ref.ID = d.str()
		r.ref.FromMe = d.bool()
		r.ref.Time = d.time()
		decodeRefTail(d, &r.ref)
	case recTxn, recDedup:
		r.transport = d.str()
		r.login = d.str()
		r.chat = d.str()
		r.id = d.str()
		r.remote = d.str()
		r.at = d.time()
	case recOutbox, recOutDel, recHeld, recHeldDel:
		r.transport = d.str()
		r.key = d.uvarint()
		r.val = d.bytes()
	case recCursor:
		r.transport = d.str()
		r.login = d.str()
		r.chat = d.str()
		r.cur = decodeCursorFields(d, r.transport, r.login, r.chat)
	case recArchive, recArchiveArrived:
		r.transport = d.str()
		r.login = d.str()
		r.chat = d.str()
		ar := &archRec{epoch: d.uvarint(), seq: d.uvarint()}
		ar.msg.Time = d.time()
		ar.msg.Arrived = ar.msg.Time
		if r.kind == recArchiveArrived {
			ar.msg.Arrived = d.time()
			r.kind = recArchive
		}
		ar.msg.Nick = d.str()
		ar.msg.SenderJID = d.str()
		ar.msg.RemoteID = d.str()
		ar.msg.Payload = d.bytes()
		ar.msg.StanzaID = stanzaID(ar.epoch, ar.seq)
		r.ar = ar
	default:
		if r.kind > recMaxKind {
			return hotRec{}, fmt.Errorf("%w: kind %d: %w", ErrCorrupt, r.kind, errNewerKind)
		}
		return hotRec{}, fmt.Errorf("%w: log record of kind %d", ErrCorrupt, r.kind)
	}
	if d.err != nil {
		return hotRec{}, fmt.Errorf("log record of kind %d: %w", r.kind, d.err)
	}
	if err := r.check(); err != nil {
		return hotRec{}, fmt.Errorf("%w: log record of kind %d: %w", ErrCorrupt, r.kind, err)
	}
	return r, nil
}

// check holds a decoded record to what the store's writers let through:
// one they never write (an empty key, a NUL) is damage that happened to
// pass the checksum, to be skipped like any other, not a record that
// makes every replay, and so every Open, fail.
func (r *hotRec) check() error {
	switch r.kind {
	case recRef:
		return checkRef(r.ref)
	case recTxn:
		if err := checkTxnKey(r.transport, r.login, r.id); err != nil {
			return err
		}
		return checkPart("remote message ID", r.remote, true)
	case recDedup:
		if err := checkChatKey(r.transport, r.login, r.chat); err != nil {
			return err
		}
		return checkPart("dedup ID", r.id, false)
	case recOutbox, recOutDel, recHeld, recHeldDel:
		return checkPart("transport", r.transport, false)
	case recCursor:
		return checkCursorKey(r.transport, r.login, r.chat)
	case recArchive:
		if err := (RoomKey{r.transport, r.login, r.chat}).check(); err != nil {
			return err
		}
		return checkArchived(r.ar.msg)
	}
	return nil
}

// appendFrame appends r, framed, to buf.
func appendFrame(buf []byte, r *hotRec) []byte {
	start := len(buf)
	buf = append(buf, make([]byte, 8)...)
	e := enc{b: buf}
	r.encode(&e)
	buf = e.b
	payload := buf[start+8:]
	binary.LittleEndian.PutUint32(buf[start:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(buf[start+4:], crc32.Checksum(payload, crcTable))
	return buf
}

// logScan is what reading one log file found.
type logScan struct {
	recs    []hotRec
	size    int64
	skipped []logSpan // damaged bytes in the middle, skipped
	tail    int64     // damaged bytes at the end (torn or zero-filled)
}

// logSpan is a run of damaged bytes at offset off.
type logSpan struct{ off, n int64 }

// damaged is how many bytes of the file were not records.
func (s *logScan) damaged() int64 {
	n := s.tail
	for _, sp := range s.skipped {
		n += sp.n
	}
	return n
}

// frameAt decodes the frame at the start of b: ok when a whole frame is
// there (its length is not 0 and fits, its checksum holds and its payload
// decodes). A zero-filled block fails the length test: an empty payload
// would pass the checksum. err is set for a whole frame of a kind this
// version does not know: a newer passerelle's log, not damage.
//
// A group frame gives all of its records.
func frameAt(b []byte) (recs []hotRec, size int, ok bool, err error) {
	if len(b) < 8 {
		return nil, 0, false, nil
	}
	n := binary.LittleEndian.Uint32(b)
	if n == 0 || uint64(n) > uint64(len(b)-8) {
		return nil, 0, false, nil
	}
	payload := b[8 : 8+n]
	if crc32.Checksum(payload, crcTable) != binary.LittleEndian.Uint32(b[4:]) {
		return nil, 0, false, nil
	}
	recs, derr := decodeHotRecs(payload)
	if derr != nil {
		if errors.Is(derr, errNewerKind) {
			return nil, 0, false, derr
		}
		return nil, 0, false, nil
	}
	return recs, 8 + int(n), true, nil
}

// scanFrames decodes the records of one log file. Where no valid frame
// starts, it looks for the next offset where one does and goes on from
// there, the bytes between skipped; when none follows, the rest is a torn
// or zero-filled tail and ends the file. A chance match needs a length
// that fits, a CRC-32C that holds and a payload that decodes.
func scanFrames(b []byte) (logScan, error) {
	return scanFramesSumming(b, directSum)
}

// directSum is the longest payload whose checksum the search for the next
// frame computes directly; a longer one's comes from the file's running
// checksum (crcIndex), in constant time.
const directSum = 1024

// scanFramesSumming is scanFrames, summing payloads longer than direct
// with a crcIndex (tests set it to 0 to check that way everywhere).
func scanFramesSumming(b []byte, direct int) (logScan, error) {
	s := logScan{size: int64(len(b))}
	idx := crcIndex{b: b}
	for off := 0; off < len(b); {
		rs, size, ok, err := frameAt(b[off:])
		if err != nil {
			return s, fmt.Errorf("at offset %d: %w", off, err)
		}
		if ok {
			s.recs = append(s.recs, rs...)
			off += size
			continue
		}
		next := nextFrame(b, off+1, &idx, direct)
		if next < 0 {
			s.tail = int64(len(b) - off)
			break
		}
		s.skipped = append(s.skipped, logSpan{int64(off), int64(next - off)})
		off = next
	}
	return s, nil
}

// nextFrame returns the first offset from q on where a valid frame
// starts (as frameAt says, a frame of a newer kind not counted), or -1.
//
// Checking each offset with frameAt would sum, at every offset whose
// length field fits the rest of the file, that many bytes: in random
// damage of n bytes a few offsets in a thousand, n^3/2^33 bytes summed in
// all (minutes for 32 MiB), and n^2 where the damage holds small lengths
// at every offset. Here a payload of up to direct bytes is summed as is,
// and a longer one's checksum comes from idx, so each offset costs at
// most about direct bytes' worth.
func nextFrame(b []byte, q int, idx *crcIndex, direct int) int {
	for ; q+8 < len(b); q++ {
		n := binary.LittleEndian.Uint32(b[q:])
		if n == 0 || uint64(n) > uint64(len(b)-q-8) {
			continue
		}
		start, end := q+8, q+8+int(n)
		var sum uint32
		if int(n) <= direct {
			sum = crc32.Checksum(b[start:end], crcTable)
		} else {
			sum = idx.sum(start, end)
		}
		if sum != binary.LittleEndian.Uint32(b[q+4:]) {
			continue
		}
		if _, err := decodeHotRecs(b[start:end]); err == nil {
			return q
		}
	}
	return -1
}

// walFile is one generation's log.
type walFile struct {
	gen  uint64
	path string
	f    *os.File
	lazy bool // written since its last fdatasync
}

func walPath(dbPath string, gen uint64) string {
	return dbPath + ".wal." + strconv.FormatUint(gen, 10)
}

// listWAL returns the generations of the log files beside dbPath, oldest
// first.
func listWAL(dbPath string) ([]uint64, error) {
	dir, base := filepath.Dir(dbPath), filepath.Base(dbPath)+".wal."
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("store: list log files: %w", err)
	}
	var gens []uint64
	for _, e := range ents {
		rest, ok := strings.CutPrefix(e.Name(), base)
		if !ok {
			continue
		}
		g, err := strconv.ParseUint(rest, 10, 64)
		if err != nil {
			continue
		}
		gens = append(gens, g)
	}
	slices.Sort(gens)
	return gens, nil
}

// createWAL starts the log file of generation gen and makes its directory
// entry durable, so records synced into it survive a power cut.
func createWAL(dbPath string, gen uint64) (*walFile, error) {
	p := walPath(dbPath, gen)
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: create log %s: %w", p, err)
	}
	if err := syncDir(filepath.Dir(p)); err != nil {
		f.Close()
		return nil, err
	}
	return &walFile{gen: gen, path: p, f: f}, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("store: sync folder %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("store: sync folder %s: %w", dir, err)
	}
	return nil
}

// write appends buf and, when sync is set, makes it durable.
func (w *walFile) write(buf []byte, sync bool) error {
	if _, err := w.f.Write(buf); err != nil {
		return fmt.Errorf("store: write log %s: %w", w.path, err)
	}
	if !sync {
		w.lazy = true
		return nil
	}
	return w.sync()
}

// sync makes everything written to the file durable.
func (w *walFile) sync() error {
	if err := fdatasync(w.f); err != nil {
		return fmt.Errorf("store: sync log %s: %w", w.path, err)
	}
	w.lazy = false
	return nil
}

func (w *walFile) close() error { return w.f.Close() }

// remove deletes the file once its records are in bbolt.
func (w *walFile) remove() error {
	_ = w.f.Close()
	if err := os.Remove(w.path); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("store: remove log %s: %w", w.path, err)
	}
	return nil
}

// readWAL reads the records of a log file; see scanFrames.
func readWAL(path string) (logScan, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return logScan{}, fmt.Errorf("store: read log %s: %w", path, err)
	}
	s, err := scanFrames(b)
	if err != nil {
		return s, fmt.Errorf("store: log %s: %w", path, err)
	}
	return s, nil
}
