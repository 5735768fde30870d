package bridge

import (
	"context"
	"sync/atomic"

	"google.golang.org/protobuf/proto"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// A user's message that must wait for a plugin that is not ready (it
// restarts) is recorded in the store before it waits, and forgotten once
// the plugin answered it: XEP-0114 has no acknowledgement, so a message
// the gateway read and then lost to a crash would never come again. The
// next start of the gateway sends what was recorded again, once the
// plugin is ready; its txn (the origin-id) makes that safe, the plugin
// answering a txn it knows without acting twice.

// heldRecord is a message's record in the store while it is held.
type heldRecord struct {
	t   *transport
	h   store.HeldMessage
	seq atomic.Uint64 // 0: not recorded
}

// newHeldRecord is what to record of a one-to-one message if it is held.
func (s *session) newHeldRecord(st *wire.Stanza, chatID, txn string, m userMessage) *heldRecord {
	return &heldRecord{t: s.t, h: store.HeldMessage{LoginID: s.LoginID(), ChatID: chatID, UserJID: bareOf(st.From()), To: st.To(),
		Txn: txn, OriginID: m.originID, ID: m.id, Body: m.body, Receipt: m.receipt, Markable: m.markable}}
}

// hold records the message: the plugin is not ready and it waits. Once
// is enough: a command sent again after the plugin died holds again.
func (r *heldRecord) hold(ctx context.Context, cmd *pb.Command) {
	if r.seq.Load() != 0 {
		return
	}
	h := r.h
	var err error
	if h.Command, err = proto.Marshal(cmd); err == nil {
		var seq uint64
		if seq, err = r.t.db.PutHeld(context.WithoutCancel(ctx), r.t.name, h); err == nil {
			r.seq.Store(seq)
			r.t.log.Debug("message held for the plugin", "login", h.LoginID, "txn", h.Txn)
			return
		}
	}
	r.t.log.Warn("a held message is not recorded; a crash now loses it", "err", err)
}

// done forgets the record: the plugin answered.
func (r *heldRecord) done(ctx context.Context) {
	if seq := r.seq.Load(); seq != 0 {
		if err := r.t.db.DeleteHeld(context.WithoutCancel(ctx), r.t.name, seq); err != nil {
			r.t.log.Warn("held message record not removed", "err", err)
		}
	}
}

// replayHeld sends again, once per start of the gateway, the messages
// recorded as held by an earlier process, in the order they were held.
// The plugin is ready.
func (t *transport) replayHeld(ctx context.Context) {
	if !t.heldReplayed.CompareAndSwap(false, true) {
		return
	}
	hs, err := t.db.HeldMessages(t.name)
	if err != nil {
		t.log.Error("reading held messages failed", "err", err)
		return
	}
	for _, h := range hs {
		r := &heldRecord{t: t, h: h}
		r.seq.Store(h.Seq)
		s := t.sessionOf(h.LoginID)
		cmd := &pb.Command{}
		switch err := proto.Unmarshal(h.Command, cmd); {
		case s == nil:
			t.log.Info("held message of a login that is gone dropped", "login", h.LoginID)
		case err != nil:
			t.log.Error("held message unreadable; dropped", "login", h.LoginID, "err", err)
		case h.Txn != "" && t.sentBefore(h):
			t.log.Debug("held message already sent", "txn", h.Txn)
		default:
			t.log.Info("sending a message held when the gateway stopped", "login", h.LoginID, "txn", h.Txn)
			cmd.CorrelationId = 0
			s.replayHeld(ctx, r, cmd)
			continue
		}
		r.done(ctx)
	}
}

func (t *transport) sentBefore(h store.HeldMessage) bool {
	sent, err := t.db.SentBefore(t.name, h.LoginID, h.ChatID, h.Txn)
	return err == nil && sent
}

// replayHeld hands a recorded message to the plugin as sendMessage does a
// live one; an error goes to the user's bare JID, their resource being
// unknown now.
func (s *session) replayHeld(ctx context.Context, r *heldRecord, cmd *pb.Command) {
	t, h := s.t, r.h
	done := s.startSend(h.LoginID, h.ChatID, h.OriginID, h.ID, recentMsg{text: h.Body, receipt: h.Receipt, markable: h.Markable})
	txnDone := func() {}
	if h.Txn != "" {
		txnDone = s.txns.start(sendKey(h.LoginID, "", h.Txn))
	}
	t.host.Send(cmd, func(res *pb.CommandResult) {
		defer r.done(ctx)
		defer txnDone()
		defer done()
		if res.Error != nil {
			if reply := heldErrorReply(h, conditionOf(res.Error.Code), res.Error.Text); reply != nil {
				t.send(ctx, reply)
			}
			return
		}
		t.metrics.MessageToNetwork()
		s.remember(ctx, sentMsg{chatID: h.ChatID, txn: h.Txn, originID: h.OriginID, id: h.ID}, res)
	})
}

// heldErrorReply is the error reply to a replayed message, to the user's
// bare JID.
func heldErrorReply(h store.HeldMessage, cond wire.Condition, text string) []byte {
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
