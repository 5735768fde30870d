package signal

import (
	"log/slog"
	"time"
)

// Signal removes a reaction by naming its emoji, and the gateway asks to
// remove or replace one without it: the plugin keeps the user's own
// reaction of each message (set from XMPP or from the phone) in the
// login's folder (a tsMap, tsmap.go), so that a removal after a restart
// names the right emoji.

// myReactionsFile is the map's file in the login's folder.
const myReactionsFile = "my-reactions.jsonl"

// Bounds of the map: at most maxMyReactions entries, none set more than
// myReactionsAge ago. Variables for the tests.
var (
	maxMyReactions = 10000
	myReactionsAge = 365 * 24 * time.Hour
)

// myReaction is one line of the file: the user's emoji on the message of
// timestamp TS (its original, for an edited one) by Author (its user
// ID; "" in lines from before it was kept), set at When (Unix ms); no
// emoji is a removal.
type myReaction struct {
	TS     int64  `json:"t"`
	Author string `json:"a,omitempty"`
	Emoji  string `json:"e,omitempty"`
	When   int64  `json:"w"`
}

// myReactions is the user's reaction per message (timestamp and author).
type myReactions struct{ m *tsMap[myReaction] }

// loadMyReactions reads the map of the login folder dir ("": memory
// only); a damaged file is logged and repaired, keeping its good lines.
func loadMyReactions(dir string, log *slog.Logger) *myReactions {
	return &myReactions{loadTSMap(dir, log, tsKind[myReaction]{
		file: myReactionsFile, what: "map of the user's reactions",
		lost: "after a restart, removing or replacing a reaction may not remove the one set before",
		max:  maxMyReactions, age: myReactionsAge,
		key:   func(e myReaction) tsKey { return tsKey{e.TS, e.Author} },
		stamp: func(e myReaction) int64 { return e.When },
		valid: func(e myReaction) bool { return e.When > 0 },
		gone:  func(e myReaction) bool { return e.Emoji == "" },
		// A reaction set or removed again replaces one kept before
		// authors were.
		supersede: true,
	})}
}

// on is the user's emoji on the message of timestamp ts by who (the
// author's forms, Session.who; "" none known).
func (m *myReactions) on(ts int64, who ...string) string {
	e, _ := m.m.get(ts, who...)
	return e.Emoji
}

// set records the user's emoji on the message of timestamp ts by who
// (the author's forms, the user ID first) ("" when removed), on disk
// before it returns.
func (m *myReactions) set(ts int64, emoji string, who ...string) {
	if ts <= 0 {
		return
	}
	e := myReaction{TS: ts, Emoji: emoji, When: time.Now().UnixMilli()}
	old, ok := m.m.get(ts, who...)
	switch {
	case ok && (old.Author != "" || emoji == ""):
		e.Author = old.Author // under the form it was noted by (a removal of a line without author: its key)
	case len(who) > 0:
		e.Author = who[0] // replaces a line without author (supersede)
	}
	m.m.put(e, func(old myReaction, known bool) bool { return old.Emoji == emoji && (known || emoji == "") })
}
