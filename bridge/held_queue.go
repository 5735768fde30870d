package bridge

import (
	"context"
	"sync"
	"sync/atomic"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/puppet"
	"passerelle.im/passerelle/store"
)

// While a chat's inbound worker waits for a plugin that is not ready
// (a message held, held.go; or the plugin's capabilities not known yet),
// the chat's later stanzas wait in its queue (chat.go), in memory only.
// Those that would be new messages are recorded too, as the user's
// stanza alone, in the order they were read: a gateway killed meanwhile
// handles them at its next start as if just read, after the held one.
// A record is forgotten once its stanza is handled: by the message's
// send (its result came, sendMessage takes the record over) or as soon
// as the worker is done with a stanza that is not sent.

// heldQueue is the transport's record of stanzas waiting in held chats.
type heldQueue struct {
	watched atomic.Int32 // len(chats): route skips the lock at 0
	mu      sync.Mutex
	chats   map[chatAddr]*queueWatch
	recs    map[*wire.Stanza]*queuedRec // recorded, not yet handled
	nrecs   atomic.Int32                // len(recs): a handled stanza skips the lock at 0
}

// queueWatch is one held chat's recording.
type queueWatch struct {
	holds   int            // waits under way in the chat
	pending []*wire.Stanza // read, not yet recorded
	seen    map[*wire.Stanza]bool
	wake    chan struct{}
}

// queuedRec is a stanza's record: seq once written (0: the write failed).
type queuedRec struct {
	seq     uint64
	written chan struct{}
}

func inboundAddr(st *wire.Stanza) chatAddr { return chatAddr{bareOf(st.From()), bareOf(st.To())} }

// earlierHeld reads the records of earlier processes, in order: this
// one's are left to their live handling.
func (t *transport) earlierHeld() ([]store.HeldMessage, error) {
	return t.db.HeldBefore(t.name)
}

// replayKey marks the context of a replay (held.go): it runs beside the
// chat's worker, which does not wait for it, so the chat is not watched.
type replayKey struct{}

func replaying(ctx context.Context) bool { return ctx.Value(replayKey{}) != nil }

// watchChat records, until unwatchChat, the new messages that wait in
// st's chat behind it: its worker waits for the plugin. Only the chat's
// worker calls it (not a replay): a stanza it takes in must wait until
// unwatchChat.
func (t *transport) watchChat(ctx context.Context, st *wire.Stanza) {
	if replaying(ctx) {
		return
	}
	q, addr := &t.heldQ, inboundAddr(st)
	q.mu.Lock()
	if q.chats == nil {
		q.chats = map[chatAddr]*queueWatch{}
	}
	w := q.chats[addr]
	if w != nil {
		w.holds++
		q.mu.Unlock()
		return
	}
	w = &queueWatch{holds: 1, seen: map[*wire.Stanza]bool{}, wake: make(chan struct{}, 1)}
	q.chats[addr] = w
	q.watched.Add(1)
	q.mu.Unlock()
	// What route queues from now on is noted in pending; what waits
	// already comes first. A stanza in both is recorded once.
	before := t.in.waiting(addr)
	q.mu.Lock()
	w.pending = append(before, w.pending...)
	q.mu.Unlock()
	go t.recordQueue(context.WithoutCancel(ctx), addr, w)
	w.signal()
}

func (w *queueWatch) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// unwatchChat ends a wait watchChat began: the worker goes on, and
// handles what waits itself.
func (t *transport) unwatchChat(ctx context.Context, st *wire.Stanza) {
	if replaying(ctx) {
		return
	}
	q, addr := &t.heldQ, inboundAddr(st)
	q.mu.Lock()
	defer q.mu.Unlock()
	w := q.chats[addr]
	if w == nil {
		return
	}
	if w.holds--; w.holds == 0 {
		delete(q.chats, addr)
		q.watched.Add(-1)
		w.pending = nil
		w.signal()
	}
}

// queued is route's: st was queued in its chat.
func (t *transport) queued(st *wire.Stanza) {
	q := &t.heldQ
	if q.watched.Load() == 0 {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if w := q.chats[inboundAddr(st)]; w != nil {
		w.pending = append(w.pending, st)
		w.signal()
	}
}

// recordQueue writes the records of a watched chat's stanzas, in the
// order read, until the chat is no longer watched. A stanza is taken in
// (q.recs) only while the chat is watched: once it is not, the worker
// may handle it, and must find its record or none for good.
func (t *transport) recordQueue(ctx context.Context, addr chatAddr, w *queueWatch) {
	q := &t.heldQ
	type item struct {
		st *wire.Stanza
		h  store.HeldMessage
		r  *queuedRec
	}
	for range w.wake {
		q.mu.Lock()
		batch := w.pending
		w.pending = nil
		watched := q.chats[addr] == w
		q.mu.Unlock()
		if !watched {
			return
		}
		var todo []item
		for _, st := range batch {
			if w.seen[st] {
				continue
			}
			w.seen[st] = true
			if h, ok := t.queuedRecord(st); ok {
				todo = append(todo, item{st, h, &queuedRec{written: make(chan struct{})}})
			}
		}
		q.mu.Lock()
		if q.chats[addr] != w {
			q.mu.Unlock()
			return
		}
		n := 0
		for _, it := range todo {
			if q.addLocked(it.st, it.r) {
				todo[n] = it
				n++
			}
		}
		q.mu.Unlock()
		for _, it := range todo[:n] {
			t.writeQueued(ctx, it.st, it.h, it.r)
		}
	}
}

// writeQueued writes one stanza's record and closes its written.
func (t *transport) writeQueued(ctx context.Context, st *wire.Stanza, h store.HeldMessage, r *queuedRec) {
	defer close(r.written)
	seq, err := t.db.PutHeld(context.WithoutCancel(ctx), t.name, h)
	if err != nil {
		t.log.Warn("a message waiting behind a held one is not recorded; a crash now loses it", "err", err)
		return
	}
	r.seq = seq
	t.log.Debug("message waiting for the plugin recorded", "login", h.LoginID, "id", st.ID())
}

// recordWaiting records st as a message that waits for the plugin
// before it is handled (its capabilities are not known yet), and
// returns once written. The caller's handling takes the record over.
func (t *transport) recordWaiting(ctx context.Context, st *wire.Stanza) {
	h, ok := t.queuedRecord(st)
	if !ok {
		return
	}
	q := &t.heldQ
	r := &queuedRec{written: make(chan struct{})}
	q.mu.Lock()
	added := q.addLocked(st, r)
	q.mu.Unlock()
	if !added {
		return
	}
	t.writeQueued(context.WithoutCancel(ctx), st, h, r)
}

// queuedRecord is what to record of a stanza waiting in a held chat: a
// new message (text, no file, no correction, reaction or retraction)
// from a user with a login, to a contact or to a room; nothing else.
func (t *transport) queuedRecord(st *wire.Stanza) (store.HeldMessage, bool) {
	if st.Kind() != "message" || st.Type() == "error" {
		return store.HeldMessage{}, false
	}
	m := parseUserMessage(st)
	if !m.hasBody || m.oobURL != "" || m.replace != "" || m.retract != "" || m.reactions != nil {
		return store.HeldMessage{}, false
	}
	to, err := jid.Parse(st.To())
	if err != nil || to.Resourcepart() != "" {
		return store.HeldMessage{}, false // a room's private message among them
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

// takeQueued hands over st's record, once written, to the one who
// forgets it when the message is done with: its seq, 0 for none.
func (t *transport) takeQueued(st *wire.Stanza) uint64 {
	q := &t.heldQ
	if q.nrecs.Load() == 0 {
		return 0
	}
	q.mu.Lock()
	r := q.recs[st]
	if r != nil {
		delete(q.recs, st)
		q.nrecs.Add(-1)
	}
	q.mu.Unlock()
	if r == nil {
		return 0
	}
	<-r.written
	return r.seq
}

// handledQueued forgets st's record unless its send took it over: the
// worker is done with the stanza.
func (t *transport) handledQueued(ctx context.Context, st *wire.Stanza) {
	if st.Kind() != "message" {
		return
	}
	if seq := t.takeQueued(st); seq != 0 {
		t.deleteHeld(ctx, seq)
	}
}

// adoptQueued makes a replayed stanza's record (seq) its own, as if it
// had been recorded while it waited.
func (t *transport) adoptQueued(st *wire.Stanza, seq uint64) {
	r := &queuedRec{seq: seq, written: make(chan struct{})}
	close(r.written)
	q := &t.heldQ
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.addLocked(st, r) {
		q.recs[st] = r
	}
}

// addLocked takes r in as st's record unless st has one, and says whether
// it did. q.mu is held.
func (q *heldQueue) addLocked(st *wire.Stanza, r *queuedRec) bool {
	if q.recs[st] != nil {
		return false
	}
	if q.recs == nil {
		q.recs = map[*wire.Stanza]*queuedRec{}
	}
	q.recs[st] = r
	q.nrecs.Add(1)
	return true
}

// deleteHeld forgets a record.
func (t *transport) deleteHeld(ctx context.Context, seq uint64) {
	if err := t.db.DeleteHeld(context.WithoutCancel(ctx), t.name, seq); err != nil {
		t.log.Warn("held message record not removed", "err", err)
	}
}

// chatWait watches a chat while its worker waits in a message's send
// for the plugin, and not when the send holds again later, from another
// goroutine (the command was in flight when the plugin died): the worker
// has gone on by then.
type chatWait struct {
	t           *transport
	ctx         context.Context
	st          *wire.Stanza
	mu          sync.Mutex
	on, watched bool
}

// held is the send's hold: the worker waits, if on.
func (w *chatWait) held() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.on && !w.watched {
		w.watched = true
		w.t.watchChat(w.ctx, w.st)
	}
}

// end: the worker goes on.
func (w *chatWait) end() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.on = false
	if w.watched {
		w.watched = false
		w.t.unwatchChat(w.ctx, w.st)
	}
}
