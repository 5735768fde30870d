package bridge

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"
	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// A user's message (or correction, reaction, retraction, file) is
// recorded in the store as the gateway reads it (held_queue.go) and as it
// goes to the plugin, lazily, and durably before it waits for a plugin
// that is not ready (it restarts); it is forgotten once the plugin
// answered it: XEP-0114 has no acknowledgement, so a message the gateway
// read and then lost to a crash would never come again. The next start
// of the gateway sends what was recorded again, once the plugin is
// ready; its txn (the origin-id) makes that safe, the plugin answering a
// txn it knows without acting twice.

// heldRecord is a message's record in the store while it is held or on
// its way to the plugin.
type heldRecord struct {
	t   *transport
	h   store.HeldMessage
	seq atomic.Uint64 // 0: not recorded
	// put waits for a lazy record's write (sending); nil if none.
	put func() (uint64, error)
}

// newHeldRecord is what to record of a new message: one to a contact, or
// to a room (m.sent set: its result is reflected).
func (s *session) newHeldRecord(st *wire.Stanza, chatID, txn string, m userMessage) *heldRecord {
	var w wire.Writer
	w.Element(&st.Element)
	return &heldRecord{t: s.t, h: store.HeldMessage{LoginID: s.LoginID(), ChatID: chatID, UserJID: bareOf(st.From()), To: st.To(),
		Txn: txn, OriginID: m.originID, ID: m.id, Body: m.body, Receipt: m.receipt, Markable: m.markable,
		Room: m.sent != nil, Stanza: w.Bytes()}}
}

// sending records the message as it goes to the plugin, lazily and
// without waiting (store.PutSending): a crash of the gateway between
// reading it and the plugin having it would lose it otherwise, the
// server having handed it over. The record its stanza got as it was read
// (read, held_queue.go; nil if none) is replaced, keeping its place.
//
// Without cmd (a file, whose command names a download of this process)
// the record is of the stanza alone, which a replay handles as just read.
func (r *heldRecord) sending(ctx context.Context, cmd *pb.Command, read *store.HeldPut) {
	h := r.h
	if cmd != nil {
		var err error
		if h.Command, err = proto.Marshal(cmd); err != nil {
			r.t.log.Warn("a message to the plugin is not recorded; a crash now loses it", "err", err)
			if read != nil {
				r.put = read.Wait
			}
			return
		}
	}
	switch {
	case read != nil && cmd == nil:
		r.put = read.Wait
	case read != nil:
		r.put = read.Replace(context.WithoutCancel(ctx), h).Wait
	default:
		r.put = r.t.db.PutSending(context.WithoutCancel(ctx), r.t.name, h)
	}
	if r.t.log.Enabled(ctx, slog.LevelDebug) { // one a message: nothing more unless shown
		r.t.goBg(func() {
			if _, err := r.put(); err == nil {
				r.t.log.Debug("message on its way to the plugin recorded", "login", h.LoginID, "txn", h.Txn)
			}
		})
	}
}

// written waits for a lazy record's write, once.
func (r *heldRecord) written() {
	if r.put == nil {
		return
	}
	seq, err := r.put()
	if err != nil {
		r.t.storeFails.fail(r.t.log, slog.LevelWarn, "outbox record", "a message to the plugin is not recorded; a crash now loses it", err)
		return
	}
	r.t.storeFails.worked(r.t.log, "outbox record")
	r.seq.CompareAndSwap(0, seq)
}

// hold records the message, durably: the plugin is not ready and it
// waits. Once is enough: a command sent again after the plugin died
// holds again, and one recorded as sending is recorded (a power cut may
// take that record, as it may the message map's).
func (r *heldRecord) hold(ctx context.Context, cmd *pb.Command) {
	r.written()
	if r.seq.Load() != 0 {
		return
	}
	h := r.h
	var err error
	if h.Command, err = proto.Marshal(cmd); err == nil {
		var seq uint64
		if seq, err = r.t.db.PutHeld(context.WithoutCancel(ctx), r.t.name, h); err == nil {
			r.t.storeFails.worked(r.t.log, "outbox record")
			r.seq.Store(seq)
			r.t.log.Debug("message held for the plugin", "login", h.LoginID, "txn", h.Txn)
			return
		}
	}
	r.t.storeFails.fail(r.t.log, slog.LevelWarn, "outbox record", "a held message is not recorded; a crash now loses it", err)
}

// done forgets the record: the plugin answered, and the answer is
// handled (what the message became is remembered).
func (r *heldRecord) done(ctx context.Context) {
	r.written()
	if seq := r.seq.Load(); seq != 0 {
		r.t.deleteHeld(ctx, seq)
	}
	if r.t.log.Enabled(ctx, slog.LevelDebug) {
		r.t.log.Debug("message on its way answered by the plugin", "login", r.h.LoginID, "txn", r.h.Txn)
	}
}

// replayHeld sends again, once per start of the gateway, the messages
// recorded as held by an earlier process, in the order they were held
// (read, for those that waited behind one: held_queue.go). The plugin is
// ready. This process's own records are left to their live handling.
func (t *transport) replayHeld(ctx context.Context) {
	if !t.heldReplayed.CompareAndSwap(false, true) {
		return
	}
	ctx = context.WithValue(ctx, replayKey{}, true) // held_queue.go
	hs, err := t.earlierRecords()                   // held_gate.go
	defer t.replayedAll()
	if err != nil {
		t.log.Error("reading held messages failed", "err", err)
		return
	}
	for _, h := range hs {
		t.replayOne(ctx, h)
		t.replayedOne(h)
	}
}

// replayOne hands one record of an earlier process to the plugin.
func (t *transport) replayOne(ctx context.Context, h store.HeldMessage) {
	r := &heldRecord{t: t, h: h}
	r.seq.Store(h.Seq)
	s := t.sessionOf(h.LoginID)
	cmd := &pb.Command{}
	switch err := proto.Unmarshal(h.Command, cmd); {
	case h.LoginID == keptLogin:
		t.replayKept(ctx, h) // stop_kept.go
		return
	case s == nil:
		t.log.Info("held message of a login that is gone dropped", "login", h.LoginID)
	case len(h.Command) == 0 && len(h.Stanza) > 0:
		// Read, not yet handled, when the gateway stopped.
		if st := heldStanza(h); st != nil && bareOf(st.From()) == s.user {
			t.log.Info("handling a message that waited when the gateway stopped", "login", h.LoginID, "id", st.ID())
			// The link may not be up yet: an error answering it goes
			// once written, its record kept until then (handledQueued,
			// stop_kept_sends.go).
			ctx, _ := watchSends(ctx)
			t.adoptQueued(st, h.Seq)
			s.replayStanza(ctx, st, h)
			t.handledQueued(ctx, st)
			return
		}
		t.log.Error("waiting message unreadable, or of another user now; dropped", "login", h.LoginID)
	case err != nil:
		t.log.Error("held message unreadable; dropped", "login", h.LoginID, "err", err)
	case h.Txn != "" && t.sentBefore(h):
		t.log.Debug("held message already sent", "txn", h.Txn)
	default:
		t.log.Info("sending a message held when the gateway stopped", "login", h.LoginID, "txn", h.Txn)
		cmd.CorrelationId = 0
		s.replayHeld(ctx, r, cmd)
		return
	}
	r.done(ctx)
}

func (t *transport) sentBefore(h store.HeldMessage) bool {
	sent, err := t.db.SentBefore(t.name, h.LoginID, h.ChatID, h.Txn)
	return err == nil && sent
}

// heldRoomWait bounds how long a replayed room message waits for its
// login's rooms to be known, before it goes without its reflection.
const heldRoomWait = 30 * time.Second

// replayHeld hands a recorded message to the plugin as sendMessage does a
// live one. A room's is reflected there as roomMessage's are, in the
// order replayed; an error answers the user's stanza, from the room or
// the contact, to the full JID it came from (the resource may still be
// there: Prosody drops an error sent to a bare JID).
func (s *session) replayHeld(ctx context.Context, r *heldRecord, cmd *pb.Command) {
	t, h := s.t, r.h
	st := heldStanza(h)
	var rm *room
	var tk uint64
	if h.Room {
		if rm = s.heldRoom(ctx, h.ChatID); rm != nil {
			tk = rm.order.take()
		} else {
			t.log.Warn("held room message sent without its reflection: the room is not known", "login", h.LoginID, "chat", h.ChatID)
		}
	}
	// A correction, reaction or retraction names its target in the
	// command; its result records only its txn, as a live one's does.
	isSend := cmd.GetSend() != nil
	done := func() {}
	if isSend {
		done = s.startSend(h.LoginID, h.ChatID, h.OriginID, h.ID, recentMsg{text: h.Body, receipt: h.Receipt, markable: h.Markable})
	}
	txnDone := func() {}
	if h.Txn != "" {
		txnDone = s.txns.start(sendKey(h.LoginID, "", h.Txn))
	}
	t.host.Send(cmd, func(res *pb.CommandResult) {
		keep := false // a refusal not told keeps the record (below)
		defer func() {
			if !keep {
				r.done(ctx)
			}
		}()
		if rm != nil {
			defer rm.order.done(tk)
		}
		defer txnDone()
		defer done()
		if res.Error != nil && (!isSend || !partlySent(res)) {
			// Told at a stop too (the answer came in its wait for the
			// commands in flight), as a live message's refusal is
			// (sendMessage); with the link gone then, the record stays
			// and the next start asks the plugin again, which tells.
			if reply := heldErrorReply(h, st, conditionOf(res.Error.Code), res.Error.Text); reply != nil {
				keep = !t.tell(ctx, reply) && ctx.Err() != nil
			}
			return
		}
		if res.Error != nil {
			// Sent in part: mapped (and reflected) first, as a live
			// send's answer is (sendMessage).
			defer func() {
				if reply := heldErrorReply(h, st, conditionOf(res.Error.Code), res.Error.Text); reply != nil {
					t.tell(ctx, reply)
				}
			}()
		}
		if isSend && handledAsCommand(res) {
			s.commandDone(ctx, st, h.Txn, res) // command_reply.go: not reflected, not mapped
			return
		}
		if !isSend {
			t.recordTxn(ctx, h.LoginID, h.Txn)
			if rm != nil && st != nil {
				rm.order.wait(tk, reflectWait)
				s.reflect(ctx, st, rm, res, nil, func() { rm.order.done(tk) })
			}
			return
		}
		t.metrics.MessageToNetwork()
		sm := sentMsg{chatID: h.ChatID, txn: h.Txn, originID: h.OriginID, id: h.ID}
		if st != nil { // what its client asked of the contact
			um := parseUserMessage(st)
			sm.asksKnown, sm.receipt, sm.markable = true, um.receipt, um.markable
		}
		if rm != nil && st != nil {
			rm.order.wait(tk, reflectWait)
			s.reflect(ctx, st, rm, res, &sm, func() { rm.order.done(tk) })
			return
		}
		s.remember(ctx, sm, res)
	})
}

// replayStanza handles a recorded stanza as if just read from the user,
// but for a room's join: the gateway's restart forgot it.
func (s *session) replayStanza(ctx context.Context, st *wire.Stanza, h store.HeldMessage) {
	m := parseUserMessage(st)
	if h.Room {
		if r := s.heldRoom(ctx, h.ChatID); r != nil {
			s.roomSend(ctx, st, r, m, true)
			return
		}
		s.t.log.Warn("waiting room message sent without its reflection: the room is not known", "login", h.LoginID, "chat", h.ChatID)
	}
	to, err := s.replayTarget(st, h)
	if err != nil {
		s.t.log.Error("waiting message's chat has no address; dropped", "login", h.LoginID, "chat", h.ChatID, "err", err)
		return
	}
	s.userMessage(ctx, st, m, true, to)
}

// replayTarget is the address a replayed stanza goes to: its record's
// chat, not the stanza's to. A private message in a room (to room/nick,
// privateMessage) went to the member's own chat; its address names the
// group, which would have had the file posted to every member.
func (s *session) replayTarget(st *wire.Stanza, h store.HeldMessage) (jid.JID, error) {
	if h.ChatID == "" { // a record from before it kept its chat
		return jid.Parse(st.To())
	}
	return s.t.puppetJID(h.ChatID)
}

// heldRoom is the room a replayed message went to, once the login's rooms
// are known (the gateway has just started); nil if it is none of them.
func (s *session) heldRoom(ctx context.Context, chatID string) *room {
	if r := s.rooms.get(chatID); r != nil {
		return r
	}
	wctx, cancel := context.WithTimeout(ctx, heldRoomWait)
	defer cancel()
	if !s.waitRoomsSynced(wctx, chatID) {
		return nil
	}
	return s.findRoom(ctx, chatID)
}

// heldStanza is the user's stanza the record keeps; nil for a record
// from before it kept one.
func heldStanza(h store.HeldMessage) *wire.Stanza {
	if len(h.Stanza) == 0 {
		return nil
	}
	st, err := wire.Parse(string(h.Stanza))
	if err != nil {
		return nil
	}
	return st
}

// heldErrorReply is the error reply to a replayed message: to its stanza
// (st), or, for a record without one, to a stanza built from the record,
// addressed to the user's bare JID.
func heldErrorReply(h store.HeldMessage, st *wire.Stanza, cond wire.Condition, text string) []byte {
	if st != nil {
		return wire.ErrorReply(st, cond, text)
	}
	var w wire.Writer
	w.Start("message", "").Attr("from", h.UserJID).Attr("to", h.To).Attr("id", h.ID).Attr("type", "chat")
	if h.OriginID != "" {
		w.Start("origin-id", wire.NSSID).Attr("id", h.OriginID).End()
	}
	st, err := wire.Parse(string(w.Bytes()))
	if err != nil {
		return nil
	}
	return wire.ErrorReply(st, cond, text)
}
