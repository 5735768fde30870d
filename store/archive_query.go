package store

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	"go.etcd.io/bbolt"
)

// Reading a room archive: XEP-0313 queries with XEP-0059 paging, and
// lookups by stanza-id or remote ID (layout in archive.go).

// ArchiveQuery selects messages of a room archive as XEP-0313 with
// XEP-0059 result set management asks. Bounds combine (all must hold).
type ArchiveQuery struct {
	// Start and End, both inclusive (zero: open), keep the messages whose
	// shown time (ArchivedMessage.Time, a copy's delay stamp) or arrival
	// (Arrived, their place in the archive) is within them: a client
	// scrolling back from the oldest time it shows gets a message that
	// came late, placed after newer ones, and one catching up from the
	// last time it saw gets it too (docs/architecture.md, "Room
	// archive order and time bounds"). Results stay in archive order.
	// A time-bounded query walks the places where such messages can be:
	// the bounds widened by how late, or early, the room's messages ever
	// arrived.
	Start, End time.Time
	// With keeps only the messages of this sender JID ("": all).
	With string
	// After and Before are stanza-ids (RSM); the page holds messages
	// after After and before Before, both exclusive.
	After, Before string
	// Latest asks for the newest page (RSM `<before/>` without an id);
	// Before set implies it. Without either, the page is the oldest of
	// the range (after After when set).
	Latest bool
	// AfterID and BeforeID are stanza-ids bounding the range itself
	// (XEP-0313's after-id and before-id, both exclusive): unlike After
	// and Before they set no paging direction, and they combine with
	// them (the narrower bound holds).
	AfterID, BeforeID string
	// Max is the page size: 0 means DefaultArchivePage, more than
	// MaxArchivePage is cut to it.
	Max int
	// CountOnly asks for Count alone, no messages (RSM max=0). It walks
	// the range, unless that is the whole room.
	CountOnly bool
}

// ArchivePage is one page of an archive query.
type ArchivePage struct {
	// Messages in archive (arrival) order, oldest first, in both
	// directions.
	Messages []ArchivedMessage
	// First and Last are the stanza-ids of the first and last message of
	// the page; "" when it is empty.
	First, Last string
	// Complete: no message of the range lies beyond the page in the
	// direction of paging (after it forwards, before it with Latest or
	// Before): XEP-0313's <fin complete='true'/>.
	Complete bool
	// Count is the number of messages in the whole range, or -1 where it
	// is not cheap to know (with Start, End or With). With CountOnly it is
	// always counted.
	Count int
}

// QueryArchive returns one page of the room's archive. A page costs a
// seek and the page's own messages, whatever the archive's size. An
// After or Before the room does not have gives ErrUnknownStanzaID; a
// room without archive is an empty, complete page.
func (db *DB) QueryArchive(ctx context.Context, room RoomKey, q ArchiveQuery) (ArchivePage, error) {
	if err := room.check(); err != nil {
		return ArchivePage{}, err
	}
	if err := checkPart("with JID", q.With, true); err != nil {
		return ArchivePage{}, err
	}
	for _, id := range [...]struct{ what, v string }{{"after", q.After}, {"before", q.Before}, {"after-id", q.AfterID}, {"before-id", q.BeforeID}} {
		if err := checkPart(id.what+" stanza-id", id.v, true); err != nil {
			return ArchivePage{}, err
		}
	}
	switch {
	case q.Max < 0:
		return ArchivePage{}, fmt.Errorf("%w: page size %d", ErrInvalid, q.Max)
	case q.Max == 0:
		q.Max = DefaultArchivePage
	case q.Max > MaxArchivePage:
		q.Max = MaxArchivePage
	}
	if db.roomLogged(room) {
		if err := db.Flush(ctx); err != nil {
			return ArchivePage{}, err
		}
	}
	page := ArchivePage{Count: -1}
	err := db.view(func(tx *bbolt.Tx) error {
		rb := roomBucket(tx, room)
		if rb == nil {
			if id := firstNonEmpty(q.After, q.Before, q.AfterID, q.BeforeID); id != "" {
				return fmt.Errorf("%w %q in %s", ErrUnknownStanzaID, id, room)
			}
			page.Complete, page.Count = true, 0
			return nil
		}
		meta, err := rb.meta()
		if err != nil {
			return err
		}
		return rb.query(room, meta, q, &page)
	})
	if err != nil {
		return ArchivePage{}, err
	}
	return page, nil
}

// within reports whether t is within the query's Start and End.
func (q *ArchiveQuery) within(t time.Time) bool {
	return (q.Start.IsZero() || !t.Before(q.Start)) && (q.End.IsZero() || !t.After(q.End))
}

// Keeps reports whether QueryArchive would keep m by the query's With,
// Start and End: its sender, and its shown time or its arrival within
// the bounds. It is for messages found by stanza-id (LookupArchived).
func (q *ArchiveQuery) Keeps(m *ArchivedMessage) bool {
	return (q.With == "" || m.SenderJID == q.With) && (q.within(m.Arrived) || q.within(m.Time))
}

// CompareArchived orders two messages of one room's archive as the
// archive holds them (ArchivePage.Messages): by arrival, then by append
// order, which their stanza-ids' sequence numbers give.
func CompareArchived(a, b *ArchivedMessage) int {
	_, sa, _ := parseStanzaID(a.StanzaID)
	_, sb, _ := parseStanzaID(b.StanzaID)
	return cmp.Or(a.Arrived.Compare(b.Arrived), cmp.Compare(sa, sb))
}

// firstNonEmpty returns the first non-empty string, or "".
func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// query fills page; see QueryArchive.
func (r *roomBkts) query(room RoomKey, meta roomMeta, q ArchiveQuery, page *ArchivePage) error {
	// The range [lo, hi) in o key space: the places where a message of
	// the time bounds can be (Start and End widened by the room's spread,
	// roomMeta), walked with match.
	lo := make([]byte, oKeyLen)
	hi := bytes.Repeat([]byte{0xff}, oKeyLen+1) // above every o key
	timed := !q.Start.IsZero() || !q.End.IsZero()
	if timed && meta.spread {
		if !q.Start.IsZero() {
			lo = oKey(q.Start.Add(-time.Duration(meta.early)), 0)
		}
		if !q.End.IsZero() {
			if k := oKey(q.End.Add(time.Duration(meta.late)+time.Nanosecond), 0); bytes.Compare(k, hi) < 0 {
				hi = k
			}
		}
	}
	// match reports whether the message at o key ok is within the time
	// bounds: its arrival or its shown time.
	match := func(ok []byte) (bool, error) {
		if !timed {
			return true, nil
		}
		if q.within(keyTime(ok)) {
			return true, nil
		}
		v := r.order.Get(ok)
		if v == nil {
			return false, fmt.Errorf("%w: %s: sender index entry without its message", ErrCorrupt, room)
		}
		shown, err := shownTime(v)
		if err != nil {
			return false, fmt.Errorf("%s: %w", room, err)
		}
		return q.within(shown), nil
	}
	pos := func(id string) ([]byte, error) {
		epoch, seq, ok := parseStanzaID(id)
		if ok && epoch == meta.epoch {
			if tk := r.byID.Get(u64(seq)); len(tk) == timeKeyLen {
				return binary.BigEndian.AppendUint64(bytes.Clone(tk), seq), nil
			}
		}
		return nil, fmt.Errorf("%w %q in %s", ErrUnknownStanzaID, id, room)
	}
	for _, id := range [...]string{q.After, q.AfterID} {
		if id == "" {
			continue
		}
		k, err := pos(id)
		if err != nil {
			return err
		}
		k = append(k, 0) // the first key after it
		if bytes.Compare(k, lo) > 0 {
			lo = k
		}
	}
	for _, id := range [...]string{q.Before, q.BeforeID} {
		if id == "" {
			continue
		}
		k, err := pos(id)
		if err != nil {
			return err
		}
		if bytes.Compare(k, hi) < 0 {
			hi = k
		}
	}
	if q.Before != "" {
		q.Latest = true
	}
	// With With, walk the sender's index; its keys are the o keys under a
	// prefix.
	b, prefix := r.order, []byte(nil)
	if q.With != "" {
		b, prefix = r.wth, comp(q.With)
	}
	plo, phi := append(bytes.Clone(prefix), lo...), append(bytes.Clone(prefix), hi...)
	whole := q.With == "" && q.Start.IsZero() && q.End.IsZero()
	if q.CountOnly && whole && q.After == "" && q.Before == "" && q.AfterID == "" && q.BeforeID == "" {
		page.Count, page.Complete = int(meta.count), true
		return nil
	}
	if q.CountOnly {
		n, c := 0, b.Cursor()
		for k, _ := c.Seek(plo); k != nil && bytes.Compare(k, phi) < 0; k, _ = c.Next() {
			ok, err := match(k[len(prefix):])
			if err != nil {
				return err
			}
			if ok {
				n++
			}
		}
		page.Count, page.Complete = n, true
		return nil
	}
	if whole && q.AfterID == "" && q.BeforeID == "" {
		page.Count = int(meta.count)
	}
	c := b.Cursor()
	// walk takes the o keys of up to q.Max matches from k on, stepping
	// with next while in; it reports whether it ran out of the range.
	// One match past the page says it is not complete: it walks on to
	// it (or out of the range) once the page is full.
	walk := func(k []byte, next func() ([]byte, []byte), in func([]byte) bool) (keys [][]byte, complete bool, err error) {
		for ; k != nil && in(k); k, _ = next() {
			ok, err := match(k[len(prefix):])
			if err != nil {
				return nil, false, err
			}
			if !ok {
				continue
			}
			if len(keys) == q.Max {
				return keys, false, nil
			}
			keys = append(keys, k[len(prefix):])
		}
		return keys, true, nil
	}
	var keys [][]byte
	var err error
	if !q.Latest {
		k, _ := c.Seek(plo)
		keys, page.Complete, err = walk(k, c.Next, func(k []byte) bool { return bytes.Compare(k, phi) < 0 })
		if err != nil {
			return err
		}
	} else {
		k, _ := c.Seek(phi)
		if k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
		keys, page.Complete, err = walk(k, c.Prev, func(k []byte) bool { return bytes.Compare(k, plo) >= 0 })
		if err != nil {
			return err
		}
		slices.Reverse(keys)
	}
	page.Messages = make([]ArchivedMessage, 0, len(keys))
	for _, k := range keys {
		v := r.order.Get(k)
		if v == nil {
			return fmt.Errorf("%w: %s: sender index entry without its message", ErrCorrupt, room)
		}
		m, err := decodeArchived(meta.epoch, k, v)
		if err != nil {
			return err
		}
		page.Messages = append(page.Messages, m)
	}
	if n := len(page.Messages); n > 0 {
		page.First, page.Last = page.Messages[0].StanzaID, page.Messages[n-1].StanzaID
	}
	return nil
}

// LookupArchived returns the message of a stanza-id, or
// ErrUnknownStanzaID.
func (db *DB) LookupArchived(ctx context.Context, room RoomKey, stanzaID string) (ArchivedMessage, error) {
	return db.lookupArchived(ctx, room, "stanza-id", stanzaID)
}

// LookupArchivedRemote returns the message of a remote message ID, or
// ErrNotFound.
func (db *DB) LookupArchivedRemote(ctx context.Context, room RoomKey, remoteID string) (ArchivedMessage, error) {
	return db.lookupArchived(ctx, room, "remote ID", remoteID)
}

// ArchivedStanzaID returns the stanza-id of the message of a remote
// message ID, or ErrNotFound. Unlike LookupArchivedRemote it never forces
// a checkpoint: it reads the log's index, then bbolt, as LookupRemote
// does (a message in neither is not archived yet, whether or not the
// room has other appends in the log). A reaction or reply in a busy room
// names a recent message, often before its own append (the network's
// reaction can overtake the reflection): a checkpoint each would cost a
// bbolt commit each.
func (db *DB) ArchivedStanzaID(_ context.Context, room RoomKey, remoteID string) (string, error) {
	if err := room.check(); err != nil {
		return "", err
	}
	if err := checkPart("remote ID", remoteID, false); err != nil {
		return "", err
	}
	if id, ok := hotGet(db, func(g *hotGen) map[string]string { return g.arRemote }, hkey(room.Transport, room.UserJID, room.RoomID, remoteID)); ok {
		return id, nil
	}
	m, err := db.lookupBolt(room, "remote ID", remoteID)
	return m.StanzaID, err
}

func (db *DB) lookupArchived(ctx context.Context, room RoomKey, by, id string) (ArchivedMessage, error) {
	if err := room.check(); err != nil {
		return ArchivedMessage{}, err
	}
	if err := checkPart(by, id, false); err != nil {
		return ArchivedMessage{}, err
	}
	if db.roomLogged(room) {
		if err := db.Flush(ctx); err != nil {
			return ArchivedMessage{}, err
		}
	}
	return db.lookupBolt(room, by, id)
}

// lookupBolt is lookupArchived in bbolt alone: what is still only in the
// log is not seen.
func (db *DB) lookupBolt(room RoomKey, by, id string) (ArchivedMessage, error) {
	var m ArchivedMessage
	err := db.view(func(tx *bbolt.Tx) error {
		rb := roomBucket(tx, room)
		var meta roomMeta
		if rb != nil {
			var err error
			if meta, err = rb.meta(); err != nil {
				return err
			}
		}
		k, err := rb.find(room, meta, by, id)
		if err != nil {
			return err
		}
		m, err = decodeArchived(meta.epoch, k, rb.order.Get(k))
		return err
	})
	return m, err
}

// find returns the o key of a message by stanza-id or remote ID; r may be
// nil (no archive).
func (r *roomBkts) find(room RoomKey, meta roomMeta, by, id string) ([]byte, error) {
	var seq uint64
	if r != nil && by == "stanza-id" {
		if epoch, s, ok := parseStanzaID(id); ok && epoch == meta.epoch {
			seq = s
		}
	} else if r != nil {
		if v := r.remote.Get([]byte(id)); len(v) == 8 {
			seq = binary.BigEndian.Uint64(v)
		}
	}
	if seq != 0 {
		if tk := r.byID.Get(u64(seq)); len(tk) == timeKeyLen {
			k := binary.BigEndian.AppendUint64(bytes.Clone(tk), seq)
			if r.order.Get(k) != nil {
				return k, nil
			}
		}
	}
	if by == "stanza-id" {
		return nil, fmt.Errorf("%w %q in %s", ErrUnknownStanzaID, id, room)
	}
	return nil, fmt.Errorf("%w: message %s in the archive of %s", ErrNotFound, id, room)
}
