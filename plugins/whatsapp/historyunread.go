package whatsapp

import (
	"bytes"
	"crypto/sha256"
	"encoding"
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

	"go.mau.fi/whatsmeow/types"

	"passerelle.im/passerelle/plugins/sdk"
)

// The messages of history not read, kept durably until told. A sync's
// messages that could not be read are told once, at its end
// (historyprogress.go); the count of those of the sync under way is kept
// in the login folder as it grows, so that a plugin stopped before the
// end tells them at its next start (once the spool the last process left
// is stored), or at the end of the sync that goes on after it. A notice
// tried (a sync's, a page's, an answer's come too late) is kept too,
// under its ID, until the gateway confirmed it: told again, it is under
// that ID, which the gateway shows once. Before, a notice not confirmed
// put its count back into the one under way, told later under a new ID:
// a notice shown but not confirmed showed its messages again, once per
// try.

// unreadSyncFile keeps the count of the sync under way, the notices
// tried and not confirmed, and the messages of those confirmed.
const unreadSyncFile = "history-unread.json"

// savedTally is what unreadSyncFile holds: the sync's count, the hash's
// state (so that the notice is named as it would have been, and told
// again after a crash it shows once) and the messages' IDs (counted
// once; a count kept by an earlier build has none), and the notices not
// confirmed.
type savedTally struct {
	N      int               `json:"n"`
	Hash   []byte            `json:"hash,omitempty"`
	IDs    []types.MessageID `json:"ids,omitempty"`
	Untold []untoldNotice    `json:"untold,omitempty"`
	// Told: the messages of the notices confirmed, the latest
	// unreadToldKept: a blob delivered again once its sync was told
	// (its notice delivered again, or downloaded again after a crash)
	// does not tell them again under another ID.
	Told []types.MessageID `json:"told,omitempty"`
}

// unreadToldKept bounds the messages of notices confirmed kept.
const unreadToldKept = 2048

// untoldNotice is a notice of messages not read, tried and not
// confirmed: told again under ID, with its count.
type untoldNotice struct {
	ID  string            `json:"id"`
	N   int               `json:"n"`
	IDs []types.MessageID `json:"ids,omitempty"`
}

func (t unreadTally) saved() (savedTally, error) {
	if t.n == 0 {
		return savedTally{}, nil
	}
	m, ok := t.h.(encoding.BinaryMarshaler)
	if !ok {
		return savedTally{}, errors.New("the hash's state cannot be kept")
	}
	b, err := m.MarshalBinary()
	return savedTally{N: t.n, Hash: b, IDs: t.ids}, err
}

func (st savedTally) tally() (unreadTally, error) {
	for _, u := range st.Untold {
		if !strings.HasPrefix(u.ID, "history-unreadable-") || u.N <= 0 {
			return unreadTally{}, fmt.Errorf("a notice %q of %d messages", u.ID, u.N)
		}
	}
	if st.N == 0 && len(st.Hash) == 0 && len(st.Untold)+len(st.Told) > 0 {
		return unreadTally{}, nil // no sync's count, notices kept
	}
	h := sha256.New()
	if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(st.Hash); err != nil {
		return unreadTally{}, err
	}
	if st.N <= 0 || len(st.IDs) > st.N {
		return unreadTally{}, fmt.Errorf("a count of %d (%d IDs)", st.N, len(st.IDs))
	}
	t := unreadTally{h: h, n: st.N, ids: st.IDs, seen: map[types.MessageID]bool{}}
	for _, id := range st.IDs {
		t.seen[id] = true
	}
	return t, nil
}

// unreadPath is where a login keeps the tally ("" without a folder).
func unreadPath(loginDir string) string {
	if loginDir == "" {
		return ""
	}
	return filepath.Join(loginDir, unreadSyncFile)
}

// loadUnread is the tally, the notices not confirmed and the messages
// told that the last process left (none when none). A damaged file is
// noted lost (historylost.go: told, how many not known) before it is set
// aside: a crash between finds it again, and notes the same (its content
// names the note).
func loadUnread(path string, log *slog.Logger, lost *lostParts) (unreadTally, []untoldNotice, []types.MessageID) {
	if path == "" {
		return unreadTally{}, nil, nil
	}
	if log == nil {
		log = slog.Default()
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return unreadTally{}, nil, nil
	}
	var st savedTally
	if err == nil {
		if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
			err = errors.New("the file holds null")
		} else {
			err = json.Unmarshal(b, &st)
		}
	}
	var t unreadTally
	if err == nil {
		if t, err = st.tally(); err == nil {
			return t, st.Untold, st.Told
		}
	}
	sum := sha256.Sum256(b)
	if nerr := lost.note("unread-"+hex.EncodeToString(sum[:8]), lostPart{Said: unreadDamagedText}); nerr != nil {
		log.Warn("a state file is damaged, and kept: what it counted is not told yet", "file", path, "err", errors.Join(err, nerr))
		return unreadTally{}, nil, nil
	}
	// Kept for a look, as LoadStateFile does with what is not JSON.
	to, rerr := sdk.SetAside(path)
	log.Warn("a state file is damaged, and set aside", "file", path, "set_aside_as", to,
		"cost", "the messages of history not read in the sync it counted are told without saying how many", "err", errors.Join(err, rerr))
	return unreadTally{}, nil, nil
}

// saveUnreadLocked keeps r.unread and r.untold (under r.mu), or removes
// the file when there is nothing; a failure is logged: the count is
// still told at the sync's end, unless the plugin stops before.
func (r *syncRun) saveUnreadLocked(log *slog.Logger) {
	if r.unreadPath == "" {
		return
	}
	var err error
	if r.unread.n == 0 && len(r.untold) == 0 && len(r.told) == 0 {
		if err = os.Remove(r.unreadPath); errors.Is(err, fs.ErrNotExist) {
			err = nil
		}
	} else {
		var st savedTally
		var b []byte
		if st, err = r.unread.saved(); err == nil {
			st.Untold, st.Told = r.untold, r.told
			if b, err = json.Marshal(st); err == nil {
				err = writeState(r.unreadPath, b) // disappearing.go
			}
		}
	}
	if err != nil {
		log.Warn("the count of the history's messages not read is not kept; a stop before it is told would leave them untold", "err", err)
	}
}

// wasTold says whether id was in a notice confirmed (under r.mu).
func (r *syncRun) wasTold(id types.MessageID) bool {
	return slices.Contains(r.told, id)
}

// untoldWith is the ID of the notice tried that counts id, or "" (under
// r.mu).
func (r *syncRun) untoldWith(id types.MessageID) string {
	for _, u := range r.untold {
		if slices.Contains(u.IDs, id) {
			return u.ID
		}
	}
	return ""
}

// freezeLocked keeps t as a notice to tell (under r.mu; the caller
// saves), before it is first tried: from then on it is told under its
// ID alone. It returns the ID.
func (r *syncRun) freezeLocked(t unreadTally) string {
	id := t.noticeID()
	if !slices.ContainsFunc(r.untold, func(u untoldNotice) bool { return u.ID == id }) {
		r.untold = append(r.untold, untoldNotice{ID: id, N: t.n, IDs: t.ids})
	}
	return id
}

// tellUntold tells the notices kept, each under its ID (only those of
// ids unless all), and drops those the gateway confirmed; an error joins
// those it did not.
func (s *Session) tellUntold(all bool, ids ...string) error {
	r := &s.hist.run
	r.telling.Lock() // a notice confirmed is dropped before another tells it
	defer r.telling.Unlock()
	r.mu.Lock()
	var tell []untoldNotice
	for _, u := range r.untold {
		if all || slices.Contains(ids, u.ID) {
			tell = append(tell, u)
		}
	}
	r.mu.Unlock()
	var errs []error
	var told []string
	for _, u := range tell {
		if err := s.tellErr(u.ID, unreadText(u.N)); err != nil {
			errs = append(errs, err)
			continue
		}
		told = append(told, u.ID)
	}
	if len(told) > 0 {
		r.mu.Lock()
		r.untold = slices.DeleteFunc(r.untold, func(u untoldNotice) bool {
			if !slices.Contains(told, u.ID) {
				return false
			}
			r.told = append(r.told, u.IDs...)
			return true
		})
		if n := len(r.told) - unreadToldKept; n > 0 {
			r.told = slices.Delete(r.told, 0, n)
		}
		r.saveUnreadLocked(s.log) // a crash before tells them again, shown once
		r.mu.Unlock()
	}
	return errors.Join(errs...)
}
