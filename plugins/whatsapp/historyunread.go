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

	"passerelle.im/passerelle/plugins/sdk"
)

// The sync's unreadable messages, kept durably. A sync's messages that
// could not be read are told once, at its end (historyprogress.go); the
// count of those of the sync under way is kept in the login folder as it
// grows, so that a plugin stopped before the end tells them at its next
// start (once the spool the last process left is stored), or at the end
// of the sync that goes on after it. Before, they were only logged.

// unreadSyncFile keeps the count (and the hash naming the notice) of the
// sync under way.
const unreadSyncFile = "history-unread.json"

// savedTally is an unreadTally as kept: the count, and the hash's state
// (so that the notice is named as it would have been, and told again
// after a crash it shows once).
type savedTally struct {
	N    int    `json:"n"`
	Hash []byte `json:"hash"`
}

func (t unreadTally) saved() (savedTally, error) {
	m, ok := t.h.(encoding.BinaryMarshaler)
	if !ok {
		return savedTally{}, errors.New("the hash's state cannot be kept")
	}
	b, err := m.MarshalBinary()
	return savedTally{N: t.n, Hash: b}, err
}

func (st savedTally) tally() (unreadTally, error) {
	h := sha256.New()
	if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(st.Hash); err != nil {
		return unreadTally{}, err
	}
	if st.N <= 0 {
		return unreadTally{}, fmt.Errorf("a count of %d", st.N)
	}
	return unreadTally{h: h, n: st.N}, nil
}

// unreadPath is where a login keeps the tally ("" without a folder).
func unreadPath(loginDir string) string {
	if loginDir == "" {
		return ""
	}
	return filepath.Join(loginDir, unreadSyncFile)
}

// loadUnread is the tally the last process left (none when none). A
// damaged one is noted lost (historylost.go: told, how many not known)
// before it is set aside: a crash between finds it again, and notes the
// same (its content names the note).
func loadUnread(path string, log *slog.Logger, lost *lostParts) unreadTally {
	if path == "" {
		return unreadTally{}
	}
	if log == nil {
		log = slog.Default()
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return unreadTally{}
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
			return t
		}
	}
	sum := sha256.Sum256(b)
	if nerr := lost.note("unread-"+hex.EncodeToString(sum[:8]), lostPart{Said: unreadDamagedText}); nerr != nil {
		log.Warn("a state file is damaged, and kept: what it counted is not told yet", "file", path, "err", errors.Join(err, nerr))
		return unreadTally{}
	}
	// Kept for a look, as LoadStateFile does with what is not JSON.
	to, rerr := sdk.SetAside(path)
	log.Warn("a state file is damaged, and set aside", "file", path, "set_aside_as", to,
		"cost", "the messages of history not read in the sync it counted are told without saying how many", "err", errors.Join(err, rerr))
	return unreadTally{}
}

// saveUnreadLocked keeps r.unread (under r.mu), or removes the file when
// it counts nothing; a failure is logged: the count is still told at the
// sync's end, unless the plugin stops before.
func (r *syncRun) saveUnreadLocked(log *slog.Logger) {
	if r.unreadPath == "" {
		return
	}
	var err error
	if r.unread.n == 0 {
		if err = os.Remove(r.unreadPath); errors.Is(err, fs.ErrNotExist) {
			err = nil
		}
	} else {
		var st savedTally
		var b []byte
		if st, err = r.unread.saved(); err == nil {
			if b, err = json.Marshal(st); err == nil {
				err = writeState(r.unreadPath, b) // disappearing.go
			}
		}
	}
	if err != nil {
		log.Warn("the count of the history sync's messages not read is not kept; a stop before the sync's end would leave them untold", "err", err)
	}
}
