package whatsapp

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"go.mau.fi/whatsmeow/types"
)

// The messages kept for read marks (readmarks.go) are kept in the login's
// folder as a journal of what changed them, one JSON line each: a
// message noted, a mark that took the messages up to one, messages put
// back after a receipt failed. A message comes far more often than
// calls or pins change, and the whole set is up to 32768 messages: a
// line appended per change costs one small write, where rewriting the
// set (as calls.json is) would cost megabytes. The journal is read back
// at the start, through the same changes, and rewritten as the set
// alone once it holds twice as many lines as the set has messages (and
// 1024 more). Lines are appended without fsync: a plugin killed keeps
// them (the kernel has them), a machine that crashes may lose the last
// ones, which costs receipts, never messages; a torn last line is
// skipped.

// unreadFile is the journal's name in the login's folder.
const unreadFile = "unread.jsonl"

// unreadLine is one change of the messages kept.
type unreadLine struct {
	Chat string `json:"c"`
	// ID is the message noted, or, with Read, the one marked: the
	// messages up to it are taken.
	ID     string      `json:"i,omitempty"`
	Sender string      `json:"s,omitempty"`
	List   string      `json:"l,omitempty"` // unreadMsg.list
	Server int         `json:"n,omitempty"` // unreadMsg.server
	Read   bool        `json:"r,omitempty"`
	Back   []unreadRec `json:"b,omitempty"` // put back, oldest first
}

// unreadRec is a message put back.
type unreadRec struct {
	ID     string `json:"i"`
	Sender string `json:"s"`
	List   string `json:"l,omitempty"`
	Server int    `json:"n,omitempty"`
}

// lineOf is the journal's line noting m in chat.
func lineOf(chat string, m unreadMsg) unreadLine {
	return unreadLine{Chat: chat, ID: m.id, Sender: m.sender.String(), List: jidString(m.list), Server: int(m.server)}
}

// jidString is j written, "" for none.
func jidString(j types.JID) string {
	if j.IsEmpty() {
		return ""
	}
	return j.String()
}

// unreadJournal is the journal's file; its zero value keeps nothing (no
// login folder).
type unreadJournal struct {
	path  string
	f     *os.File
	lines int // in the file
	limit int // lines past which it is rewritten
	log   *slog.Logger
}

// open reads the journal in dir into u and opens it for the
// changes to come; dir "" keeps nothing. A journal that cannot be read
// or written is logged: the marks then read only the message marked
// after a restart, as before they were kept.
func (u *unreadMarks) open(dir string, log *slog.Logger) {
	if dir == "" {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.j = unreadJournal{path: filepath.Join(dir, unreadFile), log: log}
	if err := u.replayLocked(); err != nil && !errors.Is(err, fs.ErrNotExist) {
		log.Warn("messages kept for read marks not read: a mark reads only its message for those", "err", err)
	}
	// Rewritten at once: what the bounds dropped goes, and the
	// journal starts as the set.
	if err := u.j.rewrite(u); err != nil {
		log.Warn("messages kept for read marks not written: kept in memory only", "err", err)
	}
}

// replayLocked applies the journal's lines to u.
func (u *unreadMarks) replayLocked() error {
	f, err := os.Open(u.j.path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	bad := 0
	for sc.Scan() {
		var l unreadLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil || l.Chat == "" {
			bad++ // a line torn by a crash
			continue
		}
		switch {
		case l.Read:
			u.upToLocked(l.Chat, l.ID)
		case l.Back != nil:
			msgs := make([]unreadMsg, 0, len(l.Back))
			for _, r := range l.Back {
				msgs = append(msgs, unreadMsg{id: r.ID, sender: parseJIDOrEmpty(r.Sender), list: parseJIDOrEmpty(r.List), server: types.MessageServerID(r.Server)})
			}
			u.putBackLocked(l.Chat, msgs)
		case l.ID != "":
			u.noteLocked(l.Chat, unreadMsg{id: l.ID, sender: parseJIDOrEmpty(l.Sender), list: parseJIDOrEmpty(l.List), server: types.MessageServerID(l.Server)})
		}
	}
	if bad > 0 {
		u.j.log.Info("lines of the read marks' journal skipped", "file", u.j.path, "lines", bad)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read %s: %w", u.j.path, err)
	}
	return nil
}

func parseJIDOrEmpty(s string) types.JID {
	j, err := types.ParseJID(s)
	if err != nil {
		return types.EmptyJID
	}
	return j
}

// write appends l, a change u just made (under u.mu), and rewrites the
// journal past its limit.
func (j *unreadJournal) write(u *unreadMarks, l unreadLine) {
	if j.f == nil {
		return
	}
	if j.lines >= j.limit {
		if err := j.rewrite(u); err != nil {
			j.log.Warn("read marks' journal not rewritten: kept in memory only from now", "err", err)
		}
		return // the rewrite holds l's change already
	}
	b, err := json.Marshal(l)
	if err == nil {
		_, err = j.f.Write(append(b, '\n'))
	}
	if err != nil {
		j.log.Warn("read marks' journal not written: kept in memory only from now", "err", err)
		j.close()
		return
	}
	j.lines++
}

// rewrite writes the journal anew as u's messages (under u.mu),
// atomically, and opens it for the changes to come.
func (j *unreadJournal) rewrite(u *unreadMarks) error {
	j.close()
	var buf []byte
	n := 0
	for _, chat := range u.order {
		for _, m := range u.chats[chat] {
			b, err := json.Marshal(lineOf(chat, m))
			if err != nil {
				return err
			}
			buf = append(append(buf, b...), '\n')
			n++
		}
	}
	dir := filepath.Dir(j.path)
	if err := writeSynced(j.path, buf, dir); err != nil {
		return err
	}
	f, err := os.OpenFile(j.path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	j.f, j.lines, j.limit = f, n, 2*n+1024
	return nil
}

// close closes the journal: nothing more is written.
func (j *unreadJournal) close() {
	if j.f != nil {
		if err := j.f.Close(); err != nil && j.log != nil {
			j.log.Warn("read marks' journal not closed", "err", err)
		}
		j.f = nil
	}
}

// closeJournal ends the journal (the session's end).
func (u *unreadMarks) closeJournal() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.j.close()
}
