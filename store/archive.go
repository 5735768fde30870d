package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"go.etcd.io/bbolt"
)

// The room archive (XEP-0313 on a MUC room served by the gateway): per
// (transport, user bare JID, room), the messages of the room in the
// order they reached the gateway, each with a stanza-id (XEP-0359) the
// archive is queried by, and with the network's time, which is shown.
// Arrival order, as a MUC service's archive has it: a message that
// comes late (a member's phone was offline, a plugin replays after a
// restart) is placed after what a client has already seen, so its
// catch-up (MAM after the last stanza-id, a join's history since) gets
// it. History scrolled back from the network, and history older than
// the archive, is placed at its own time, in the past, where a client
// scrolling back finds it (ArchivedMessage.Arrived zero, History).
//
// Layout, beside data/ so that it is per user and not per login ID (two
// users sharing a login ID still have their own rooms):
//
//	archive/<transport>/<user JID>/<room ID>/
//	    meta                        epoch, next seq, message count
//	    o/<arrival key><seq>        ArchivedMessage (arrival: MAM order)
//	    i/<seq>                     <arrival key> (stanza-id -> o key)
//	    r/<remote ID>               seq (edits, retractions, duplicates)
//	    w/{sender JID}<arrival key><seq>  empty (the `with` filter)
//
// seq is a per-room counter, never reused while the room exists; the
// stanza-id is "<epoch>-<seq>", where epoch is random per room creation,
// so a room deleted and created again (the user removed and back) does
// not hand out the ids a client may still hold.
//
// Appends are hot writes (recArchive, logged and checkpointed like the
// message map; one call's messages are one log frame: all or none after a
// crash). They are lazy, as the message map's are: logged without an
// fsync of their own, durable with the next strict write or checkpoint.
// A groupchat round trip archives three messages (the reflection, a
// member's answer, a reaction) and each waited for its own fsync before
// its stanza went out, about four per message where a one-to-one message
// waits for none (docs/performance.md, "Rooms"). A network's event is
// not lost to a power cut either way: its commit, which acknowledges it
// to the plugin, is strict and follows the append in the log, or else
// it stays in the outbox, whose removal is logged after the append. What
// a power cut can take is the last appends' archive records; their
// stanza-ids are not handed out again (see arState).
//
// Readers of a room with appends still only in the log checkpoint
// first (roomLogged); every other room is read from bbolt directly.
// Edits, deletions and pruning are bbolt writes that wait for a checkpoint
// only when their room has logged appends (needCheckpoint).

// MaxArchivePayload is the largest archived stanza accepted, in bytes:
// Prosody's default c2s stanza size limit, so anything a client can send
// or receive fits.
const MaxArchivePayload = 256 << 10

// DefaultArchivePage and MaxArchivePage are the page size of a query
// without Max and the cap on Max.
const (
	DefaultArchivePage = 50
	MaxArchivePage     = 250
)

var (
	// ErrUnknownStanzaID is returned for a stanza-id (a query's After or
	// Before, a lookup) that is not in the room's archive: never was, was
	// pruned, or is malformed. The bridge answers it with item-not-found.
	// It wraps ErrNotFound.
	ErrUnknownStanzaID = fmt.Errorf("%w: unknown stanza-id", ErrNotFound)
	// ErrPayloadTooLarge is returned by AppendArchive and ReplaceArchived
	// for a payload over MaxArchivePayload. It wraps ErrInvalid.
	ErrPayloadTooLarge = fmt.Errorf("%w: archived stanza too large", ErrInvalid)
)

var (
	bArchive  = []byte("archive")
	kArMeta   = []byte("meta")
	bArOrder  = []byte("o")
	bArByID   = []byte("i")
	bArRemote = []byte("r")
	bArWith   = []byte("w")
)

// RoomKey names one room archive.
type RoomKey struct {
	Transport string
	// UserJID is the user's bare JID, as in Login.
	UserJID string
	// RoomID is the network's chat ID of the group.
	RoomID string
}

func (k RoomKey) check() error {
	if err := checkPart("transport", k.Transport, false); err != nil {
		return err
	}
	if err := checkPart("user JID", k.UserJID, false); err != nil {
		return err
	}
	return checkPart("room ID", k.RoomID, false)
}

func (k RoomKey) hkey() string { return hkey(k.Transport, k.UserJID, k.RoomID) }

func (k RoomKey) String() string {
	return fmt.Sprintf("room %s of %s on %s", k.RoomID, k.UserJID, k.Transport)
}

// ArchivedMessage is one message of a room archive.
type ArchivedMessage struct {
	// StanzaID is set by the store (XEP-0359 stanza-id, by the room).
	StanzaID string
	// Time is the network's timestamp, the one shown (a copy's delay). A
	// zero Time is stored as the time of the append.
	Time time.Time
	// Arrived is when the message reached the gateway: the archive is
	// ordered by it, and a query's Start and End bound it. Zero: Time (a
	// message of the network's history, placed at its own time), or the
	// time of the append when Time is after it.
	Arrived time.Time
	// History marks a message of the network's history given an arrival:
	// one older than the room's archive (its Time before the first
	// message's place), or into an empty one, goes at its Time, where a
	// client scrolling back finds it, as with Arrived zero; one within
	// the archive's span (a gap while the gateway was away), or stamped
	// after its arrival (a sender's clock fast), goes as arrived, where
	// a client catching up finds it.
	History bool
	// Nick is the sender's occupant nick; SenderJID their real or puppet
	// JID, which the `with` filter matches.
	Nick, SenderJID string
	// RemoteID is the network's message ID ("" for none): edits,
	// retractions and duplicate appends find the message by it.
	RemoteID string
	// Payload is the stanza to replay, as the bridge serialized it.
	Payload []byte
}

// ArchiveAppend is what AppendArchive did with one message.
type ArchiveAppend struct {
	StanzaID string
	// Duplicate: the room already had a message of this RemoteID, whose
	// stanza-id this is; nothing was stored.
	Duplicate bool
}

// archRec is the archive part of a hotRec.
type archRec struct {
	epoch, seq uint64
	msg        ArchivedMessage
}

// arState is the writer's counter of a room (writer-only, see DB.arSeq).
type arState struct {
	epoch, next uint64
	// last is the latest arrival the room's archive holds, history's
	// included: a live append never goes before it (stageArchived).
	last time.Time
	// first is the earliest place the room's archive held when its
	// state was read, or its first arrival: history older goes before it
	// (ArchivedMessage.History), a batch of it whole, oldest first.
	// Pruning may take that place since: history is then placed as
	// arrived, and still found by a client catching up.
	first time.Time
}

// stanzaID formats a room's stanza-id.
func stanzaID(epoch, seq uint64) string {
	return strconv.FormatUint(epoch, 16) + "-" + strconv.FormatUint(seq, 10)
}

// parseStanzaID reads a stanza-id stanzaID made, in canonical form only.
func parseStanzaID(id string) (epoch, seq uint64, ok bool) {
	e, s, found := strings.Cut(id, "-")
	if !found || e == "" || s == "" || len(id) > 40 {
		return 0, 0, false
	}
	epoch, err := strconv.ParseUint(e, 16, 64)
	if err != nil || strconv.FormatUint(epoch, 16) != e {
		return 0, 0, false
	}
	seq, err = strconv.ParseUint(s, 10, 64)
	if err != nil || strconv.FormatUint(seq, 10) != s || seq == 0 {
		return 0, 0, false
	}
	return epoch, seq, true
}

func checkArchived(m ArchivedMessage) error {
	for _, p := range [...]struct{ what, v string }{
		{"occupant nick", m.Nick}, {"sender JID", m.SenderJID}, {"remote message ID", m.RemoteID},
	} {
		if err := checkPart(p.what, p.v, true); err != nil {
			return err
		}
	}
	return checkPayload(m.Payload)
}

func checkPayload(p []byte) error {
	if len(p) == 0 {
		return fmt.Errorf("%w: empty archived stanza", ErrInvalid)
	}
	if len(p) > MaxArchivePayload {
		return fmt.Errorf("%w: %d bytes, at most %d", ErrPayloadTooLarge, len(p), MaxArchivePayload)
	}
	return nil
}

// oKey is an o key: the arrival's time key, then seq, so arrival order
// with appends of one instant in append order.
func oKey(t time.Time, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(timeKey(t), seq)
}

const oKeyLen = timeKeyLen + 8

// encodeArchived encodes the o value (the stanza-id is in the key).
func encodeArchived(m *ArchivedMessage) []byte {
	e := newEnc(len(m.Nick) + len(m.SenderJID) + len(m.RemoteID) + len(m.Payload) + 32)
	e.time(m.Time)
	e.str(m.Nick)
	e.str(m.SenderJID)
	e.str(m.RemoteID)
	e.b = append(e.b, m.Payload...) // the payload runs to the end
	return e.b
}

func decodeArchived(epoch uint64, k, v []byte) (ArchivedMessage, error) {
	if len(k) != oKeyLen {
		return ArchivedMessage{}, fmt.Errorf("%w: archive key of %d bytes", ErrCorrupt, len(k))
	}
	d := newDec(v)
	m := ArchivedMessage{StanzaID: stanzaID(epoch, binary.BigEndian.Uint64(k[timeKeyLen:])), Arrived: keyTime(k)}
	m.Time = d.time()
	m.Nick = d.str()
	m.SenderJID = d.str()
	m.RemoteID = d.str()
	m.Payload = d.rest()
	if d.err != nil {
		return ArchivedMessage{}, fmt.Errorf("store: archived message %s: %w", m.StanzaID, d.err)
	}
	return m, nil
}

// shownTime is the shown Time of the o value v, read alone (a time
// bound's match, learnSpread).
func shownTime(v []byte) (time.Time, error) {
	d := newDec(v)
	t := d.time()
	if d.err != nil {
		return time.Time{}, fmt.Errorf("store: archived message: %w", d.err)
	}
	return t, nil
}

// roomMeta is a room's meta record.
type roomMeta struct {
	epoch, next, count uint64
	// spread: late and early are known (a meta written before they were
	// kept has neither: a time-bounded query then walks the whole room).
	spread bool
	// late and early bound, in nanoseconds, how far any message's
	// arrival (its place) is after, or before, its shown Time: a query
	// bounded by shown time walks only the places those allow
	// (ArchiveQuery.Start). They only grow; pruning leaves them.
	late, early uint64
}

func (m roomMeta) encode() []byte {
	e := newEnc(40)
	e.uvarint(m.epoch)
	e.uvarint(m.next)
	e.uvarint(m.count)
	if m.spread {
		e.uvarint(m.late)
		e.uvarint(m.early)
	}
	return e.b
}

func decodeRoomMeta(v []byte) (roomMeta, error) {
	d := newDec(v)
	m := roomMeta{epoch: d.uvarint(), next: d.uvarint(), count: d.uvarint()}
	if d.err == nil && len(d.b) > 0 {
		m.spread, m.late, m.early = true, d.uvarint(), d.uvarint()
	}
	if d.err != nil {
		return roomMeta{}, fmt.Errorf("store: room archive meta: %w", d.err)
	}
	return m, nil
}

// widen makes late and early cover a message placed at arrived, shown
// at shown.
func (m *roomMeta) widen(arrived, shown time.Time) {
	if d := arrived.Sub(shown); d > 0 {
		m.late = max(m.late, uint64(d))
	} else {
		m.early = max(m.early, uint64(-d))
	}
}

// learnSpread computes late and early of a room whose meta predates
// them, from its messages: once per such room, in the write that first
// appends to it since.
func (r *roomBkts) learnSpread(m *roomMeta) error {
	c := r.order.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if len(k) != oKeyLen {
			return fmt.Errorf("%w: archive key of %d bytes", ErrCorrupt, len(k))
		}
		shown, err := shownTime(v)
		if err != nil {
			return err
		}
		m.widen(keyTime(k), shown)
	}
	m.spread = true
	return nil
}

// roomBkts are the buckets of one room archive.
type roomBkts struct {
	room                     *bbolt.Bucket
	order, byID, remote, wth *bbolt.Bucket
}

func (r *roomBkts) meta() (roomMeta, error) {
	v := r.room.Get(kArMeta)
	if v == nil {
		return roomMeta{}, nil
	}
	return decodeRoomMeta(v)
}

// roomBucket returns the room's buckets in a read transaction; nil when
// the room has no archive.
func roomBucket(tx *bbolt.Tx, k RoomKey) *roomBkts {
	a := tx.Bucket(bArchive)
	if a == nil {
		return nil
	}
	rb := sub(sub(sub(a, []byte(k.Transport)), []byte(k.UserJID)), []byte(k.RoomID))
	if rb == nil {
		return nil
	}
	r := &roomBkts{room: rb, order: rb.Bucket(bArOrder), byID: rb.Bucket(bArByID), remote: rb.Bucket(bArRemote), wth: rb.Bucket(bArWith)}
	if r.order == nil || r.byID == nil || r.remote == nil || r.wth == nil {
		return nil
	}
	return r
}

// roomBucketRW returns the room's buckets, creating them.
func roomBucketRW(tx *bbolt.Tx, k RoomKey) (*roomBkts, error) {
	b, err := tx.CreateBucketIfNotExists(bArchive)
	if err != nil {
		return nil, err
	}
	for _, name := range [...]string{k.Transport, k.UserJID, k.RoomID} {
		if b, err = b.CreateBucketIfNotExists([]byte(name)); err != nil {
			return nil, err
		}
	}
	r := &roomBkts{room: b}
	for _, s := range [...]struct {
		name []byte
		dst  **bbolt.Bucket
	}{{bArOrder, &r.order}, {bArByID, &r.byID}, {bArRemote, &r.remote}, {bArWith, &r.wth}} {
		if *s.dst, err = b.CreateBucketIfNotExists(s.name); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// withKey is a w key.
func withKey(jid string, ok []byte) []byte { return append(comp(jid), ok...) }

// put writes one message at seq (the checkpoint of a recArchive).
func (r *roomBkts) put(epoch, seq uint64, m *ArchivedMessage) error {
	meta, err := r.meta()
	if err != nil {
		return err
	}
	if meta.epoch == 0 {
		meta.epoch = epoch
	}
	sk := u64(seq)
	if r.byID.Get(sk) != nil {
		return nil // applied already
	}
	if !meta.spread {
		if err := r.learnSpread(&meta); err != nil {
			return err
		}
	}
	meta.widen(m.Arrived, m.Time)
	ok := oKey(m.Arrived, seq)
	if err := r.order.Put(ok, encodeArchived(m)); err != nil {
		return err
	}
	if err := r.byID.Put(sk, ok[:timeKeyLen]); err != nil {
		return err
	}
	if m.RemoteID != "" {
		if err := r.remote.Put([]byte(m.RemoteID), sk); err != nil {
			return err
		}
	}
	if err := r.wth.Put(withKey(m.SenderJID, ok), []byte{}); err != nil {
		return err
	}
	meta.next = max(meta.next, seq+1)
	meta.count++
	return r.room.Put(kArMeta, meta.encode())
}

// drop deletes the message at o key ok, decoded as m, from every index.
func (r *roomBkts) drop(ok []byte, m *ArchivedMessage) error {
	seq := binary.BigEndian.Uint64(ok[timeKeyLen:])
	if err := r.order.Delete(ok); err != nil {
		return err
	}
	if err := r.byID.Delete(u64(seq)); err != nil {
		return err
	}
	if m.RemoteID != "" {
		if v := r.remote.Get([]byte(m.RemoteID)); len(v) == 8 && binary.BigEndian.Uint64(v) == seq {
			if err := r.remote.Delete([]byte(m.RemoteID)); err != nil {
				return err
			}
		}
	}
	return r.wth.Delete(withKey(m.SenderJID, ok))
}

// lostAppendsGap is how far a room's counter skips after an unclean
// stop: more appends than a room gets between two fsyncs of the log.
const lostAppendsGap = 1 << 20

// arState returns the writer's counter of room k, reading it from bbolt
// (tx) the first time. Writer only. After an unclean stop the counter
// skips lostAppendsGap: lazy appends a power cut took were given
// stanza-ids that clients may hold.
func (db *DB) arState(tx *bbolt.Tx, k RoomKey) (*arState, error) {
	hk := k.hkey()
	if st, ok := db.arSeq[hk]; ok {
		return st, nil
	}
	st := &arState{next: 1}
	if rb := roomBucket(tx, k); rb != nil {
		m, err := rb.meta()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		if m.epoch != 0 {
			st.epoch, st.next = m.epoch, max(m.next, 1)
			if db.unclean {
				st.next += lostAppendsGap
			}
		}
		c := rb.order.Cursor()
		if k, _ := c.Last(); len(k) >= timeKeyLen {
			st.last = keyTime(k)
		}
		if k, _ := c.First(); len(k) >= timeKeyLen {
			st.first = keyTime(k)
		}
	}
	if st.epoch == 0 {
		st.epoch = uint64(rand.Uint32()) | 1
	}
	if db.arSeq == nil {
		db.arSeq = map[string]*arState{}
	}
	db.arSeq[hk] = st
	return st, nil
}

// forgetArState drops the writer's counters of the rooms of a user,
// whose hkey starts with prefix, after their archives were deleted.
// Writer only.
func (db *DB) forgetArState(prefix string) {
	for k := range db.arSeq {
		if strings.HasPrefix(k, prefix) {
			delete(db.arSeq, k)
		}
	}
}

// roomLogged reports whether room k has appends only in the log.
func (db *DB) roomLogged(k RoomKey) bool {
	_, ok := hotGet(db, func(g *hotGen) map[string]struct{} { return g.arRooms }, k.hkey())
	return ok
}

// AppendArchive appends msgs, oldest first, to the room's archive, in one
// write: after a crash all of them are there or none. A message whose
// RemoteID the room has already is a duplicate: its stanza-id is
// returned and nothing of it stored. The result is parallel to msgs.
//
// Bad input (an empty transport, user or room, a NUL byte or over-long
// key part, an empty payload, one over MaxArchivePayload:
// ErrPayloadTooLarge) is refused with an error wrapping ErrInvalid, and
// nothing of the call is stored.
func (db *DB) AppendArchive(ctx context.Context, room RoomKey, msgs []ArchivedMessage) ([]ArchiveAppend, error) {
	prepped, live, err := prepArchived(room, msgs)
	if err != nil {
		return nil, err
	}
	if len(msgs) == 0 {
		return []ArchiveAppend{}, nil
	}
	var out []ArchiveAppend // set by the writer, read once it answered
	// Lazy: see the top of this file.
	err = db.submitHot(ctx, true, func(h *hotBatch) (err error) {
		out, err = db.stageArchived(h, room, prepped, live)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// AppendArchiveSent archives m, the user's own message reflected in a
// room, and records what PutSent records of it (ref in the message map
// and, when txnID is not empty, the txn), in one write: one log write
// where AppendArchive then PutSent cost two. Readers see both or
// neither. Lazy, as both are. A duplicate m (the network's echo archived first) is not stored
// again; ref is, all the same.
//
// Bad input to either part is refused with an error wrapping ErrInvalid,
// and nothing of the call is stored.
func (db *DB) AppendArchiveSent(ctx context.Context, room RoomKey, m ArchivedMessage, ref MessageRef, txnID string) (ArchiveAppend, error) {
	prepped, live, err := prepArchived(room, []ArchivedMessage{m})
	if err != nil {
		return ArchiveAppend{}, err
	}
	sent, err := prepSent(ref, txnID)
	if err != nil {
		return ArchiveAppend{}, err
	}
	var out []ArchiveAppend // set by the writer, read once it answered
	err = db.submitHot(ctx, true, func(h *hotBatch) (err error) {
		if out, err = db.stageArchived(h, room, prepped, live); err != nil {
			return err
		}
		sent(h)
		return nil
	})
	if err != nil {
		return ArchiveAppend{}, err
	}
	return out[0], nil
}

// prepArchived checks msgs for room and prepares them for stageArchived,
// in the caller's goroutine. live tells which were given an arrival (not
// history, placed at its time).
func prepArchived(room RoomKey, msgs []ArchivedMessage) (prepped []ArchivedMessage, live []bool, err error) {
	if err := room.check(); err != nil {
		return nil, nil, err
	}
	now := time.Now()
	prepped = make([]ArchivedMessage, len(msgs))
	live = make([]bool, len(msgs))
	for i, m := range msgs {
		if err := checkArchived(m); err != nil {
			return nil, nil, fmt.Errorf("archived message %d of %s: %w", i, room, err)
		}
		if m.Time.IsZero() {
			m.Time = now
		}
		live[i] = !m.Arrived.IsZero()
		if !live[i] {
			m.Arrived = m.Time
			if m.Arrived.After(now) {
				// Stamped ahead (a sender's clock fast): placed as it
				// comes, as history is (stageArchived), else every later
				// arrival of the room would go after it.
				m.Arrived = now
			}
		}
		m.Time = m.Time.UTC().Round(0) // as bbolt gives it back
		m.Arrived = m.Arrived.UTC().Round(0)
		m.Payload = bytes.Clone(m.Payload)
		m.StanzaID = ""
		prepped[i] = m
	}
	return prepped, live, nil
}

// stageArchived stages the appends of prepped to room in h, one log
// frame, and returns what became of each. Writer only.
//
// A live message (live[i]) is placed no earlier than the room's latest
// arrival: the wall clock may step back (NTP, a VM resumed, a reboot
// with its clock behind), and a message placed before what a client has
// seen is missed by its catch-up after the last stanza-id. History
// older than the archive goes before it (ArchivedMessage.History).
func (db *DB) stageArchived(h *hotBatch, room RoomKey, prepped []ArchivedMessage, live []bool) ([]ArchiveAppend, error) {
	tx, err := h.readTx()
	if err != nil {
		return nil, fmt.Errorf("store: append to archive: %w", err)
	}
	st, err := db.arState(tx, room)
	if err != nil {
		return nil, err
	}
	var rb *roomBkts
	looked := false
	out := make([]ArchiveAppend, len(prepped))
	// Nothing below fails: the op stages its group or nothing.
	h.beginGroup()
	for i := range prepped {
		m := &prepped[i]
		if m.RemoteID != "" {
			rem := hkey(room.Transport, room.UserJID, room.RoomID, m.RemoteID)
			if id, ok := h.staged.arRemote[rem]; ok {
				out[i] = ArchiveAppend{StanzaID: id, Duplicate: true}
				continue
			}
			if id, ok := hotGet(db, func(g *hotGen) map[string]string { return g.arRemote }, rem); ok {
				out[i] = ArchiveAppend{StanzaID: id, Duplicate: true}
				continue
			}
			if !looked {
				rb, looked = roomBucket(tx, room), true
			}
			if rb != nil {
				if v := rb.remote.Get([]byte(m.RemoteID)); len(v) == 8 {
					out[i] = ArchiveAppend{StanzaID: stanzaID(st.epoch, binary.BigEndian.Uint64(v)), Duplicate: true}
					continue
				}
			}
		}
		switch {
		case !live[i]: // at its time
		case m.History && (st.first.IsZero() || m.Time.Before(st.first)) && m.Time.Before(m.Arrived):
			// Older than the archive (or into an empty one): at its time,
			// where the rest of its batch goes too. Not if stamped after
			// its arrival (a sender's clock fast): then as it arrives,
			// else every later arrival of the room would go after it.
			m.Arrived = m.Time
		default:
			if m.Arrived.Before(st.last) {
				m.Arrived = st.last
			}
			if st.first.IsZero() {
				st.first = m.Arrived
			}
		}
		// History counts too (a client may have seen it last), as
		// bbolt's last key does after a restart (arState).
		if m.Arrived.After(st.last) {
			st.last = m.Arrived
		}
		seq := st.next
		st.next++
		ar := &archRec{epoch: st.epoch, seq: seq, msg: *m}
		ar.msg.StanzaID = stanzaID(st.epoch, seq)
		h.add(hotRec{kind: recArchive, transport: room.Transport, login: room.UserJID, chat: room.RoomID, ar: ar})
		out[i] = ArchiveAppend{StanzaID: ar.msg.StanzaID}
	}
	h.endGroup()
	return out, nil
}
