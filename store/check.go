package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"go.etcd.io/bbolt"
)

// Report is what Inspect found in a store file and its write-ahead log.
type Report struct {
	Path string
	// Empty is a file of no bytes, as the gateway's setup creates it:
	// a store not set up yet (passerelle does at its first start).
	Empty bool
	// Schema is the stored schema version, as stored ("" if absent).
	Schema string
	// WALApplied is the newest log generation checkpointed into the file.
	WALApplied uint64
	Transports []TransportReport
	WAL        []WALReport
	// CutShort is a file shorter than its pages (ErrCutShort): nothing
	// of it was read.
	CutShort bool
	// Problems are what bbolt's consistency check (Tx.Check) and the
	// walk over the buckets found wrong in the file; empty when sound.
	Problems []string
}

// TransportReport counts one transport's records in the file.
type TransportReport struct {
	Name                                       string
	Logins, LoginBuckets                       int
	Puppets, Messages, XMPPIDs, DedupKeys, Txn int
	// Cursors is the chats with a backfill cursor.
	Cursors int
	// Rooms and Archived count the room archives and their messages.
	Rooms, Archived int
	// Expiring is the disappearing messages with a deadline, ReadTimers
	// those whose timer waits for the user to read them, Kept those the
	// network keeps after all (expiry.go).
	Expiring, ReadTimers, Kept int
	// Outbox is the outbox entries in the file; OutboxLogged is the net
	// change the log files not yet applied bring (puts less removals), so
	// the depth at the next start is their sum.
	Outbox, OutboxLogged int
}

// WALReport describes one log file.
type WALReport struct {
	Path string
	Gen  uint64
	Size int64
	// Records is the valid records; Applied means the file's generation
	// was checkpointed already (Open removes it without replaying).
	Records int
	Applied bool
	// Skipped are damaged spans in the middle (their records are lost);
	// TailBytes is a torn or zero-filled tail: a write a crash cut short,
	// whose caller never got an answer.
	Skipped   []Span
	TailBytes int64
	// Err is set when the file could not be read at all.
	Err string
}

// Span is a run of damaged bytes in a log file.
type Span struct{ Offset, Bytes int64 }

// Damaged reports whether the store lost or may lose data: problems in
// the bbolt file, or damaged records in the middle of a log. A torn tail
// alone is not damage: it is what a crash during a write leaves.
func (r *Report) Damaged() bool {
	if len(r.Problems) > 0 {
		return true
	}
	for _, w := range r.WAL {
		if len(w.Skipped) > 0 || w.Err != "" {
			return true
		}
	}
	return false
}

// WriteText writes the report for a person to read.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "store %s\n", r.Path)
	if r.Empty {
		b.WriteString("  empty: not set up yet (passerelle does at its first start)\n")
	}
	if r.Schema != "" {
		fmt.Fprintf(&b, "  schema version %s; log generations applied up to %d\n", r.Schema, r.WALApplied)
	}
	for _, t := range r.Transports {
		fmt.Fprintf(&b, "  transport %s: %s (%d with data), %s, %s (%s), %s, %s",
			t.Name, count(t.Logins, "login", "logins"), t.LoginBuckets, count(t.Puppets, "puppet", "puppets"),
			count(t.Messages, "message", "messages"), count(t.XMPPIDs, "XMPP ID", "XMPP IDs"),
			count(t.DedupKeys, "dedup key", "dedup keys"), count(t.Txn, "txn", "txns"))
		if t.Cursors > 0 {
			fmt.Fprintf(&b, ", %s", count(t.Cursors, "backfill cursor", "backfill cursors"))
		}
		if t.Rooms > 0 {
			fmt.Fprintf(&b, ", %s in %s", count(t.Archived, "archived message", "archived messages"), count(t.Rooms, "room", "rooms"))
		}
		if t.Expiring > 0 || t.ReadTimers > 0 {
			fmt.Fprintf(&b, ", %s (%d more once read)", count(t.Expiring, "disappearing message", "disappearing messages"), t.ReadTimers)
		}
		if t.Kept > 0 {
			fmt.Fprintf(&b, ", %d kept after all", t.Kept)
		}
		fmt.Fprintf(&b, "; outbox %d", t.Outbox)
		if t.OutboxLogged != 0 {
			fmt.Fprintf(&b, " (%+d in the log: %d at the next start)", t.OutboxLogged, t.Outbox+t.OutboxLogged)
		}
		b.WriteString("\n")
	}
	if len(r.WAL) == 0 {
		b.WriteString("  log: no files (closed cleanly)\n")
	}
	for _, w := range r.WAL {
		fmt.Fprintf(&b, "  log %s: ", w.Path)
		if w.Err != "" {
			fmt.Fprintf(&b, "unreadable: %s\n", w.Err)
			continue
		}
		fmt.Fprintf(&b, "%s, %s", count(w.Records, "record", "records"), count64(w.Size, "byte", "bytes"))
		if w.Applied {
			b.WriteString(", already applied (removed at the next start)")
		}
		for _, s := range w.Skipped {
			fmt.Fprintf(&b, "; DAMAGED: %s at offset %d skipped", count64(s.Bytes, "byte", "bytes"), s.Offset)
		}
		if w.TailBytes > 0 {
			fmt.Fprintf(&b, "; torn or zero-filled tail of %s at offset %d (an unanswered write cut by a crash; dropped at the next start)",
				count64(w.TailBytes, "byte", "bytes"), w.Size-w.TailBytes)
		}
		b.WriteString("\n")
	}
	if len(r.Problems) == 0 {
		b.WriteString("  bbolt check: ok\n")
	} else {
		fmt.Fprintf(&b, "  bbolt check: %s\n", count(len(r.Problems), "problem", "problems"))
		for _, p := range r.Problems {
			fmt.Fprintf(&b, "    %s\n", p)
		}
	}
	if r.Damaged() {
		b.WriteString("DAMAGED\n")
	} else {
		b.WriteString("ok\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// count is n with the noun that agrees with it: "1 problem", "2 problems",
// "0 problems". Every count of the report goes through it (or count64):
// check-store said "1 records".
func count(n int, one, many string) string { return count64(int64(n), one, many) }

// count64 is count of a size or an offset.
func count64(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// maxProblems bounds the problems a report lists: a badly damaged file
// can have one per page.
const maxProblems = 100

// Inspect reports the state of the store at path and its log files,
// without changing anything: it opens the file read-only and fails with
// ErrLocked while a passerelle has it open. An error means there was
// nothing to inspect (no file, locked); damage is in the report.
func Inspect(path string, lockTimeout time.Duration) (*Report, error) {
	if lockTimeout <= 0 {
		lockTimeout = DefaultLockTimeout
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("store: %s is a directory, not a store file", path)
	}
	// A file that cannot be read is not damaged: there is nothing to
	// inspect. os's error names the path.
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	f.Close()
	r := &Report{Path: path, Empty: fi.Size() == 0}
	// bbolt would set up an empty file, which read-only it cannot.
	if !r.Empty {
		if err := r.inspectBolt(path, lockTimeout); err != nil {
			return nil, err
		}
	}
	gens, err := listWAL(path)
	if err != nil {
		return nil, err
	}
	logged := map[string]int{}
	for _, g := range gens {
		p := walPath(path, g)
		w := WALReport{Path: p, Gen: g, Applied: g <= r.WALApplied}
		scan, err := readWAL(p)
		if err != nil {
			w.Err = err.Error()
		}
		w.Size, w.Records, w.TailBytes = scan.size, len(scan.recs), scan.tail
		for _, s := range scan.skipped {
			w.Skipped = append(w.Skipped, Span{s.off, s.n})
		}
		if !w.Applied {
			for _, rec := range scan.recs {
				switch rec.kind {
				case recOutbox:
					logged[rec.transport]++
				case recOutDel:
					logged[rec.transport]--
				}
			}
		}
		r.WAL = append(r.WAL, w)
	}
	for name, n := range logged {
		r.transport(name).OutboxLogged += n
	}
	slices.SortFunc(r.Transports, func(a, b TransportReport) int { return strings.Compare(a.Name, b.Name) })
	return r, nil
}

func (r *Report) problem(format string, args ...any) {
	if len(r.Problems) < maxProblems {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	} else if len(r.Problems) == maxProblems {
		r.Problems = append(r.Problems, "... more problems not listed")
	}
}

func (r *Report) transport(name string) *TransportReport {
	for i := range r.Transports {
		if r.Transports[i].Name == name {
			return &r.Transports[i]
		}
	}
	r.Transports = append(r.Transports, TransportReport{Name: name})
	return &r.Transports[len(r.Transports)-1]
}

// inspectBolt fills in what the bbolt file holds; a damaged page (a
// bbolt panic) becomes a problem. It fails only when the file is locked.
func (r *Report) inspectBolt(path string, lockTimeout time.Duration) error {
	if err := checkFreelist(path); err != nil {
		r.CutShort = errors.Is(err, ErrCutShort)
		r.problem("%s", withoutPath(err, path))
		return nil
	}
	b, err := openBolt(path, &bbolt.Options{ReadOnly: true, Timeout: lockTimeout})
	if errors.Is(err, bbolt.ErrTimeout) {
		return fmt.Errorf("%w: %s (stop passerelle first; waited %s): %w", ErrLocked, path, lockTimeout, err)
	}
	if err != nil {
		r.problem("bbolt cannot open it: %s", withoutPath(errors.Unwrap(err), path))
		return nil
	}
	defer b.Close()
	err = guard(path, func() error {
		return b.View(func(tx *bbolt.Tx) error {
			r.count(tx)
			return nil
		})
	})
	if err != nil {
		r.problem("reading the buckets: %s", withoutPath(err, path))
	}
	if page, ok := damagedMeta(path); ok {
		// bbolt's check would stop at the page with "panic:
		// assertion failed", saying neither what nor what to do.
		r.problem("meta page %d is damaged; bbolt reads the file from meta page %d, as of its last transaction or the one before (what it counts above may lack the last writes), and cannot check the rest past it: start passerelle once (its writes rewrite the page), stop it and check again, or restore a backup", page, 1-page)
		return nil
	}
	err = guard(path, func() error {
		return b.View(func(tx *bbolt.Tx) error {
			for err := range tx.Check() {
				r.problem("%v", err)
			}
			return nil
		})
	})
	if err != nil {
		r.problem("consistency check: %s", withoutPath(err, path))
	}
	return nil
}

// withoutPath is err's text without the store's path, which the report
// names once already: os's errors name it ("write PATH: ..."), and the
// store's add it again ("store: open PATH: ...").
func withoutPath(err error, path string) string {
	if err == nil {
		return "unknown error"
	}
	s := err.Error()
	// damaged's text: "store: PATH is damaged (bbolt: WHAT); run
	// `passerelle check-store ...`", here only WHAT is news.
	if i, j := strings.Index(s, "(bbolt: "), strings.LastIndex(s, "); run `passerelle check-store"); errors.Is(err, ErrCorrupt) && i >= 0 && j > i {
		return "damaged: " + s[i+len("(bbolt: "):j]
	}
	s = strings.TrimPrefix(s, "store: ")
	s = strings.TrimPrefix(s, path+": ")
	return strings.ReplaceAll(s, " "+path+": ", ": ")
}

// count reads the schema and counts each transport's records.
func (r *Report) count(tx *bbolt.Tx) {
	meta := tx.Bucket(bMeta)
	if meta == nil {
		r.problem("no meta bucket: not a passerelle store")
		return
	}
	r.Schema = string(meta.Get(kSchema))
	if v := meta.Get(kWALApplied); len(v) == 8 {
		r.WALApplied = binary.BigEndian.Uint64(v)
	}
	each := func(top []byte, fn func(name string, b *bbolt.Bucket)) {
		tb := tx.Bucket(top)
		if tb == nil {
			r.problem("bucket %s missing", top)
			return
		}
		_ = tb.ForEachBucket(func(k []byte) error {
			fn(string(k), tb.Bucket(k))
			return nil
		})
	}
	keys := func(b *bbolt.Bucket) int {
		if b == nil {
			return 0
		}
		return b.Stats().KeyN
	}
	each(bLogins, func(name string, b *bbolt.Bucket) { r.transport(name).Logins = keys(b) })
	each(bOutbox, func(name string, b *bbolt.Bucket) { r.transport(name).Outbox = keys(b) })
	each(bData, func(name string, tb *bbolt.Bucket) {
		t := r.transport(name)
		_ = tb.ForEachBucket(func(k []byte) error {
			lb := tb.Bucket(k)
			t.LoginBuckets++
			t.Puppets += keys(lb.Bucket(bPuppets))
			t.Messages += keys(lb.Bucket(bMsgs))
			t.XMPPIDs += keys(lb.Bucket(bXMPP))
			t.DedupKeys += keys(lb.Bucket(bDedup))
			t.Txn += keys(lb.Bucket(bTxn))
			t.Cursors += keys(lb.Bucket(bCursors))
			t.ReadTimers += keys(lb.Bucket(bExpRead))
			return nil
		})
	})
	// Created on first use, as the archives are.
	if tx.Bucket(bExpiry) != nil {
		each(bExpiry, func(name string, b *bbolt.Bucket) {
			t := r.transport(name)
			// The kept sort last, past any deadline.
			prefix := u64(uint64(KeptForever.UnixMicro()))
			c := b.Cursor()
			for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
				t.Kept++
			}
			t.Expiring = keys(b) - t.Kept
		})
	}
	// Created on first use: a file without it has no archives.
	if tx.Bucket(bArchive) != nil {
		each(bArchive, func(name string, tb *bbolt.Bucket) {
			t := r.transport(name)
			_ = tb.ForEachBucket(func(u []byte) error {
				ub := tb.Bucket(u)
				return ub.ForEachBucket(func(room []byte) error {
					t.Rooms++
					t.Archived += keys(ub.Bucket(room).Bucket(bArOrder))
					return nil
				})
			})
		})
	}
}
