package bridge

import (
	"context"
	"sync"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// What a chat's delivery waits for: an event naming a message the user
// is sending right now waits for that send's result, which brings the
// message's remote ID (see chatDelivery).

// refWait is an event waiting for the messages it names to be stored.
type refWait struct {
	sends   *sending          // the login's sends under way
	key     string            // the chat's sendKey "*"
	max     time.Duration     // how long at most (targetWaitIn)
	arrived []<-chan struct{} // one per message not stored yet
	cancel  []func()
	// onTimeout, when set, runs when the wait ends at max.
	onTimeout func()
}

// receiptWaits returns what a receipt must wait for, or nil when it can
// be delivered now: it is not a receipt anyone in its chat asked for,
// or no send in its chat is under way, or the messages it names are
// known.
func (t *transport) receiptWaits(ev *pb.Event) *refWait {
	rc, ok := ev.Payload.(*pb.Event_Receipt)
	if !ok || ev.ChatType != pb.ChatType_CHAT_TYPE_DIRECT || !t.recent.asks(chatKey(ev.LoginId, ev.ChatId)) {
		return nil
	}
	return t.refWaits(ev, rc.Receipt.MessageIds)
}

// targetWaits returns what a reply, correction, reaction or retraction
// in a chat (direct or a group's room) must wait for, or nil when it can
// be delivered now.
func (t *transport) targetWaits(ev *pb.Event) *refWait {
	if ev.ChatId == "" {
		return nil // the login's own events name no message
	}
	var target string
	switch p := ev.Payload.(type) {
	case *pb.Event_Message:
		target = p.Message.ReplyToId
	case *pb.Event_Edit:
		target = p.Edit.TargetId
	case *pb.Event_Reaction:
		target = p.Reaction.TargetId
	case *pb.Event_Retraction:
		target = p.Retraction.TargetId
	}
	if target == "" {
		return nil
	}
	return t.refWaits(ev, []string{target})
}

// echoWaits returns what a message the user sent from elsewhere, in a
// direct chat, must wait for while a send of the chat is under way: that
// send's result, which may name it (the network's echo of the send, come
// before the result), or nil when there is nothing to wait for.
func (t *transport) echoWaits(ev *pb.Event) *refWait {
	if ev.GetMessage() == nil || !ev.GetSender().GetIsFromMe() || ev.EventId == "" || ev.ChatId == "" || isGroup(ev.ChatType) {
		return nil
	}
	s := t.sessionOf(ev.LoginId)
	if s == nil || s.rooms.get(ev.ChatId) != nil || t.echoOfTxn(s, ev) {
		// An echo named by its txn needs no wait: render drops it.
		return nil
	}
	w := &refWait{sends: &s.sending, key: sendKey(ev.LoginId, ev.ChatId, "*"), max: targetWait}
	ended := s.sending.ended(w.key)
	if ended == nil {
		return nil
	}
	if g, ok := s.echoGaveUp.Load(w.key); ok {
		if g == ended {
			// An earlier one waited for these very sends (none has
			// ended since) and no result named it: a long send (a
			// file), whose result is no echo's. The user's messages
			// from elsewhere meanwhile do not each wait, holding the
			// chat.
			return nil
		}
		s.echoGaveUp.CompareAndDelete(w.key, g)
	}
	w.onTimeout = func() { s.echoGaveUp.Store(w.key, ended) }
	arrived, cancel := s.stored.await(refKey(ev.LoginId, ev.ChatId, ev.EventId))
	if t.sentByUser(ev.LoginId, ev.ChatId, ev.EventId) {
		cancel()
		return nil
	}
	w.arrived, w.cancel = []<-chan struct{}{arrived}, []func(){cancel}
	return w
}

// echoOfTxn reports whether ev, a message of the user's own, is the
// network's echo of a message the user's client sent through the
// gateway, by its txn_id (which the contract has a plugin set on the
// event a command results in): a send of the chat under way under that
// id, or one the message map or the txn record holds. Only messages: the
// notice a command brings (a timer's, a pin's) is news to the user.
func (t *transport) echoOfTxn(s *session, ev *pb.Event) bool {
	if ev.TxnId == "" || ev.GetMessage() == nil || !ev.GetSender().GetIsFromMe() || s == nil {
		return false
	}
	if s.sending.busy(sendKey(ev.LoginId, ev.ChatId, ev.TxnId)) {
		return true
	}
	if ref, err := t.db.LookupXMPP(t.name, ev.LoginId, ev.ChatId, ev.TxnId); err == nil {
		return ref.FromMe && !t.ownID(xmppID(ref))
	}
	remote, err := t.db.GetTxn(t.name, ev.LoginId, ev.TxnId)
	return err == nil && remote != txnNoMessage
}

// mapEcho maps the remote ID of d's event, the network's echo of the
// user's send named by its txn (echoOfTxn), to the XMPP ids of that
// send, when the send's result named another remote ID: an edit,
// reaction, retraction or receipt naming the echo's ID then finds the
// user's message, not the echo's own entry under an id the user never
// got. It runs after the echo's own entry is committed (which it
// replaces) and after the send's result is stored (waiting for a send
// still under way at most targetWait); the send's entry is written
// again after the echo's, so that the user's ids still name the send's
// remote ID in commands. It runs beside the chat (goBg): ctx is the
// transport's, and the stop ends its waits.
func (t *transport) mapEcho(ctx context.Context, s *session, d delivery) {
	ev := d.ev
	if ev.EventId == "" {
		return
	}
	if d.commit != nil {
		select {
		case <-d.commit.done:
		case <-ctx.Done():
			// A batch dropped at the stop is never committed: the
			// plugin delivers the echo again at the next start.
			return
		}
		if d.commit.err != nil {
			return
		}
	}
	s.sending.wait(ctx, sendKey(ev.LoginId, ev.ChatId, ev.TxnId), targetWait)
	ref, ok := t.txnRef(ev.LoginId, ev.ChatId, ev.TxnId)
	if !ok || ref.RemoteID == ev.EventId {
		return
	}
	echo := ref
	echo.RemoteID, echo.Meta = ev.EventId, t.messageMeta(ev.EventId, ev.Meta)
	// Written at a stop too: the stop waits for it, before the store
	// closes.
	if err := t.db.PutMessages(context.WithoutCancel(ctx), []store.MessageRef{echo, ref}); err != nil {
		t.log.Warn("the echo's ID of the user's message not mapped", "login", ev.LoginId, "chat", ev.ChatId, "event_id", ev.EventId, "err", err)
	}
}

// txnRef finds the map entry of the message the user's client sent
// under txn, through the gateway: by its ids, or by the txn's record.
func (t *transport) txnRef(loginID, chatID, txn string) (store.MessageRef, bool) {
	ref, err := t.db.LookupXMPP(t.name, loginID, chatID, txn)
	if err != nil {
		remote, terr := t.db.GetTxn(t.name, loginID, txn)
		if terr != nil || remote == txnNoMessage {
			return store.MessageRef{}, false
		}
		if ref, err = t.db.LookupRemote(t.name, loginID, chatID, remote); err != nil {
			return store.MessageRef{}, false
		}
	}
	return ref, ref.FromMe && !t.ownID(xmppID(ref))
}

// sentByUser reports whether the message remoteID names is one the
// user's client sent through the gateway (its map entry, from the send's
// result, names the client's ids, not one of the gateway's): the user
// has it, and the network's echo of it is not to be shown again.
func (t *transport) sentByUser(loginID, chatID, remoteID string) bool {
	ref, err := t.db.LookupRemote(t.name, loginID, chatID, remoteID)
	return err == nil && ref.FromMe && !t.ownID(xmppID(ref))
}

// refWaits returns what ev must wait for before the messages ids name are
// known, or nil when no send in its chat is under way (none will bring
// them) or they are known. It registers the waits before it looks, so
// that a result stored in between is not missed.
func (t *transport) refWaits(ev *pb.Event, ids []string) *refWait {
	s := t.sessionOf(ev.LoginId)
	if s == nil {
		return nil // no user: nobody sends anything
	}
	w := &refWait{sends: &s.sending, key: sendKey(ev.LoginId, ev.ChatId, "*"), max: s.targetWaitIn(ev.ChatId)}
	if !s.sending.busy(w.key) {
		return nil
	}
	for _, id := range ids {
		arrived, cancel := s.stored.await(refKey(ev.LoginId, ev.ChatId, id))
		if t.refKnown(ev.LoginId, ev.ChatId, id) {
			cancel()
			continue
		}
		w.arrived = append(w.arrived, arrived)
		w.cancel = append(w.cancel, cancel)
	}
	if len(w.arrived) == 0 {
		return nil
	}
	return w
}

// wait returns once the messages are stored, or once no send in the
// chat is under way, or after w.max. Sends end in any order (their
// results are handled side by side): it waits for the named ones, not
// for the next to end.
func (w *refWait) wait(ctx context.Context) {
	defer func() {
		for _, c := range w.cancel {
			c()
		}
	}()
	deadline := time.After(w.max)
	for _, arrived := range w.arrived {
		for waiting := true; waiting; {
			ended := w.sends.ended(w.key)
			if ended == nil { // no send under way: none will bring it
				return
			}
			select {
			case <-arrived:
				waiting = false
			case <-ended: // one send ended: see whether any is left
			case <-deadline:
				if w.onTimeout != nil {
					w.onTimeout()
				}
				return
			case <-ctx.Done():
				return
			}
		}
	}
}

// targetWaitIn is how long a message named in a chat is waited for
// while a send in the chat is under way. In a room the user's message
// is stored with its reflection (archiveSent), which may wait
// reflectWait behind earlier ones (room_order.go) once the network took
// it: an event naming it waits that much longer than targetWait, or it
// would be dropped as naming an unknown message.
func (s *session) targetWaitIn(chatID string) time.Duration {
	if s.rooms.get(chatID) != nil {
		return targetWait + reflectWait
	}
	return targetWait
}

// refKnown reports whether the message a remote ID names is known.
func (t *transport) refKnown(loginID, chatID, remoteID string) bool {
	if _, ok := t.newRef(loginID, chatID, remoteID); ok {
		return true
	}
	_, err := t.db.LookupRemote(t.name, loginID, chatID, remoteID)
	return err == nil
}

// arrivals lets goroutines wait for a key to be signalled.
type arrivals struct {
	mu sync.Mutex
	m  map[string][]chan struct{}
}

// await returns a channel closed when key is signalled, and a func that
// stops waiting (call it in any case).
func (a *arrivals) await(key string) (<-chan struct{}, func()) {
	ch := make(chan struct{})
	a.mu.Lock()
	if a.m == nil {
		a.m = map[string][]chan struct{}{}
	}
	a.m[key] = append(a.m[key], ch)
	a.mu.Unlock()
	return ch, func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		chs := a.m[key]
		for i, c := range chs {
			if c == ch {
				chs = append(chs[:i], chs[i+1:]...)
				break
			}
		}
		if len(chs) == 0 {
			delete(a.m, key)
		} else {
			a.m[key] = chs
		}
	}
}

// signal wakes every waiter of key.
func (a *arrivals) signal(key string) {
	a.mu.Lock()
	chs := a.m[key]
	delete(a.m, key)
	a.mu.Unlock()
	for _, ch := range chs {
		close(ch)
	}
}
