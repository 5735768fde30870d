package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"go.etcd.io/bbolt"
)

// InboundEvent is a network event the bridge stores before acknowledging
// it to the plugin.
type InboundEvent struct {
	// Seq is the plugin's sequence number, kept as data only: plugins
	// restart their numbering, so the outbox is keyed by its own counter.
	Seq uint64
	// LoginID may be empty for an event not tied to a login, unless DedupID
	// or Ref is set. ChatID may be empty.
	LoginID, ChatID string
	// DedupID is the remote event ID; "" means never deduplicated.
	DedupID string
	// Payload is the opaque serialized event.
	Payload []byte
	// Ref, if set, is stored in the message map with the event. Its empty
	// Transport, LoginID and ChatID default to the event's.
	Ref *MessageRef
	// DedupByRef lets the Ref, when its RemoteID is DedupID, stand for the
	// dedup key (two fewer writes). Not for events whose Ref may be pruned
	// early, such as old history: the message map is pruned by message
	// time, dedup keys by the time they were stored.
	DedupByRef bool
	// Delivered events are already at their destination: only their
	// dedup key and Ref are stored, no outbox entry (their key is 0).
	Delivered bool
}

// OutboxEntry is a stored inbound event not yet marked done.
type OutboxEntry struct {
	// Key is the store's own, strictly increasing, outbox key.
	Key uint64
	// Seq is the plugin's sequence number the event came with.
	Seq uint64
	// LoginID and ChatID are the event's, so the bridge can route an entry
	// to its session and chat queue without decoding the payload.
	LoginID, ChatID string
	Payload         []byte
}

func decodeOutbox(k, v []byte) (OutboxEntry, error) {
	if len(k) != 8 {
		return OutboxEntry{}, fmt.Errorf("%w: outbox key of %d bytes", ErrCorrupt, len(k))
	}
	d := newDec(v)
	e := OutboxEntry{Key: binary.BigEndian.Uint64(k)}
	e.Seq = d.uvarint()
	e.LoginID = d.str()
	e.ChatID = d.str()
	e.Payload = d.rest()
	if d.err != nil {
		return OutboxEntry{}, fmt.Errorf("store: outbox entry %d: %w", e.Key, d.err)
	}
	return e, nil
}

// CommitEvents stores a batch of inbound events of one transport, in one
// write. For each event in order: if DedupID is set and
// (transport, LoginID, ChatID, DedupID) was seen before, in an earlier call
// or earlier in this one, the event is a duplicate and nothing of it is
// stored; otherwise the dedup key is recorded, Ref is put into the message
// map and Payload is appended to the transport's outbox.
//
// Each event is validated alone (see CheckEvent): an invalid one (a NUL
// byte in an ID, a key part over MaxKeyPart) is rejected, logged and
// counted (RejectedEvents) and nothing of it is stored, while the others
// are; one bad event never fails its batch, so the plugin can forget it.
//
// fresh and keys are parallel to evs: fresh[i] tells whether evs[i] was
// new and stored, and keys[i] is its outbox key (0, never a valid key, for
// a duplicate, a rejected event or a delivered one). An error means
// nothing was stored (an empty transport name, or the disk failed).
func (db *DB) CommitEvents(ctx context.Context, transport string, evs []InboundEvent) ([]bool, []uint64, error) {
	if err := checkPart("transport", transport, false); err != nil {
		return nil, nil, err
	}
	if len(evs) == 0 {
		return []bool{}, []uint64{}, nil
	}
	recs := db.prepEvents(transport, evs, time.Now())
	// Set by the writer and read only once it has answered: if ctx ends
	// first, the writer may still be filling them while we return.
	var fresh []bool
	var keys []uint64
	err := db.submitHot(ctx, false, func(h *hotBatch) error {
		// Nothing below fails once the read transaction is open, so the op
		// stages all of its records or none.
		if _, err := h.readTx(); err != nil {
			return fmt.Errorf("store: commit events: %w", err)
		}
		fresh, keys = h.stageEvents(transport, recs)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return fresh, keys, nil
}

// evRec is an InboundEvent validated and encoded in the caller's
// goroutine, so the writer only checks for duplicates and stages.
type evRec struct {
	loginID, chatID string
	dedupID         string // dedup key to record; "" if none
	dkey            []byte
	refDedup        bool // the ref (same chat and remote ID) is the dedup key
	// refToo: a dedup key whose event's ref names the same message: a
	// map entry of it (a live message's, deduplicated by ref) makes it a
	// duplicate too.
	refToo bool
	ref    *MessageRef
	oval   []byte    // outbox value; nil: no outbox entry
	bad    bool      // rejected: nothing of it is stored
	at     time.Time // when the dedup key is recorded
}

// prepEvents validates and encodes evs for stageEvents; an invalid event
// is logged, counted and marked bad.
func (db *DB) prepEvents(transport string, evs []InboundEvent, now time.Time) []evRec {
	recs := make([]evRec, len(evs))
	for i, ev := range evs {
		if err := checkEvent(transport, ev); err != nil {
			db.reject(transport)
			slog.Warn("store: invalid event rejected; the others of its batch are stored", "transport", transport,
				"seq", ev.Seq, "login", ev.LoginID, "chat", ev.ChatID, "event_id", ev.DedupID, "err", err)
			recs[i].bad = true
			continue
		}
		r := evRec{loginID: ev.LoginID, chatID: ev.ChatID, at: now}
		if ev.DedupByRef && refIsDedup(ev) {
			r.refDedup, r.dedupID = true, ev.DedupID
		} else if ev.DedupID != "" {
			r.dedupID, r.dkey = ev.DedupID, comp(ev.ChatID, ev.DedupID)
			r.refToo = refIsDedup(ev)
		}
		if ev.Ref != nil {
			ref := *ev.Ref
			ref.Meta = bytes.Clone(ref.Meta) // the caller may reuse it once we return
			if ref.Transport == "" {
				ref.Transport = transport
			}
			if ref.LoginID == "" {
				ref.LoginID = ev.LoginID
			}
			if ref.ChatID == "" {
				ref.ChatID = ev.ChatID
			}
			if ref.Time.IsZero() {
				ref.Time = now
			}
			r.ref = &ref
		}
		if !ev.Delivered {
			e := newEnc(len(ev.LoginID) + len(ev.ChatID) + len(ev.Payload) + 16)
			e.uvarint(ev.Seq)
			e.str(ev.LoginID)
			e.str(ev.ChatID)
			e.b = append(e.b, ev.Payload...) // the payload runs to the end
			r.oval = e.b
		}
		recs[i] = r
	}
	return recs
}

// refIsDedup reports whether ev's ref names the message its DedupID
// does: the same remote ID, in the event's login and chat. Such an event
// is a duplicate of a message in the map, whether it is deduplicated by
// the ref (live messages) or by a dedup key (history): a chat's history
// repeats the messages that came live.
func refIsDedup(ev InboundEvent) bool {
	return ev.Ref != nil && ev.DedupID != "" && ev.Ref.RemoteID == ev.DedupID &&
		(ev.Ref.LoginID == "" || ev.Ref.LoginID == ev.LoginID) && (ev.Ref.ChatID == "" || ev.Ref.ChatID == ev.ChatID)
}

// stageEvents stages the records of the events that are not duplicates
// (of committed events or of earlier ones in recs) and tells which were
// and their outbox keys, as CommitEvents returns them. The batch's read
// transaction must be open.
func (h *hotBatch) stageEvents(transport string, recs []evRec) (fresh []bool, keys []uint64) {
	fresh, keys = make([]bool, len(recs)), make([]uint64, len(recs))
	for i, r := range recs {
		if r.bad {
			continue
		}
		if r.refDedup {
			if h.hasRef(transport, r.loginID, r.chatID, r.dedupID) {
				continue // duplicate
			}
		} else if r.dedupID != "" {
			if h.hasDedup(transport, r.loginID, r.dkey, r.chatID, r.dedupID) ||
				r.refToo && h.hasRef(transport, r.loginID, r.chatID, r.dedupID) {
				continue // duplicate
			}
			h.add(hotRec{kind: recDedup, transport: transport, login: r.loginID, chat: r.chatID, id: r.dedupID, at: r.at})
		}
		if r.ref != nil {
			h.add(hotRec{kind: recRef, ref: *r.ref})
		}
		if r.oval == nil {
			fresh[i] = true
			continue
		}
		k := h.nextOutboxKey(transport)
		h.add(hotRec{kind: recOutbox, transport: transport, key: k, val: r.oval})
		fresh[i], keys[i] = true, k
	}
	return fresh, keys
}

// CheckEvent reports whether CommitEvents would store ev or reject it as
// invalid (an error wrapping ErrInvalid): a caller can leave a bad event
// out of its work (deliver nothing of it) knowing the store refuses it.
func (db *DB) CheckEvent(transport string, ev InboundEvent) error {
	if err := checkPart("transport", transport, false); err != nil {
		return err
	}
	return checkEvent(transport, ev)
}

// RejectedEvents is how many of transport's events CommitEvents and
// CommitHistory rejected as invalid since Open.
func (db *DB) RejectedEvents(transport string) uint64 {
	db.rejectMu.Lock()
	defer db.rejectMu.Unlock()
	return db.rejected[transport]
}

func (db *DB) reject(transport string) {
	db.rejectMu.Lock()
	defer db.rejectMu.Unlock()
	if db.rejected == nil {
		db.rejected = map[string]uint64{}
	}
	db.rejected[transport]++
}

func checkEvent(transport string, ev InboundEvent) error {
	needLogin := ev.DedupID != "" || ev.Ref != nil
	if err := checkPart("login ID", ev.LoginID, !needLogin); err != nil {
		return err
	}
	if err := checkPart("chat ID", ev.ChatID, true); err != nil {
		return err
	}
	if err := checkPart("dedup ID", ev.DedupID, true); err != nil {
		return err
	}
	if ev.Ref != nil {
		if ev.Ref.Transport != "" && ev.Ref.Transport != transport {
			return fmt.Errorf("%w: ref of transport %q in an event of transport %q", ErrInvalid, ev.Ref.Transport, transport)
		}
		// The defaults CommitEvents fills in, to check what it would store.
		ref := *ev.Ref
		ref.Transport = transport
		if ref.LoginID == "" {
			ref.LoginID = ev.LoginID
		}
		if ref.ChatID == "" {
			ref.ChatID = ev.ChatID
		}
		if err := checkRef(ref); err != nil {
			return fmt.Errorf("ref: %w", err)
		}
	}
	return nil
}

// Outbox returns all of the transport's pending entries in key order:
// after a restart, the bridge drains them before taking new events.
func (db *DB) Outbox(transport string) ([]OutboxEntry, error) {
	return db.OutboxPage(transport, 0, 0)
}

// OutboxPage returns up to limit (0: no limit) pending entries with keys
// greater than after, in key order, so a long backlog can be drained a
// page at a time.
func (db *DB) OutboxPage(transport string, after uint64, limit int) ([]OutboxEntry, error) {
	if err := checkPart("transport", transport, false); err != nil {
		return nil, err
	}
	// Entries and removals may still be only in the log.
	if err := db.Flush(context.Background()); err != nil {
		return nil, err
	}
	var out []OutboxEntry
	err := db.view(func(tx *bbolt.Tx) error {
		ob := tx.Bucket(bOutbox).Bucket([]byte(transport))
		if ob == nil || after == ^uint64(0) { // nothing can follow the last key
			return nil
		}
		c := ob.Cursor()
		for k, v := c.Seek(u64(after + 1)); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Next() {
			e, err := decodeOutbox(k, v)
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// OutboxDone removes handled entries. Unknown keys are ignored, so marking
// an entry done twice is harmless.
func (db *DB) OutboxDone(ctx context.Context, transport string, keys []uint64) error {
	if err := checkPart("transport", transport, false); err != nil {
		return err
	}
	if len(keys) == 0 {
		return nil
	}
	keys = slices.Clone(keys) // the writer's own: on ctx's end we return while it may still read
	// Lazy: an entry that outlives a power cut is delivered twice, never lost.
	return db.submitHot(ctx, true, func(h *hotBatch) error {
		for _, k := range keys {
			h.add(hotRec{kind: recOutDel, transport: transport, key: k})
		}
		return nil
	})
}

// Seen reports, for each event, whether its (login, chat, DedupID) was
// committed before; events without a DedupID are never seen. It only
// reads: the bridge uses it to deliver an event while its commit is still
// under way.
func (db *DB) Seen(transport string, evs []InboundEvent) ([]bool, error) {
	seen := make([]bool, len(evs))
	// First what needs no read transaction: the log.
	look := make([]bool, len(evs))
	need := false
	for i, ev := range evs {
		if ev.DedupID == "" || ev.LoginID == "" {
			continue
		}
		if db.hotDedup(hkey(transport, ev.LoginID, ev.ChatID, ev.DedupID)) {
			seen[i] = true
			continue
		}
		if ev.DedupByRef || refIsDedup(ev) {
			if _, ok := db.hotRef(hkey(transport, ev.LoginID, ev.ChatID, ev.DedupID)); ok {
				seen[i] = true
				continue
			}
		}
		look[i], need = true, true
	}
	if !need {
		return seen, nil
	}
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		var byLogin map[string]loginBuckets // see hotBatch.login
		for i, ev := range evs {
			if !look[i] {
				continue
			}
			lbs, ok := byLogin[ev.LoginID]
			if !ok {
				lbs = findLoginBuckets(tx, transport, ev.LoginID)
				if byLogin == nil {
					byLogin = map[string]loginBuckets{}
				}
				byLogin[ev.LoginID] = lbs
			}
			k := comp(ev.ChatID, ev.DedupID)
			if lbs.dedup != nil && lbs.dedup.Get(k) != nil {
				seen[i] = true
			} else if (ev.DedupByRef || refIsDedup(ev)) && lbs.msgs != nil && lbs.msgs.Get(k) != nil {
				seen[i] = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: seen: %w", err)
	}
	return seen, nil
}
