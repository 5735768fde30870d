// Package pollstore keeps a plugin's polls across restarts: a poll's
// votes and its closing come apart from the poll (in WhatsApp, Telegram
// and Signal alike), so the plugin needs the poll, and the votes counted
// so far, to correct the poll's message when one comes; a poll seen
// before a restart must still be known after it.
//
// Each poll is a small JSON file of its own in the folder "polls" of the
// login's data folder, replaced whole when the poll changes: written to
// a temporary file, synced, renamed over the old, the folder synced. A
// crash leaves each poll as it was before or after its last change,
// never half written, and a change writes one poll, not all of them (a
// WhatsApp poll in a large group is some 100 KB of votes). The plugin
// keeps its bounds (it deletes the polls it forgets) and the polls in
// memory; the files are only read when a session starts.
package pollstore

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"passerelle.im/passerelle/plugins/sdk"
)

// DirName is the folder of the polls in a login's data folder.
const DirName = "polls"

// Store is the polls of one login, kept as files. A nil Store, or one of
// no folder, keeps nothing: its methods do nothing.
type Store[T any] struct {
	dir string
	log *slog.Logger

	mu   sync.Mutex
	made bool              // the folder exists, its entry synced
	seq  map[string]uint64 // each poll's place in the order, by key
	next uint64
}

// record is a poll's file: Seq orders the polls (first put first), Key
// is the plugin's name for the poll.
type record[T any] struct {
	Seq  uint64 `json:"seq"`
	Key  string `json:"key"`
	Poll T      `json:"poll"`
}

// Kept is a poll read back, with its key.
type Kept[T any] struct {
	Key  string
	Poll T
}

// Open reads the polls kept in the login folder loginDir ("": none, kept
// in memory only), oldest first. A file that cannot be read or parsed is
// logged and set aside (renamed *.damaged), and the others are read: a
// damaged poll costs that poll's later votes, never the plugin's start.
func Open[T any](loginDir string, log *slog.Logger) (*Store[T], []Kept[T]) {
	s := &Store[T]{log: log, seq: map[string]uint64{}, next: 1}
	if loginDir == "" {
		return s, nil
	}
	s.dir = filepath.Join(loginDir, DirName)
	ents, err := os.ReadDir(s.dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return s, nil
	case err != nil:
		log.Warn("pollstore: the polls kept cannot be read; starting with none (votes in polls seen before the restart are dropped)", "dir", s.dir, "err", err)
		return s, nil
	}
	s.made = true
	var recs []record[T]
	for _, de := range ents {
		name := de.Name()
		path := filepath.Join(s.dir, name)
		if strings.HasSuffix(name, ".tmp") {
			os.Remove(path) // a write cut short: its poll's file is whole
			continue
		}
		if !strings.HasSuffix(name, ".json") {
			continue
		}
		r, err := readRecord[T](path)
		if err == nil && fileName(r.Key) != name {
			err = fmt.Errorf("key %q is not the file's", r.Key)
		}
		if err != nil {
			log.Warn("pollstore: a poll kept is damaged; set aside (its later votes are dropped)", "file", path, "err", err)
			if rerr := os.Rename(path, path+".damaged"); rerr != nil {
				log.Warn("pollstore: a damaged poll not set aside", "file", path, "err", rerr)
			}
			continue
		}
		recs = append(recs, r)
	}
	slices.SortFunc(recs, func(a, b record[T]) int { return cmp.Compare(a.Seq, b.Seq) })
	kept := make([]Kept[T], 0, len(recs))
	for _, r := range recs {
		s.seq[r.Key] = r.Seq
		s.next = max(s.next, r.Seq+1)
		kept = append(kept, Kept[T]{Key: r.Key, Poll: r.Poll})
	}
	return s, kept
}

func readRecord[T any](path string) (record[T], error) {
	var r record[T]
	b, err := os.ReadFile(path)
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return r, err
	}
	if r.Seq == 0 || r.Key == "" {
		return r, errors.New("no seq or key")
	}
	return r, nil
}

// fileName is the file of the poll of key: any key makes a safe name.
func fileName(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:16]) + ".json"
}

// Put keeps poll as the state of the poll of key, replacing what was
// kept, and returns once it is on disk. The caller holds its own lock
// over the poll while it puts it, so that two changes of one poll are
// written in the order they were made. A failure is logged: the poll
// stays in memory, and a restart would find it as last written.
func (s *Store[T]) Put(key string, poll T) {
	if s == nil || s.dir == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	seq, ok := s.seq[key]
	if !ok {
		seq = s.next
	}
	if err := s.write(key, record[T]{Seq: seq, Key: key, Poll: poll}); err != nil {
		s.log.Warn("pollstore: a poll not saved; after a restart its votes would count from its last save", "poll", key, "err", err)
		return
	}
	if !ok {
		s.seq[key] = seq
		s.next++
	}
}

// write replaces the file of key by r, with s.mu held.
func (s *Store[T]) write(key string, r record[T]) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("pollstore: %w", err)
	}
	if !s.made {
		if err := os.MkdirAll(s.dir, 0o700); err != nil {
			return fmt.Errorf("pollstore: %w", err)
		}
		if err := sdk.SyncDir(s.dir); err != nil { // the folder's own entry
			return fmt.Errorf("pollstore: %w", err)
		}
		s.made = true
	}
	if err := sdk.WriteFileDurably(filepath.Join(s.dir, fileName(key)), b); err != nil {
		return fmt.Errorf("pollstore: %w", err)
	}
	return nil
}

// Delete forgets the poll of key (the plugin forgot it: past its bound).
// A failure is logged; the poll would come back after a restart, and be
// forgotten again past the bound.
func (s *Store[T]) Delete(key string) {
	if s == nil || s.dir == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.seq, key)
	if err := os.Remove(filepath.Join(s.dir, fileName(key))); err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.log.Warn("pollstore: a poll forgotten not deleted", "poll", key, "err", err)
	}
}

// Remove deletes the polls kept in the login folder loginDir: the login
// is gone.
func Remove(loginDir string) error {
	if err := os.RemoveAll(filepath.Join(loginDir, DirName)); err != nil {
		return fmt.Errorf("pollstore: %w", err)
	}
	return nil
}
