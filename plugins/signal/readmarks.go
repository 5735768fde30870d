package signal

import (
	"log/slog"
	"path/filepath"
	"sync"

	"passerelle.im/passerelle/plugins/sdk"
)

// A chat marked read from XMPP sends read receipts for the messages
// since the last mark (MarkRead): the last mark of each chat is kept in
// the login's folder, so that the first mark after a restart does not
// send receipts again for every message message-chats.jsonl still holds.

// readMarksFile holds the last mark per chat.
const readMarksFile = "read-marks.json"

// readMarks is the timestamp of the newest message marked read, by chat.
type readMarks struct {
	path string // "" when kept in memory only
	log  *slog.Logger

	mu sync.Mutex
	m  map[string]int64
}

// loadReadMarks reads the marks of the login folder dir ("": memory
// only). A file that cannot be read is logged: the next mark of each
// chat then reaches back as far as the message map.
func loadReadMarks(dir string, log *slog.Logger) *readMarks {
	r := &readMarks{log: log, m: map[string]int64{}}
	if dir == "" {
		return r
	}
	r.path = filepath.Join(dir, readMarksFile)
	if m, ok := sdk.LoadStateFile[map[string]int64](r.path, "the next mark of a chat resends receipts of its older messages", log); ok {
		r.m = m
	}
	return r
}

// upTo is the newest message marked read in chat (0: none).
func (r *readMarks) upTo(chat string) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.m[chat]
}

// moved keeps the mark of a direct chat under its new ID (a contact's
// identity move, identity.go).
func (r *readMarks) moved(oldChat, newChat string) {
	r.mu.Lock()
	ts := r.m[oldChat]
	r.mu.Unlock()
	if oldChat != "" && newChat != "" && ts > 0 {
		r.mark(newChat, ts)
	}
}

// mark records chat read up to ts, on disk before it returns; an older
// mark changes nothing. A write that fails is logged: the receipts went.
func (r *readMarks) mark(chat string, ts int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ts <= r.m[chat] {
		return
	}
	r.m[chat] = ts
	if r.path == "" {
		return
	}
	if err := sdk.SaveStateFile(r.path, r.m); err != nil {
		r.log.Warn("signal: the read marks cannot be written; after a restart, a chat's next mark resends receipts", "file", r.path, "err", err)
	}
}
