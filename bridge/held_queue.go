package bridge

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/puppet"
	"passerelle.im/passerelle/store"
)

// A user's new message (text, file, correction, reaction, retraction) is
// recorded as the gateway reads it, as the stanza alone, lazily (the
// reader never waits: chat.go) and in the order read: XEP-0114 has no
// acknowledgement, and a gateway killed before the message reached its
// plugin (its chat's worker busy with an earlier one, or waiting for the
// plugin) would lose it otherwise. The next start handles a record of a
// stanza alone as if just read (held.go).
//
// The record is the message's until its plugin answered: its send takes
// it over, the command and txn replacing the stanza under the same key
// (store.HeldPut.Replace), so that replays keep the order read and send
// once; a stanza the worker handles without a send forgets it.

// heldQueue is the transport's records of stanzas read and not yet
// handled. route registers a stanza (recs, pending); the records are
// written in the order read, by a goroutine started while some wait, or
// by a worker whose send needs its stanza's record first.
type heldQueue struct {
	mu      sync.Mutex
	recs    map[*wire.Stanza]*readRec // registered, not yet taken
	pending []pendingRead             // registered, not yet written, in read order
	running bool                      // a goroutine writes pending
	nrecs   atomic.Int32              // len(recs): a handled stanza skips the lock at 0
	// putMu makes the writes of the records follow the order read.
	putMu sync.Mutex
}

type pendingRead struct {
	st *wire.Stanza
	r  *readRec
}

// readRec is one stanza's record; its fields are guarded by heldQueue.mu.
type readRec struct {
	state   int            // readPending, readWriting, readDone
	put     *store.HeldPut // once readDone: nil if not recorded
	dropped bool           // handled without a send before its record was written
}

const (
	readPending = iota
	readWriting
	readDone
)

// earlierHeld reads the records of earlier processes, in order: this
// one's are left to their live handling.
func (t *transport) earlierHeld() ([]store.HeldMessage, error) {
	return t.db.HeldBefore(t.name)
}

// replayKey marks the context of a replay (held.go): it runs beside the
// chat's worker, which does not wait for it.
type replayKey struct{}

func replaying(ctx context.Context) bool { return ctx.Value(replayKey{}) != nil }

// readStanza is route's, before it queues st: a message is registered to
// be recorded. It never waits.
func (t *transport) readStanza(st *wire.Stanza) {
	if st.Kind() != "message" || st.Type() == "error" {
		return
	}
	q := &t.heldQ
	r := &readRec{}
	q.mu.Lock()
	if q.recs == nil {
		q.recs = map[*wire.Stanza]*readRec{}
	}
	q.recs[st] = r
	q.nrecs.Add(1)
	q.pending = append(q.pending, pendingRead{st, r})
	start := !q.running
	q.running = true
	q.mu.Unlock()
	if start {
		t.goBg(t.writeReads) // its writes land before the store closes
	}
}

// writeReads writes the pending records until none is left.
func (t *transport) writeReads() {
	q := &t.heldQ
	for {
		t.flushReads(nil)
		q.mu.Lock()
		if len(q.pending) == 0 {
			q.running = false
			q.mu.Unlock()
			return
		}
		q.mu.Unlock()
	}
}

// flushReads writes the pending records, in the order read, up to upTo's
// (all if nil).
func (t *transport) flushReads(upTo *readRec) {
	q := &t.heldQ
	q.putMu.Lock()
	defer q.putMu.Unlock()
	for {
		q.mu.Lock()
		if len(q.pending) == 0 || (upTo != nil && upTo.state == readDone) {
			q.mu.Unlock()
			return
		}
		p := q.pending[0]
		q.pending[0] = pendingRead{}
		q.pending = q.pending[1:]
		if p.r.dropped {
			p.r.state = readDone
			q.mu.Unlock()
			continue
		}
		p.r.state = readWriting
		q.mu.Unlock()
		var put *store.HeldPut
		if h, ok := t.readRecord(p.st); ok {
			put = t.db.PutLazy(context.Background(), t.name, h)
			if t.log.Enabled(context.Background(), slog.LevelDebug) {
				t.goBg(func() {
					if _, err := put.Wait(); err == nil {
						t.log.Debug("message read recorded", "login", h.LoginID, "id", h.ID)
					}
				})
			}
		}
		q.mu.Lock()
		p.r.put, p.r.state = put, readDone
		drop := p.r.dropped
		q.mu.Unlock()
		if drop && put != nil {
			put.Delete(context.Background())
		}
	}
}

// readRecord is what to record of a stanza read: a user's new message,
// correction, reaction, retraction or file, to a contact or to a room
// (not a room's private message), from a user with a login; nothing else.
func (t *transport) readRecord(st *wire.Stanza) (store.HeldMessage, bool) {
	m := parseUserMessage(st)
	if !m.hasBody && m.oobURL == "" && m.retract == "" && m.reactions == nil {
		return store.HeldMessage{}, false
	}
	to, err := jid.Parse(st.To())
	if err != nil || to.Localpart() == "" || to.Resourcepart() != "" {
		return store.HeldMessage{}, false
	}
	chatID, err := puppet.FromJID(to)
	s := t.session(bareOf(st.From()))
	if err != nil || s == nil {
		return store.HeldMessage{}, false
	}
	var w wire.Writer
	w.Element(&st.Element)
	return store.HeldMessage{LoginID: s.LoginID(), ChatID: chatID, UserJID: bareOf(st.From()), To: st.To(),
		OriginID: m.originID, ID: m.id, Body: m.body, Receipt: m.receipt, Markable: m.markable,
		Room: st.Type() == "groupchat", Stanza: w.Bytes()}, true
}

// takeRead hands st's record over to its send, once queued for writing
// (the send's replaces it, queued after it): nil for none.
func (t *transport) takeRead(st *wire.Stanza) *store.HeldPut {
	q := &t.heldQ
	if q.nrecs.Load() == 0 {
		return nil
	}
	q.mu.Lock()
	r := q.recs[st]
	if r == nil {
		q.mu.Unlock()
		return nil
	}
	delete(q.recs, st)
	q.nrecs.Add(-1)
	done := r.state == readDone
	q.mu.Unlock()
	if !done {
		t.flushReads(r)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return r.put
}

// keepReadAtStop keeps st for the next start when ctx ended (the stop)
// while st waited in its worker, before anything was sent: handle would
// forget its record, and the error that would tell the user does not go
// out on an ended context. Its record, if written, else one of the
// stanza alone (keepRead, stop_kept.go): taken as kept, a record whose
// write failed lost the message. It reports whether the stop began: st
// is then not to be answered now.
func (t *transport) keepReadAtStop(ctx context.Context, st *wire.Stanza) bool {
	if ctx.Err() == nil {
		return false
	}
	t.keepRead(ctx, st)
	return true
}

// handledQueued forgets st's record unless its send took it over: the
// worker is done with the stanza. A record not yet written is not. A
// replayed record whose handling a stop cut is kept for the start after:
// what the handling sent on the ended context did not go out. A kept
// one's is forgotten once what its handling sent is written, and kept
// when the stop cut it before its error went (stop_kept_sends.go).
func (t *transport) handledQueued(ctx context.Context, st *wire.Stanza) {
	q := &t.heldQ
	if st.Kind() != "message" || q.nrecs.Load() == 0 {
		return
	}
	cut := ctx.Err() != nil
	q.mu.Lock()
	r := q.recs[st]
	if r == nil {
		q.mu.Unlock()
		return
	}
	delete(q.recs, st)
	q.nrecs.Add(-1)
	var put *store.HeldPut
	if r.state == readDone {
		put = r.put
	} else {
		r.dropped = true // its writer deletes it
	}
	q.mu.Unlock()
	if put != nil && (!replaying(ctx) || t.keptHandled(ctx, st, cut, false)) {
		put.Delete(context.WithoutCancel(ctx))
	}
}

// adoptQueued makes a replayed stanza's record (seq) its own, as if it
// had been recorded as it was read.
func (t *transport) adoptQueued(st *wire.Stanza, seq uint64) {
	q := &t.heldQ
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.recs == nil {
		q.recs = map[*wire.Stanza]*readRec{}
	}
	if q.recs[st] == nil {
		q.nrecs.Add(1)
	}
	q.recs[st] = &readRec{state: readDone, put: t.db.HeldAt(t.name, seq)}
}

// deleteHeld forgets a record.
func (t *transport) deleteHeld(ctx context.Context, seq uint64) {
	if err := t.db.DeleteHeld(context.WithoutCancel(ctx), t.name, seq); err != nil {
		t.log.Warn("held message record not removed", "err", err)
	}
}
