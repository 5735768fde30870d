package signal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"passerelle.im/passerelle/plugins/sdk"
)

// tsMap is a bounded map from messages to entries E that
// outlives the process: it is kept in the login's folder as JSON lines
// appended (and synced) before the command's result or the message's
// event goes out, and rewritten (write, sync, rename) when it grows,
// keeping the newest entries of the last days. A damaged file is logged,
// its good lines kept and the file repaired. The message-to-chat map
// (msgchats.go), the user's reactions (reactions.go) and the pins
// (pins.go) are tsMaps.
//
// A message is named by its timestamp and its author (a tsKey): two
// people may send in the same millisecond. Lines written before the
// author was kept have none, and are found by their timestamp alone.
type tsMap[E any] struct {
	path string // "" when kept in memory only
	log  *slog.Logger
	kind tsKind[E]

	mu    sync.Mutex
	m     map[tsKey]E
	order []tsKey // the keys in m, oldest noted first
	// forgot bounds the timestamps of what the map may have forgotten
	// other than by age (reaches): the greatest dropped by the count
	// bound, or, when the file lost entries (full when read, after
	// compactions that leave no trace; damaged; unreadable), the time it
	// was read.
	forgot int64

	fmu     sync.Mutex // the file; taken before mu when both are
	lines   int        // lines in the file
	dirSync bool       // the file's folder entry is known durable
}

// tsKind says what a tsMap holds and how it is bounded.
type tsKind[E any] struct {
	file string // in the login's folder
	what string // the map's name in log lines
	lost string // what a failed write costs, for the log
	max  int
	age  time.Duration
	// key is an entry's message; stamp is the time the age bound
	// compares (nil: the key's timestamp).
	key   func(E) tsKey
	stamp func(E) int64
	// valid says whether a line read is an entry; gone whether it is a
	// removal (its key forgotten).
	valid, gone func(E) bool
	// supersede: an entry naming its author replaces the one of the
	// same timestamp kept without (a line from before authors were).
	supersede bool
}

// tsKey names a message: its timestamp, and its author as a user ID
// ("" in lines written before the author was kept).
type tsKey struct {
	ts int64
	a  string
}

// loadTSMap reads the map of the login folder dir ("": memory only).
func loadTSMap[E any](dir string, log *slog.Logger, kind tsKind[E]) *tsMap[E] {
	m := &tsMap[E]{log: log, kind: kind, m: map[tsKey]E{}}
	if dir == "" {
		return m
	}
	m.path = filepath.Join(dir, kind.file)
	b, err := os.ReadFile(m.path)
	if errors.Is(err, fs.ErrNotExist) {
		return m
	}
	if err != nil {
		log.Error("signal: the "+kind.what+" cannot be read; "+kind.lost, "file", m.path, "err", err)
		m.path, m.forgot = "", time.Now().UnixMilli()
		return m
	}
	var damaged int
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			damaged++ // no newline: a write cut short
			break
		}
		line := b[:i]
		b = b[i+1:]
		m.lines++
		var e E
		if json.Unmarshal(line, &e) != nil || kind.key(e).ts <= 0 || !kind.valid(e) {
			damaged++
			continue
		}
		m.setLocked(e)
	}
	good := len(m.m)
	pruned := m.pruneLocked(time.Now())
	if damaged > 0 || len(m.order) >= kind.max {
		m.forgot = time.Now().UnixMilli()
	}
	if damaged > 0 {
		log.Warn("signal: the "+kind.what+" has damaged lines: they are dropped, the other entries kept", "file", m.path, "damaged", damaged, "kept", good)
	}
	if damaged > 0 || pruned > 0 || m.lines > len(m.m) {
		if err := m.rewrite(); err != nil {
			// Appending after a cut line would damage the next one.
			log.Error("signal: the "+kind.what+" cannot be rewritten; it is kept in memory only", "file", m.path, "err", err)
			m.path = ""
		}
	}
	return m
}

// setLocked applies e in memory (a removal forgets its key), forgetting
// the oldest entries past the bound; called with mu held.
func (m *tsMap[E]) setLocked(e E) {
	k := m.kind.key(e)
	if _, ok := m.m[k]; ok {
		m.order = slices.DeleteFunc(m.order, func(x tsKey) bool { return x == k })
	}
	if bare := (tsKey{ts: k.ts}); m.kind.supersede && k.a != "" {
		if _, ok := m.m[bare]; ok {
			delete(m.m, bare)
			m.order = slices.DeleteFunc(m.order, func(x tsKey) bool { return x == bare })
		}
	}
	if m.kind.gone != nil && m.kind.gone(e) {
		delete(m.m, k)
		return
	}
	m.order = append(m.order, k)
	m.m[k] = e
	for len(m.order) > m.kind.max {
		m.forgot = max(m.forgot, m.order[0].ts)
		delete(m.m, m.order[0])
		m.order = m.order[1:]
	}
}

// pruneLocked forgets the entries older than the age bound and says how
// many; called with mu held.
func (m *tsMap[E]) pruneLocked(now time.Time) int {
	oldest := now.Add(-m.kind.age).UnixMilli()
	stamp := m.kind.stamp
	if stamp == nil {
		stamp = func(e E) int64 { return m.kind.key(e).ts }
	}
	kept := m.order[:0]
	for _, k := range m.order {
		if stamp(m.m[k]) >= oldest {
			kept = append(kept, k)
		} else {
			delete(m.m, k)
		}
	}
	n := len(m.order) - len(kept)
	m.order = kept
	return n
}

// get is the entry of the message of timestamp ts by the author who
// names, in any of its forms (a number, an ACI: who's); else the one of
// ts kept without author. Without who (the author not known), it is
// the first entry of ts noted.
func (m *tsMap[E]) get(ts int64, who ...string) (E, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, a := range who {
		if e, ok := m.m[tsKey{ts, a}]; ok && a != "" {
			return e, true
		}
	}
	if e, ok := m.m[tsKey{ts: ts}]; ok || len(who) > 0 {
		return e, ok
	}
	for _, k := range m.order {
		if k.ts == ts {
			return m.m[k], true
		}
	}
	var none E
	return none, false
}

// all is every entry of timestamp ts, whatever its author, oldest noted
// first.
func (m *tsMap[E]) all(ts int64) []E {
	m.mu.Lock()
	defer m.mu.Unlock()
	var es []E
	for _, k := range m.order {
		if k.ts == ts {
			es = append(es, m.m[k])
		}
	}
	return es
}

// each calls f with every entry, oldest noted first; f must not use m.
func (m *tsMap[E]) each(f func(E)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range m.order {
		f(m.m[k])
	}
}

// put applies e (an entry, or a removal), on disk before it returns
// unless it changes nothing. A write that fails is logged: what it
// records happened already.
func (m *tsMap[E]) put(e E, same func(old E, known bool) bool) {
	m.fmu.Lock()
	defer m.fmu.Unlock()
	m.mu.Lock()
	old, known := m.m[m.kind.key(e)]
	unchanged := same(old, known)
	if !unchanged {
		m.setLocked(e)
	}
	m.mu.Unlock()
	if unchanged || m.path == "" {
		return
	}
	if err := m.append(e); err != nil {
		m.log.Warn("signal: the "+m.kind.what+" cannot be written; "+m.kind.lost, "file", m.path, "err", err)
		return
	}
	if m.lines >= 2*m.kind.max {
		if err := m.rewrite(); err != nil {
			m.log.Warn("signal: the "+m.kind.what+" cannot be compacted", "file", m.path, "err", err)
		}
	}
}

// append writes one line and syncs it; called with fmu held.
func (m *tsMap[E]) append(e E) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(m.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	m.lines++
	if !m.dirSync {
		// A file just made is durable once its folder is.
		if err := sdk.SyncDir(m.path); err != nil {
			return err
		}
		m.dirSync = true
	}
	return nil
}

// rewrite replaces the file by the entries in memory (past entries
// pruned): written, synced, then renamed over it. Called with fmu held or
// before m is shared.
func (m *tsMap[E]) rewrite() error {
	m.mu.Lock()
	m.pruneLocked(time.Now())
	var buf bytes.Buffer
	for _, k := range m.order {
		b, err := json.Marshal(m.m[k])
		if err != nil {
			m.mu.Unlock()
			return err
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	n := len(m.order)
	m.mu.Unlock()
	if err := sdk.WriteFileDurably(m.path, buf.Bytes()); err != nil {
		return fmt.Errorf("signal: %w", err)
	}
	m.lines, m.dirSync = n, true
	return nil
}

// reaches reports whether an entry of timestamp ts noted would still be
// held at now: not older than the age bound, nor than what the map may
// have forgotten otherwise (forgot: the count bound forgets the oldest
// noted, which may be newer than one noted late). For maps whose bound
// compares the key's timestamp (kind.stamp nil).
func (m *tsMap[E]) reaches(ts int64, now time.Time) bool {
	if ts < now.Add(-m.kind.age).UnixMilli() {
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return ts > m.forgot
}
