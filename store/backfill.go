package store

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"go.etcd.io/bbolt"
)

// BackfillCursor is where the backfill of one chat stands: what the last
// stored history batch said, and how much backfill stored so far.
type BackfillCursor struct {
	Transport, LoginID, ChatID string
	// Cursor is the last stored batch's cursor, handed back to the plugin
	// to resume from (BackfillRequest.cursor); "" before the first batch.
	Cursor string
	// Done: the plugin said the chat has no older history.
	Done bool
	// Stored counts the events backfill stored in this chat, duplicates
	// and rejected events left out.
	Stored uint64
	// Seq is the History seq of the last stored batch (0: none given).
	Seq uint64
	// Updated is when the last batch was stored.
	Updated time.Time

	// run is the plugin run Seq belongs to (see HistoryRestarted).
	run uint64
}

// HistoryBatch is one batch of a chat's past events, as the plugin's
// History stream delivers it, for CommitHistory.
type HistoryBatch struct {
	LoginID, ChatID string
	// Seq is the batch's History seq (0: unknown, never a replay).
	Seq uint64
	// Cursor is where to resume; it may be empty only when Done.
	Cursor string
	Done   bool
	// Events, oldest first. An event's empty LoginID and ChatID default
	// to the batch's; an event naming another login or chat is rejected.
	Events []InboundEvent
}

// HistoryResult is what CommitHistory did with a batch.
type HistoryResult struct {
	// Replayed: the batch's Seq is at or below the last one stored for
	// the chat in this plugin run, so it was stored before and nothing of
	// it is stored again. Fresh and Keys are nil then.
	Replayed bool
	// Fresh and Keys are parallel to the batch's events, as CommitEvents
	// returns them.
	Fresh []bool
	Keys  []uint64
	// Cursor is the chat's cursor after the batch.
	Cursor BackfillCursor
}

// checkCursorKey validates the (transport, login, chat) of a cursor: unlike
// a message's, a backfilled chat must be named.
func checkCursorKey(transport, loginID, chatID string) error {
	if err := checkPart("transport", transport, false); err != nil {
		return err
	}
	if err := checkPart("login ID", loginID, false); err != nil {
		return err
	}
	return checkPart("chat ID", chatID, false)
}

func encodeCursorFields(e *enc, c *BackfillCursor) {
	e.str(c.Cursor)
	e.bool(c.Done)
	e.uvarint(c.Stored)
	e.uvarint(c.run)
	e.uvarint(c.Seq)
	e.time(c.Updated)
}

func decodeCursorFields(d *dec, transport, loginID, chatID string) *BackfillCursor {
	c := &BackfillCursor{Transport: transport, LoginID: loginID, ChatID: chatID}
	c.Cursor = d.str()
	c.Done = d.bool()
	c.Stored = d.uvarint()
	c.run = d.uvarint()
	c.Seq = d.uvarint()
	c.Updated = d.time()
	return c
}

func encodeCursor(c *BackfillCursor) []byte {
	e := newEnc(len(c.Cursor) + 48)
	encodeCursorFields(e, c)
	return e.b
}

func decodeCursor(transport, loginID, chatID string, v []byte) (*BackfillCursor, error) {
	d := newDec(v)
	c := decodeCursorFields(d, transport, loginID, chatID)
	if d.err != nil {
		return nil, fmt.Errorf("store: backfill cursor of chat %s of login %s on %s: %w", chatID, loginID, transport, d.err)
	}
	return c, nil
}

// historyRun is the current plugin run of transport (see
// HistoryRestarted). Runs start at a random number at each Open, so the
// seqs stored by an earlier process never match.
func (db *DB) historyRun(transport string) uint64 {
	db.runMu.Lock()
	defer db.runMu.Unlock()
	r, ok := db.runs[transport]
	if !ok {
		r = db.runBase
	}
	return r
}

// HistoryRestarted tells the store that the plugin of transport started
// anew (the host launched a new process): its History seqs start over, so
// a stored Seq of an earlier run never makes a new batch a replay. A new
// Open is a new run by itself.
func (db *DB) HistoryRestarted(transport string) {
	db.runMu.Lock()
	defer db.runMu.Unlock()
	r, ok := db.runs[transport]
	if !ok {
		r = db.runBase
	}
	if db.runs == nil {
		db.runs = map[string]uint64{}
	}
	db.runs[transport] = r + 1
}

// newRunBase picks the first run number of an Open; random, so that runs
// of two processes do not meet (in 2^64, with increments of one).
func newRunBase() uint64 { return rand.Uint64() | 1 }

// CommitHistory stores one history batch of a chat and the chat's new
// cursor in one write: after a crash, either the batch's events and its
// cursor are both there, or neither is, so resuming from the stored
// cursor never stores a batch twice nor skips one. The events are
// deduplicated and stored exactly as CommitEvents does (against live
// events, earlier batches and each other), and invalid ones rejected
// alone. A batch whose Seq is at or below the chat's last stored one in
// the same plugin run (a replay on a new History stream) stores nothing
// and reports Replayed.
//
// Bad input (an empty or over-long login or chat ID, a NUL byte, a cursor
// missing from a batch that is not Done) is refused with an error
// wrapping ErrInvalid, and nothing is stored.
func (db *DB) CommitHistory(ctx context.Context, transport string, b HistoryBatch) (HistoryResult, error) {
	if err := checkCursorKey(transport, b.LoginID, b.ChatID); err != nil {
		return HistoryResult{}, err
	}
	if err := checkPart("cursor", b.Cursor, b.Done); err != nil {
		return HistoryResult{}, fmt.Errorf("%w (a batch that is not done must say where to resume)", err)
	}
	evs := make([]InboundEvent, len(b.Events))
	var alien []int // events of another login or chat
	for i, ev := range b.Events {
		if ev.LoginID == "" {
			ev.LoginID = b.LoginID
		}
		if ev.ChatID == "" {
			ev.ChatID = b.ChatID
		}
		if ev.LoginID != b.LoginID || ev.ChatID != b.ChatID {
			alien = append(alien, i)
		}
		evs[i] = ev
	}
	now := time.Now()
	recs := db.prepEvents(transport, evs, now)
	for _, i := range alien {
		if !recs[i].bad {
			db.reject(transport)
			slog.Warn("store: history event of another chat rejected; the others of its batch are stored", "transport", transport,
				"login", b.LoginID, "chat", b.ChatID, "event_login", evs[i].LoginID, "event_chat", evs[i].ChatID, "event_id", evs[i].DedupID)
			recs[i] = evRec{bad: true}
		}
	}
	run := db.historyRun(transport)
	key := hkey(transport, b.LoginID, b.ChatID)
	var res HistoryResult // set by the writer, read once it answered
	err := db.submitHot(ctx, false, func(h *hotBatch) error {
		tx, err := h.readTx()
		if err != nil {
			return fmt.Errorf("store: commit history: %w", err)
		}
		cur, ok := h.staged.curs[key]
		if !ok {
			if cur, err = db.cursorAt(tx, key, transport, b.LoginID, b.ChatID); err != nil {
				return err
			}
		}
		if b.Seq != 0 && cur.run == run && b.Seq <= cur.Seq {
			res = HistoryResult{Replayed: true, Cursor: *cur}
			return nil
		}
		// Nothing below fails: the op stages its group or nothing.
		h.beginGroup()
		fresh, keys := h.stageEvents(transport, recs)
		next := &BackfillCursor{Transport: transport, LoginID: b.LoginID, ChatID: b.ChatID,
			Cursor: b.Cursor, Done: b.Done, Stored: cur.Stored, Seq: b.Seq, run: run,
			Updated: now.UTC().Round(0)} // as bbolt gives it back
		if next.Cursor == "" { // a done batch without a cursor keeps the last one
			next.Cursor = cur.Cursor
		}
		for _, f := range fresh {
			if f {
				next.Stored++
			}
		}
		h.add(hotRec{kind: recCursor, transport: transport, login: b.LoginID, chat: b.ChatID, cur: next})
		h.endGroup()
		res = HistoryResult{Fresh: fresh, Keys: keys, Cursor: *next}
		return nil
	})
	if err != nil {
		return HistoryResult{}, err
	}
	return res, nil
}

// cursorAt returns the cursor of key from the log's index or bbolt (read
// in tx); a zero cursor when there is none.
func (db *DB) cursorAt(tx *bbolt.Tx, key, transport, loginID, chatID string) (*BackfillCursor, error) {
	if c, ok := db.hotCursor(key); ok {
		return c, nil
	}
	if cb := sub(loginBucket(tx, transport, loginID), bCursors); cb != nil {
		if v := cb.Get([]byte(chatID)); v != nil {
			return decodeCursor(transport, loginID, chatID, v)
		}
	}
	return &BackfillCursor{Transport: transport, LoginID: loginID, ChatID: chatID}, nil
}

// GetCursor returns the backfill cursor of a chat, or ErrNotFound when no
// history batch of it was stored.
func (db *DB) GetCursor(transport, loginID, chatID string) (BackfillCursor, error) {
	if err := checkCursorKey(transport, loginID, chatID); err != nil {
		return BackfillCursor{}, err
	}
	key := hkey(transport, loginID, chatID)
	if c, ok := db.hotCursor(key); ok {
		return *c, nil
	}
	var c BackfillCursor
	err := db.view(func(tx *bbolt.Tx) error {
		var v []byte
		if cb := sub(loginBucket(tx, transport, loginID), bCursors); cb != nil {
			v = cb.Get([]byte(chatID))
		}
		if v == nil {
			return fmt.Errorf("%w: backfill cursor of chat %s of login %s on %s", ErrNotFound, chatID, loginID, transport)
		}
		p, err := decodeCursor(transport, loginID, chatID, v)
		if err != nil {
			return err
		}
		c = *p
		return nil
	})
	return c, err
}

// ListCursors returns the backfill cursors of a login, ordered by chat ID.
// DeleteLogin forgets them with the rest of the login's data.
func (db *DB) ListCursors(transport, loginID string) ([]BackfillCursor, error) {
	if err := checkPart("transport", transport, false); err != nil {
		return nil, err
	}
	if err := checkPart("login ID", loginID, false); err != nil {
		return nil, err
	}
	// The log's first, older generation first so the newest write wins;
	// then bbolt's, for the chats the log does not name. In that order a
	// checkpoint between the two reads cannot hide a cursor: one missing
	// from the log then is in bbolt already.
	prefix := hkey(transport, loginID, "")
	logged := map[string]BackfillCursor{}
	db.hmu.RLock()
	for _, g := range [...]*hotGen{db.frozen, db.live} {
		if g == nil {
			continue
		}
		for k, c := range g.curs {
			if strings.HasPrefix(k, prefix) {
				logged[c.ChatID] = *c
			}
		}
	}
	db.hmu.RUnlock()
	byChat := map[string]BackfillCursor{}
	err := db.view(func(tx *bbolt.Tx) error {
		cb := sub(loginBucket(tx, transport, loginID), bCursors)
		if cb == nil {
			return nil
		}
		return cb.ForEach(func(k, v []byte) error {
			c, err := decodeCursor(transport, loginID, string(k), v)
			if err != nil {
				return err
			}
			byChat[c.ChatID] = *c
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	for chat, c := range logged {
		byChat[chat] = c
	}
	out := make([]BackfillCursor, 0, len(byChat))
	for _, c := range byChat {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b BackfillCursor) int { return strings.Compare(a.ChatID, b.ChatID) })
	return out, nil
}
