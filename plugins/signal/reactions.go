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
// timestamp TS (its original, for an edited one), set at When (Unix ms);
// no emoji is a removal.
type myReaction struct {
	TS    int64  `json:"t"`
	Emoji string `json:"e,omitempty"`
	When  int64  `json:"w"`
}

// myReactions is the user's reaction per message timestamp.
type myReactions struct{ m *tsMap[myReaction] }

// loadMyReactions reads the map of the login folder dir ("": memory
// only); a damaged file is logged and repaired, keeping its good lines.
func loadMyReactions(dir string, log *slog.Logger) *myReactions {
	return &myReactions{loadTSMap(dir, log, tsKind[myReaction]{
		file: myReactionsFile, what: "map of the user's reactions",
		lost: "after a restart, removing or replacing a reaction may not remove the one set before",
		max:  maxMyReactions, age: myReactionsAge,
		key:   func(e myReaction) int64 { return e.TS },
		stamp: func(e myReaction) int64 { return e.When },
		valid: func(e myReaction) bool { return e.When > 0 },
		gone:  func(e myReaction) bool { return e.Emoji == "" },
	})}
}

// on is the user's emoji on the message of timestamp ts ("" none known).
func (m *myReactions) on(ts int64) string {
	e, _ := m.m.get(ts)
	return e.Emoji
}

// set records the user's emoji on the message of timestamp ts ("" when
// removed), on disk before it returns.
func (m *myReactions) set(ts int64, emoji string) {
	if ts <= 0 {
		return
	}
	e := myReaction{TS: ts, Emoji: emoji, When: time.Now().UnixMilli()}
	m.m.put(e, func(old myReaction, known bool) bool { return old.Emoji == emoji && (known || emoji == "") })
}
