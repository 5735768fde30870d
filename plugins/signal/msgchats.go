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
	"sync"
	"time"
)

// Receipts and read syncs name messages by timestamp only, so the plugin
// remembers which chat each recent message is in: a receipt for a message
// the user sent into a group belongs to the group, not to the direct chat
// of whoever sent the receipt. The map outlives the process: it is kept in
// the login's folder as JSON lines appended (and synced) before the send's
// result or the message's event goes out, and rewritten (write, sync,
// rename) when it grows, keeping the newest entries of the last days.

// msgChatsFile is the map's file in the login's folder.
const msgChatsFile = "message-chats.jsonl"

// Bounds of the map: at most maxMsgChats entries, none older than
// msgChatsAge (by the message's timestamp). Variables for the tests.
var (
	maxMsgChats = 10000
	msgChatsAge = 30 * 24 * time.Hour
)

// msgChat is one line of the file.
type msgChat struct {
	TS   int64  `json:"t"`
	Chat string `json:"c"`
}

// msgChats is the map of message timestamps to chat IDs.
type msgChats struct {
	path string // "" when kept in memory only
	log  *slog.Logger

	mu    sync.Mutex
	chat  map[int64]string
	order []int64 // the timestamps in chat, oldest noted first

	fmu     sync.Mutex // the file; taken before mu when both are
	lines   int        // lines in the file
	dirSync bool       // the file's folder entry is known durable
}

// loadMsgChats reads the map of the login folder dir ("": memory only).
// Damaged lines (a write cut by a crash, garbage) are dropped with a
// warning and the file rewritten without them; the rest is kept.
func loadMsgChats(dir string, log *slog.Logger) *msgChats {
	m := &msgChats{log: log, chat: map[int64]string{}}
	if dir == "" {
		return m
	}
	m.path = filepath.Join(dir, msgChatsFile)
	b, err := os.ReadFile(m.path)
	if errors.Is(err, fs.ErrNotExist) {
		return m
	}
	if err != nil {
		log.Error("signal: the message-to-chat map cannot be read; receipts of messages sent before now may land in the direct chat of their sender", "file", m.path, "err", err)
		m.path = ""
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
		var e msgChat
		if json.Unmarshal(line, &e) != nil || e.TS <= 0 || e.Chat == "" {
			damaged++
			continue
		}
		m.setLocked(e.TS, e.Chat)
	}
	good := len(m.chat)
	pruned := m.pruneLocked(time.Now())
	if damaged > 0 {
		log.Warn("signal: the message-to-chat map has damaged lines: they are dropped, the other entries kept", "file", m.path, "damaged", damaged, "kept", good)
	}
	if damaged > 0 || pruned > 0 || m.lines > len(m.chat) {
		if err := m.rewrite(); err != nil {
			// Appending after a cut line would damage the next one.
			log.Error("signal: the message-to-chat map cannot be rewritten; it is kept in memory only", "file", m.path, "err", err)
			m.path = ""
		}
	}
	return m
}

// setLocked maps ts to chat in memory, forgetting the oldest entry past
// the bound; called with mu held.
func (m *msgChats) setLocked(ts int64, chat string) {
	if _, ok := m.chat[ts]; !ok {
		m.order = append(m.order, ts)
	}
	m.chat[ts] = chat
	for len(m.order) > maxMsgChats {
		delete(m.chat, m.order[0])
		m.order = m.order[1:]
	}
}

// pruneLocked forgets the entries older than msgChatsAge and says how
// many; called with mu held.
func (m *msgChats) pruneLocked(now time.Time) int {
	oldest := now.Add(-msgChatsAge).UnixMilli()
	kept := m.order[:0]
	for _, ts := range m.order {
		if ts >= oldest {
			kept = append(kept, ts)
		} else {
			delete(m.chat, ts)
		}
	}
	n := len(m.order) - len(kept)
	m.order = kept
	return n
}

// at is the chat of the message of timestamp ts ("" when unknown).
func (m *msgChats) at(ts int64) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.chat[ts]
}

// note maps ts to chat, on disk before it returns. A write that fails is
// logged: the message went, and at worst a receipt of it after a restart
// lands in its sender's direct chat.
func (m *msgChats) note(ts int64, chat string) {
	if ts <= 0 || chat == "" {
		return
	}
	m.fmu.Lock()
	defer m.fmu.Unlock()
	m.mu.Lock()
	same := m.chat[ts] == chat
	if !same {
		m.setLocked(ts, chat)
	}
	m.mu.Unlock()
	if same || m.path == "" {
		return
	}
	if err := m.append(msgChat{TS: ts, Chat: chat}); err != nil {
		m.log.Warn("signal: a message's chat cannot be recorded; a receipt of it after a restart may land in the wrong chat", "file", m.path, "err", err)
		return
	}
	if m.lines >= 2*maxMsgChats {
		if err := m.rewrite(); err != nil {
			m.log.Warn("signal: the message-to-chat map cannot be compacted", "file", m.path, "err", err)
		}
	}
}

// append writes one line and syncs it; called with fmu held.
func (m *msgChats) append(e msgChat) error {
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
		if err := syncDir(m.path); err != nil {
			return err
		}
		m.dirSync = true
	}
	return nil
}

// rewrite replaces the file by the entries in memory (past entries
// pruned): written, synced, then renamed over it. Called with fmu held or
// before m is shared.
func (m *msgChats) rewrite() error {
	m.mu.Lock()
	m.pruneLocked(time.Now())
	var buf bytes.Buffer
	for _, ts := range m.order {
		b, err := json.Marshal(msgChat{TS: ts, Chat: m.chat[ts]})
		if err != nil {
			m.mu.Unlock()
			return err
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	n := len(m.order)
	m.mu.Unlock()
	tmp := m.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("signal: %w", err)
	}
	_, err = f.Write(buf.Bytes())
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, m.path)
	}
	if err == nil {
		err = syncDir(m.path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("signal: %w", err)
	}
	m.lines, m.dirSync = n, true
	return nil
}

// syncDir makes a file's creation or rename in its folder durable.
func syncDir(path string) error {
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
