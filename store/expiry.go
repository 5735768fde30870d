package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"go.etcd.io/bbolt"
)

// Disappearing messages: the deadlines at which the bridge retracts a
// message the network deletes by itself (a chat's timer).
//
//	expiry/<transport>/<deadline, 8 bytes big-endian Unix µs><comp(login, chat, remote ID)>
//	  -> sender ID, from-me, group, XMPP ID
//	data/<transport>/<login>/expread/<comp(chat)><message time, 8 bytes><remote ID>
//	  -> seconds, sender ID, from-me, group, XMPP ID
//	data/<transport>/<login>/expmoved/<comp(chat, remote ID)>
//	  -> the deadline the network moved it to (8 bytes)
//
// The first is in deadline order, so the next one is the first key. The
// second holds the timers that start when the user reads the message
// (Signal's), per chat in message order, until a read moves them to the
// first; it lives in the login's data and goes with it. The third marks
// the messages whose deadline the network moved (MoveExpiries), while
// the moved one is recorded: a deadline put again for one of them (a
// duplicate's, which carries the message's own) is not recorded, or it
// fired at the deadline the network had moved away from.
//
// These are plain writes, straight to bbolt: a handful per disappearing
// message, never on the path of the others.

var (
	bExpiry   = []byte("expiry")
	bExpRead  = []byte("expread")
	bExpMoved = []byte("expmoved")
)

// Expiry is a message's disappearing deadline.
type Expiry struct {
	LoginID, ChatID, RemoteID string
	// At is when the network deletes it.
	At time.Time
	// SenderID is who sent it (the retraction comes from them); FromMe
	// says the user did; Group that the chat is a group.
	SenderID string
	FromMe   bool
	Group    bool
	// XMPPID is the ID the message was delivered with: the retraction
	// names it by it should its map entry be pruned first (a deadline
	// past the message map's retention).
	XMPPID string
	// Moved is when the network changed the deadline to this one
	// (MoveExpiries); zero for the message's own.
	Moved time.Time
	// Files and Text are the message's (MessageRef's): a retraction
	// whose map entry is put back from the deadline reaches its files.
	Files int
	Text  bool
}

// ReadExpiry is a disappearing timer that starts when the user reads the
// message: the Expiry it becomes, its At set by the read.
type ReadExpiry struct {
	Expiry
	// Time is the message's: a read up to a later message covers it.
	Time  time.Time
	After time.Duration
}

// Check reports whether the store takes e (an error wrapping ErrInvalid
// if not).
func (e Expiry) Check() error {
	return errors.Join(checkPart("login ID", e.LoginID, false), checkPart("chat ID", e.ChatID, false),
		checkPart("remote ID", e.RemoteID, false), checkPart("sender ID", e.SenderID, true),
		checkPart("XMPP ID", e.XMPPID, true))
}

// Check reports whether the store takes r (an error wrapping ErrInvalid
// if not).
func (r ReadExpiry) Check() error {
	if r.After <= 0 {
		return fmt.Errorf("%w: a read timer of %s", ErrInvalid, r.After)
	}
	return r.Expiry.Check()
}

func (e Expiry) key() []byte {
	return append(u64(uint64(max(e.At.UnixMicro(), 0))), comp(e.LoginID, e.ChatID, e.RemoteID)...)
}

// encodeWho appends what a deadline keeps of its message.
func encodeWho(v *enc, e Expiry) {
	v.str(e.SenderID)
	v.bool(e.FromMe)
	v.bool(e.Group)
	v.str(e.XMPPID)
	if !e.Moved.IsZero() || e.Files > 0 {
		v.uvarint(uint64(max(e.Moved.UnixMicro(), 0))) // 0: never moved
	}
	if e.Files > 0 {
		text := uint64(0)
		if e.Text {
			text = 1
		}
		v.uvarint(uint64(e.Files)<<1 | text)
	}
}

// decodeWho reads what encodeWho wrote into e; a record written before
// the XMPP ID ends without it, one before the files without them.
func decodeWho(d *dec, e *Expiry) {
	e.SenderID, e.FromMe, e.Group = d.str(), d.bool(), d.bool()
	if d.err == nil && len(d.b) > 0 {
		e.XMPPID = d.str()
	}
	if d.err == nil && len(d.b) > 0 {
		if m := d.uvarint(); m > 0 {
			e.Moved = time.UnixMicro(int64(min(m, 1<<62)))
		}
	}
	if d.err == nil && len(d.b) > 0 {
		v := d.uvarint()
		e.Files, e.Text = int(min(v>>1, 1<<20)), v&1 == 1
	}
}

// put writes e into b, the transport's deadlines.
func (e Expiry) put(b *bbolt.Bucket) error {
	v := newEnc(len(e.SenderID) + len(e.XMPPID) + 8)
	encodeWho(v, e)
	return b.Put(e.key(), v.b)
}

// kept reports whether b, the transport's deadlines, has e's message
// kept for good (MoveExpiries to KeptForever).
func (e Expiry) kept(b *bbolt.Bucket) bool {
	k := e
	k.At = KeptForever
	return !e.At.Equal(KeptForever) && b.Get(k.key()) != nil
}

// movedAway reports whether the network moved the deadline of e's
// message (expmoved) to another than e's: a put of e then does not
// undo the move.
func movedAway(tx *bbolt.Tx, transport string, e Expiry) bool {
	mb := sub(loginBucket(tx, transport, e.LoginID), bExpMoved)
	if mb == nil {
		return false
	}
	v := mb.Get(comp(e.ChatID, e.RemoteID))
	return len(v) == 8 && binary.BigEndian.Uint64(v) != uint64(max(e.At.UnixMicro(), 0))
}

// markMoved records that the network moved e's message's deadline to
// e.At (expmoved).
func markMoved(tx *bbolt.Tx, transport string, e Expiry) error {
	lb, err := loginBucketRW(tx, transport, e.LoginID)
	if err != nil {
		return err
	}
	mb, err := lb.CreateBucketIfNotExists(bExpMoved)
	if err != nil {
		return err
	}
	return mb.Put(comp(e.ChatID, e.RemoteID), u64(uint64(max(e.At.UnixMicro(), 0))))
}

// unmarkMoved forgets the mark of e's message once its moved deadline,
// e, is gone; a mark of another deadline stays.
func unmarkMoved(tx *bbolt.Tx, transport string, e Expiry) error {
	mb := sub(loginBucket(tx, transport, e.LoginID), bExpMoved)
	if mb == nil {
		return nil
	}
	k := comp(e.ChatID, e.RemoteID)
	v := mb.Get(k)
	if v == nil || len(v) == 8 && binary.BigEndian.Uint64(v) != uint64(max(e.At.UnixMicro(), 0)) {
		return nil
	}
	return mb.Delete(k)
}

// PutExpiries records deadlines; putting one again is harmless, and
// one of a message kept for good, or whose deadline the network moved
// to another, is not put.
func (db *DB) PutExpiries(ctx context.Context, transport string, es []Expiry) error {
	return db.PutTimers(ctx, transport, es, nil)
}

// PutReadExpiries records timers that start when the user reads the
// message (StartReadExpiries).
func (db *DB) PutReadExpiries(ctx context.Context, transport string, rs []ReadExpiry) error {
	return db.PutTimers(ctx, transport, nil, rs)
}

// PutTimers records deadlines and read-started timers in one write.
func (db *DB) PutTimers(ctx context.Context, transport string, es []Expiry, rs []ReadExpiry) error {
	if err := checkPart("transport", transport, false); err != nil {
		return err
	}
	if len(es) == 0 && len(rs) == 0 {
		return nil
	}
	for _, e := range es {
		if err := e.Check(); err != nil {
			return err
		}
	}
	for _, r := range rs {
		if err := r.Check(); err != nil {
			return err
		}
	}
	// The writer's own: on ctx's end we return while it may still read.
	es, rs = slices.Clone(es), slices.Clone(rs)
	return db.submit(ctx, func(tx *bbolt.Tx) error {
		if len(es) > 0 {
			b, err := createPath(tx, bExpiry, []byte(transport))
			if err != nil {
				return fmt.Errorf("store: put expiries: %w", err)
			}
			for _, e := range es {
				if e.kept(b) || movedAway(tx, transport, e) {
					// A message the network kept, or gave another
					// deadline: its own put again (a duplicate's)
					// must not undo that.
					continue
				}
				if err := e.put(b); err != nil {
					return fmt.Errorf("store: put expiries: %w", err)
				}
			}
		}
		for _, r := range rs {
			if movedAway(tx, transport, r.Expiry) {
				continue // started and moved: a duplicate's, as above
			}
			lb, err := loginBucketRW(tx, transport, r.LoginID)
			if err != nil {
				return fmt.Errorf("store: put read expiries: %w", err)
			}
			b, err := lb.CreateBucketIfNotExists(bExpRead)
			if err != nil {
				return fmt.Errorf("store: put read expiries: %w", err)
			}
			v := newEnc(len(r.SenderID) + len(r.XMPPID) + 16)
			v.uvarint(uint64(r.After / time.Second))
			encodeWho(v, r.Expiry)
			if err := b.Put(readKey(r.ChatID, r.Time, r.RemoteID), v.b); err != nil {
				return fmt.Errorf("store: put read expiries: %w", err)
			}
		}
		return nil
	})
}

// DueExpiries lists up to limit deadlines at or before now, earliest
// first, and the next deadline after them (zero: none).
func (db *DB) DueExpiries(transport string, now time.Time, limit int) (due []Expiry, next time.Time, err error) {
	if err := checkPart("transport", transport, false); err != nil {
		return nil, time.Time{}, err
	}
	err = db.view(func(tx *bbolt.Tx) error {
		b := sub(tx.Bucket(bExpiry), []byte(transport))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			e, err := decodeExpiry(k, v)
			if err != nil {
				// One bad record must not hold every deadline after it.
				slog.Warn("store: a damaged deadline of a disappearing message skipped", "transport", transport, "err", err)
				continue
			}
			if e.At.After(now) || len(due) >= limit {
				next = e.At
				return nil
			}
			due = append(due, e)
		}
		return nil
	})
	return due, next, err
}

// DeadlineOf is the recorded deadline of the message of remoteID (ok
// false: none, or a damaged record). It scans the transport's deadlines:
// for the few messages a start finds run out in its outbox, which a keep
// may have kept before the stop.
func (db *DB) DeadlineOf(transport, loginID, chatID, remoteID string) (at time.Time, ok bool, err error) {
	if err := errors.Join(checkPart("transport", transport, false), checkPart("login ID", loginID, false),
		checkPart("chat ID", chatID, false), checkPart("remote message ID", remoteID, false)); err != nil {
		return time.Time{}, false, err
	}
	want := comp(loginID, chatID, remoteID)
	err = db.view(func(tx *bbolt.Tx) error {
		b := sub(tx.Bucket(bExpiry), []byte(transport))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if len(k) < 8 || !bytes.Equal(k[8:], want) {
				continue
			}
			if e, derr := decodeExpiry(k, v); derr == nil {
				at, ok = e.At, true
			}
			return nil
		}
		return nil
	})
	return at, ok, err
}

func decodeExpiry(k, v []byte) (Expiry, error) {
	if len(k) < 8 {
		return Expiry{}, fmt.Errorf("%w: expiry key of %d bytes", ErrCorrupt, len(k))
	}
	parts, err := splitComp(k[8:])
	if err != nil || len(parts) != 3 {
		return Expiry{}, fmt.Errorf("%w: expiry key", ErrCorrupt)
	}
	e := Expiry{LoginID: parts[0], ChatID: parts[1], RemoteID: parts[2], At: time.UnixMicro(int64(binary.BigEndian.Uint64(k)))}
	if !bytes.Equal(e.key(), k) {
		// DeleteExpiries could not forget it (it deletes e.key()): due
		// again at once, for ever.
		return Expiry{}, fmt.Errorf("%w: expiry key not as written", ErrCorrupt)
	}
	d := newDec(v)
	decodeWho(d, &e)
	if d.err != nil {
		return Expiry{}, fmt.Errorf("store: expiry: %w", d.err)
	}
	return e, nil
}

// DeleteExpiries forgets deadlines (those the bridge acted on).
func (db *DB) DeleteExpiries(ctx context.Context, transport string, es []Expiry) error {
	if err := checkPart("transport", transport, false); err != nil {
		return err
	}
	es = slices.Clone(es) // the writer's own, as PutTimers's
	return db.submit(ctx, func(tx *bbolt.Tx) error {
		b := sub(tx.Bucket(bExpiry), []byte(transport))
		if b == nil {
			return nil
		}
		for _, e := range es {
			if err := b.Delete(e.key()); err != nil {
				return fmt.Errorf("store: delete expiries: %w", err)
			}
			if err := unmarkMoved(tx, transport, e); err != nil {
				return fmt.Errorf("store: delete expiries: %w", err)
			}
		}
		return nil
	})
}

// KeptForever is the deadline of a message the network keeps after all
// (WhatsApp's keep in chat): past any other, so never due, and kept so
// that an undo can move it back.
var KeptForever = time.UnixMicro(1 << 62)

// pruneKept forgets the messages kept for good whose message map entry
// is gone (PruneMessages): an undo could not count their deadline from
// their time any more, and nothing else ever takes them out. It returns
// how many it forgot.
func pruneKept(tx *bbolt.Tx) (int, error) {
	root := tx.Bucket(bExpiry)
	if root == nil {
		return 0, nil
	}
	var names [][]byte
	if err := root.ForEachBucket(func(k []byte) error { names = append(names, bytes.Clone(k)); return nil }); err != nil {
		return 0, fmt.Errorf("store: prune kept: %w", err)
	}
	n := 0
	prefix := u64(uint64(KeptForever.UnixMicro()))
	for _, name := range names {
		b := root.Bucket(name)
		var gone []Expiry
		c := b.Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			e, err := decodeExpiry(k, v)
			if err != nil {
				continue // DueExpiries never sees it; check-store counts it
			}
			if _, err := lookupRemote(tx, string(name), e.LoginID, e.ChatID, e.RemoteID); errors.Is(err, ErrNotFound) {
				gone = append(gone, e)
			}
		}
		for _, e := range gone {
			if err := b.Delete(e.key()); err != nil {
				return n, fmt.Errorf("store: prune kept: %w", err)
			}
			if err := unmarkMoved(tx, string(name), e); err != nil {
				return n, fmt.Errorf("store: prune kept: %w", err)
			}
			n++
		}
	}
	return n, nil
}

// ExpiryMove is a new deadline for a message whose deadline is recorded
// (an ExpiryEvent of the network's).
type ExpiryMove struct {
	LoginID, ChatID, RemoteID string
	At                        time.Time // KeptForever: never
	// Since is when the network changed it: a move older than the one
	// that set the recorded deadline (a keep delivered again after its
	// undo) is not applied.
	Since time.Time
}

// MoveExpiries gives the messages' recorded deadlines new ones, keeping
// what each recorded of its message; a message with none recorded (none
// ever, or retracted already) is left alone. It looks through the
// transport's deadlines: moves are rare.
func (db *DB) MoveExpiries(ctx context.Context, transport string, ms []ExpiryMove) error {
	if err := checkPart("transport", transport, false); err != nil {
		return err
	}
	if len(ms) == 0 {
		return nil
	}
	to := make(map[string]ExpiryMove, len(ms))
	for _, m := range ms {
		to[string(comp(m.LoginID, m.ChatID, m.RemoteID))] = m // the last one holds
	}
	return db.submit(ctx, func(tx *bbolt.Tx) error {
		b := sub(tx.Bucket(bExpiry), []byte(transport))
		if b == nil {
			return nil
		}
		var moved []Expiry
		var old [][]byte
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if len(k) < 8 {
				continue
			}
			m, ok := to[string(k[8:])]
			if !ok {
				continue
			}
			e, err := decodeExpiry(k, v)
			if err != nil || m.Since.Before(e.Moved) {
				continue // damaged (DueExpiries logs it), or moved since
			}
			old = append(old, bytes.Clone(k))
			e.At, e.Moved = m.At, m.Since
			moved = append(moved, e)
		}
		for _, k := range old {
			if err := b.Delete(k); err != nil {
				return fmt.Errorf("store: move expiries: %w", err)
			}
		}
		for _, e := range moved {
			if err := e.put(b); err != nil {
				return fmt.Errorf("store: move expiries: %w", err)
			}
			if err := markMoved(tx, transport, e); err != nil {
				return fmt.Errorf("store: move expiries: %w", err)
			}
		}
		return nil
	})
}

// moveChatExpiries moves the login's deadlines and read-started timers
// of chat from to chat to (MoveContact's, in its transaction; lb is the
// login's bucket), with their moves' stamps; a sender from becomes to.
// Where chat to has deadlines of its own for a message (it came under
// both IDs), one side's stay: the one the network moved last (Moved),
// else a kept one (as PutExpiries keeps a keep), else the new chat's, as
// its map entry does (moveRefs). The old chat's then name the message by
// the new chat's XMPP ID, the one its map entry keeps. A read timer is
// dropped where chat to has one for the same message, or a deadline. It
// returns how many of each it moved. It looks through the transport's
// deadlines, as MoveExpiries does: moves are rare.
func moveChatExpiries(tx *bbolt.Tx, lb *bbolt.Bucket, transport, loginID, from, to string) (deadlines, timers int, err error) {
	type rec struct {
		key []byte
		e   Expiry
	}
	var order []string            // the old chat's messages, in key order
	olds := map[string][]rec{}    // by remote ID
	news := map[string][]Expiry{} // by remote ID
	b := sub(tx.Bucket(bExpiry), []byte(transport))
	if b != nil {
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if len(k) < 8 {
				continue
			}
			parts, err := splitComp(k[8:])
			if err != nil || len(parts) != 3 || parts[0] != loginID || parts[1] != from && parts[1] != to {
				continue
			}
			e, err := decodeExpiry(k, v)
			if err != nil {
				continue // damaged: DueExpiries logs it, check-store counts it
			}
			if e.ChatID == to {
				news[e.RemoteID] = append(news[e.RemoteID], e)
				continue
			}
			if olds[e.RemoteID] == nil {
				order = append(order, e.RemoteID)
			}
			olds[e.RemoteID] = append(olds[e.RemoteID], rec{bytes.Clone(k), e})
		}
	}
	// rank is how a side's records stand against the other's.
	rank := func(es []Expiry) (moved time.Time, kept bool) {
		for _, e := range es {
			moved = maxTime(moved, e.Moved)
			kept = kept || e.At.Equal(KeptForever)
		}
		return moved, kept
	}
	for _, id := range order {
		old := olds[id]
		oes := make([]Expiry, len(old))
		for i, r := range old {
			oes[i] = r.e
			if err := b.Delete(r.key); err != nil {
				return deadlines, 0, err
			}
		}
		nes := news[id]
		xmppID := ""
		if len(nes) > 0 {
			om, ok := rank(oes)
			nm, nk := rank(nes)
			if !om.After(nm) && (om.Before(nm) || !ok || nk) {
				continue // the new chat's stay, with their mark
			}
			for _, e := range nes {
				if err := b.Delete(e.key()); err != nil {
					return deadlines, 0, err
				}
				if xmppID == "" {
					xmppID = e.XMPPID
				}
			}
		}
		for _, e := range oes {
			e.ChatID = to
			if e.SenderID == from {
				e.SenderID = to
			}
			if xmppID != "" {
				e.XMPPID = xmppID
			}
			if err := e.put(b); err != nil {
				return deadlines, 0, err
			}
			deadlines++
		}
		news[id] = oes
		// The old chat's mark goes with them (below, the old's go).
		if err := moveMark(lb, from, to, id); err != nil {
			return deadlines, 0, err
		}
	}
	if mb := lb.Bucket(bExpMoved); mb != nil {
		keys, _ := chatEntries(mb, from)
		for _, k := range keys {
			if err := mb.Delete(k); err != nil {
				return deadlines, 0, err
			}
		}
	}

	rb := lb.Bucket(bExpRead)
	keys, vals := chatEntries(rb, from)
	if len(keys) == 0 {
		return deadlines, 0, nil
	}
	oldPrefix, newPrefix := comp(from), comp(to)
	newRead := map[string]bool{}
	c := rb.Cursor()
	for k, _ := c.Seek(newPrefix); k != nil && bytes.HasPrefix(k, newPrefix); k, _ = c.Next() {
		if len(k) >= len(newPrefix)+8 {
			newRead[string(k[len(newPrefix)+8:])] = true
		}
	}
	for i, k := range keys {
		if err := rb.Delete(k); err != nil {
			return deadlines, timers, err
		}
		rest := k[len(oldPrefix):] // message time, remote ID
		if len(rest) >= 8 {
			if id := string(rest[8:]); newRead[id] || len(news[id]) > 0 {
				continue
			}
		}
		nk := append(bytes.Clone(newPrefix), rest...)
		if rb.Get(nk) != nil {
			continue
		}
		val := vals[i]
		d := newDec(val)
		secs := d.uvarint()
		var e Expiry
		decodeWho(d, &e)
		if d.err == nil && e.SenderID == from {
			e.SenderID = to
			v := newEnc(len(val) + len(to))
			v.uvarint(secs)
			encodeWho(v, e)
			val = v.b
		} // a damaged one goes as it is: StartReadExpiries drops it
		if err := rb.Put(nk, val); err != nil {
			return deadlines, timers, err
		}
		timers++
	}
	return deadlines, timers, nil
}

// moveMark makes the mark (expmoved) of message id in chat to what chat
// from's is: its deadlines take the place of chat to's.
func moveMark(lb *bbolt.Bucket, from, to, id string) error {
	mb := lb.Bucket(bExpMoved)
	if mb == nil {
		return nil
	}
	v := mb.Get(comp(from, id))
	if v == nil {
		return mb.Delete(comp(to, id))
	}
	return mb.Put(comp(to, id), bytes.Clone(v))
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func readKey(chatID string, at time.Time, remoteID string) []byte {
	k := comp(chatID)
	k = append(k, u64(uint64(max(at.UnixMicro(), 0)))...)
	return append(k, remoteID...)
}

// StartReadExpiries starts the read-started timers of the chat's
// messages at or before upTo (the user read the chat up to a message of
// that time): each becomes a deadline, now plus its timer, and the
// earliest is returned (zero: none started).
func (db *DB) StartReadExpiries(ctx context.Context, transport, loginID, chatID string, upTo, now time.Time) (time.Time, error) {
	if err := errors.Join(checkPart("transport", transport, false), checkPart("login ID", loginID, false),
		checkPart("chat ID", chatID, false)); err != nil {
		return time.Time{}, err
	}
	prefix := comp(chatID)
	limit := append(bytes.Clone(prefix), u64(uint64(max(upTo.UnixMicro(), 0)))...)
	// Most reads start nothing: a look first, so that they cost no write.
	var any bool
	err := db.view(func(tx *bbolt.Tx) error {
		if rb := sub(loginBucket(tx, transport, loginID), bExpRead); rb != nil {
			k, _ := rb.Cursor().Seek(prefix)
			// A damaged one (too short) counts: the write drops it.
			any = k != nil && bytes.HasPrefix(k, prefix) && (len(k) < len(limit) || bytes.Compare(k[:len(limit)], limit) <= 0)
		}
		return nil
	})
	if err != nil || !any {
		return time.Time{}, err
	}
	var first time.Time
	err = db.submit(ctx, func(tx *bbolt.Tx) error {
		first = time.Time{}
		rb := sub(loginBucket(tx, transport, loginID), bExpRead)
		if rb == nil {
			return nil
		}
		var doomed, damaged [][]byte
		var started []Expiry
		c := rb.Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			if len(k) < len(limit) {
				// One bad record must not hold the chat's others.
				slog.Warn("store: a damaged read-started timer of a disappearing message dropped", "transport", transport, "login", loginID, "chat", chatID)
				damaged = append(damaged, bytes.Clone(k))
				continue
			}
			if bytes.Compare(k[:len(limit)], limit) > 0 {
				break
			}
			d := newDec(v)
			secs := d.uvarint()
			e := Expiry{LoginID: loginID, ChatID: chatID, RemoteID: string(k[len(prefix)+8:])}
			decodeWho(d, &e)
			if d.err != nil {
				slog.Warn("store: a damaged read-started timer of a disappearing message dropped", "transport", transport, "login", loginID, "chat", chatID, "err", d.err)
				damaged = append(damaged, bytes.Clone(k))
				continue
			}
			e.At = now.Add(time.Duration(min(secs, 1<<32)) * time.Second)
			doomed = append(doomed, bytes.Clone(k))
			started = append(started, e)
		}
		for _, k := range damaged {
			if err := rb.Delete(k); err != nil {
				return fmt.Errorf("store: start read expiries: %w", err)
			}
		}
		if len(started) == 0 {
			return nil
		}
		b, err := createPath(tx, bExpiry, []byte(transport))
		if err != nil {
			return fmt.Errorf("store: start read expiries: %w", err)
		}
		for i, e := range started {
			if err := e.put(b); err != nil {
				return fmt.Errorf("store: start read expiries: %w", err)
			}
			if err := rb.Delete(doomed[i]); err != nil {
				return fmt.Errorf("store: start read expiries: %w", err)
			}
			if first.IsZero() || e.At.Before(first) {
				first = e.At
			}
		}
		return nil
	})
	if err != nil {
		// first is not read: on ctx's end the writer may still set it.
		return time.Time{}, err
	}
	return first, nil
}

// dropLoginExpiries forgets a login's deadlines (its read-started timers
// go with its data bucket). Writer only.
func dropLoginExpiries(tx *bbolt.Tx, transport, loginID string) error {
	b := sub(tx.Bucket(bExpiry), []byte(transport))
	if b == nil {
		return nil
	}
	var doomed [][]byte
	err := b.ForEach(func(k, _ []byte) error {
		if len(k) < 8 {
			return nil
		}
		if parts, err := splitComp(k[8:]); err == nil && len(parts) == 3 && parts[0] == loginID {
			doomed = append(doomed, bytes.Clone(k))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: drop expiries: %w", err)
	}
	for _, k := range doomed {
		if err := b.Delete(k); err != nil {
			return fmt.Errorf("store: drop expiries: %w", err)
		}
	}
	return nil
}

// createPath returns the bucket at the path of names, creating each.
func createPath(tx *bbolt.Tx, names ...[]byte) (*bbolt.Bucket, error) {
	b, err := tx.CreateBucketIfNotExists(names[0])
	for _, n := range names[1:] {
		if err != nil {
			return nil, err
		}
		b, err = b.CreateBucketIfNotExists(n)
	}
	return b, err
}
