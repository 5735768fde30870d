package signal

import (
	"log/slog"
	"slices"
	"time"
)

// Receipts and read syncs name messages by timestamp only, so the plugin
// remembers which chat each recent message is in: a receipt for a message
// the user sent into a group belongs to the group, not to the direct chat
// of whoever sent the receipt. An edit is a message of its own timestamp
// too, and receipts, reactions, quotes and later edits may name it, so
// the map also says which message an edit's timestamp replaces: the
// original, the one the gateway knows. The map outlives the process (a
// tsMap, tsmap.go).

// msgChatsFile is the map's file in the login's folder.
const msgChatsFile = "message-chats.jsonl"

// Bounds of the map: at most maxMsgChats entries, none older than
// msgChatsAge (by the message's timestamp). Variables for the tests.
var (
	maxMsgChats = 10000
	msgChatsAge = 30 * 24 * time.Hour
)

// msgChat is one line of the file: a message's chat, its author (its
// user ID then; "" in lines written before it was kept) and, for an
// edit, the original message's timestamp (an edit's author is the
// original's). A message is kept by its timestamp and author: two
// people's messages of one millisecond are two entries.
type msgChat struct {
	TS     int64  `json:"t"`
	Chat   string `json:"c"`
	Author string `json:"a,omitempty"`
	Orig   int64  `json:"o,omitempty"`
}

// msgChats is the map of messages to chats and originals. Its lookups
// take the author's forms (who: a number, an ACI; Session.who); without,
// the first message of the timestamp noted.
type msgChats struct{ m *tsMap[msgChat] }

// loadMsgChats reads the map of the login folder dir ("": memory only).
// Damaged lines (a write cut by a crash, garbage) are dropped with a
// warning and the file rewritten without them; the rest is kept.
func loadMsgChats(dir string, log *slog.Logger) *msgChats {
	return &msgChats{loadTSMap(dir, log, tsKind[msgChat]{
		file: msgChatsFile, what: "message-to-chat map",
		lost: "after a restart, a receipt of a message it misses lands in the direct chat of its sender",
		max:  maxMsgChats, age: msgChatsAge,
		key:   func(e msgChat) tsKey { return tsKey{e.TS, e.Author} },
		valid: func(e msgChat) bool { return e.Chat != "" && e.Orig >= 0 && e.Orig != e.TS },
	})}
}

// at is the chat of the message of timestamp ts by who ("" when
// unknown).
func (m *msgChats) at(ts int64, who ...string) string {
	e, _ := m.m.get(ts, who...)
	return e.Chat
}

// original is the timestamp of the message ts (by who) names: ts
// itself, or for an edit the message it edits, however many edits lie
// between.
func (m *msgChats) original(ts int64, who ...string) int64 {
	if e, ok := m.m.get(ts, who...); ok && e.Orig > 0 {
		return e.Orig
	}
	return ts
}

// known reports whether the message (or edit) of timestamp ts by who
// was noted: one the plugin had.
func (m *msgChats) known(ts int64, who ...string) bool {
	_, ok := m.m.get(ts, who...)
	return ok
}

// latest is the timestamp of the newest known edit of the message of
// timestamp orig by who (orig when none).
func (m *msgChats) latest(orig int64, who ...string) int64 {
	newest := orig
	m.m.each(func(e msgChat) {
		if e.Orig == orig && (len(who) == 0 || e.Author == "" || slices.Contains(who, e.Author)) {
			newest = max(newest, e.TS)
		}
	})
	return newest
}

// author is the user ID the author of the message of timestamp ts had
// when it was noted ("" when unknown).
func (m *msgChats) author(ts int64, who ...string) string {
	e, _ := m.m.get(ts, who...)
	return e.Author
}

// authors is the user IDs noted as authors of messages of timestamp ts
// ("" for a line from before authors were kept).
func (m *msgChats) authors(ts int64) []string {
	var as []string
	for _, e := range m.m.all(ts) {
		as = append(as, e.Author)
	}
	return as
}

// note maps ts to chat and its author, on disk before it returns. A
// write that fails is logged: the message went, and at worst a receipt
// of it after a restart lands in its sender's direct chat.
func (m *msgChats) note(ts int64, chat, author string) { m.noteEdit(ts, chat, author, 0) }

// noteEdit maps the edit of timestamp ts to its chat, its author and to
// the original message's timestamp orig (0 or ts: ts is no edit), as
// note does.
func (m *msgChats) noteEdit(ts int64, chat, author string, orig int64) {
	if ts <= 0 || chat == "" {
		return
	}
	if orig == ts {
		orig = 0
	}
	e := msgChat{TS: ts, Chat: chat, Author: author, Orig: orig}
	// Another's message of the same timestamp stays: it is another
	// entry (a sender picks its message's timestamp, and may take
	// another's; Session.wrote keeps it from passing for theirs).
	m.m.put(e, func(old msgChat, known bool) bool { return known && old == e })
}
