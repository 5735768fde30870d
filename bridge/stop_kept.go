package bridge

import (
	"context"
	"strings"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/store"
)

// A stanza the gateway reads once its stop began cannot be answered: its
// worker's context has ended, so nothing it sends is queued, and the link
// closes a moment later (it reads on after its </stream:stream> until the
// server ends its own, RFC 6120 §4.4: the stanzas the server routed just
// before). Handled then, a message refused on its content (too long, a
// correction naming nothing) had its error dropped and its record
// forgotten as answered, and an iq got no answer: the sender never
// heard. So such a stanza is not handled at the stop but kept, and the
// next start handles it as if just read, once its plugin is ready (as
// the messages kept at a stop are: held.go), and answers it then:
//
//   - a user's message keeps the record it got as it was read
//     (held_queue.go), or, without one (to a room's member, from a user
//     not registered, a correction without words), gets one of the
//     stanza alone;
//   - a line of the gateway's chat (a command, a login step's answer:
//     maybe a password or a code) is kept as its envelope alone, and
//     the next start asks in the chat to send it again (its login, if
//     any, ended with the stop: the line, taken as a command then, went
//     to the network as "find ..." would);
//   - an iq get or set is answered at once, while the link still
//     writes (the stop's wait for the commands in flight), with
//     resource-constraint (an error of type wait: "send it again in a
//     moment"), as the server answers it a moment later, the gateway
//     gone (service-unavailable): its sender waits for it now, and an
//     answer minutes later, at the next start, came past its timeout,
//     its resource maybe gone, its id maybe another query's since.
//     Only an iq the link no longer writes for (its close begun) is
//     kept: a get, answered at the next start; a set, as its envelope
//     alone (its payload may be a password or a login code), answered
//     then with the same error;
//   - a presence subscription (subscribe, subscribed, unsubscribe,
//     unsubscribed) and a probe are kept;
//   - an available or unavailable presence is handled as before: the
//     next start probes each user who lets it see their presence
//     (avail.go), whose server answers with what is true then.
//
// Errors and iq results are never answered and are handled as before.

// keptLogin is the login ID of a record of a stanza kept at a stop to be
// handled as just read (replayKept): no login's (a record needs one, and
// the stanza may be of a user with none).
const keptLogin = "\x01kept at a stop"

// keepAtStop keeps st for the next start when the stop has begun (ctx
// ended) before st's handling did, and reports whether it did: then st
// is not to be handled now.
func (t *transport) keepAtStop(ctx context.Context, st *wire.Stanza) bool {
	if ctx.Err() == nil || replaying(ctx) {
		return false
	}
	envelope := false // kept without its payload (a secret, maybe)
	switch st.Kind() {
	case "message":
		if from := st.From(); bareOf(from) == from && t.ownID(st.ID()) {
			return false // the gateway's own, sent as the user, come back: dropped (handleMessage)
		}
		if toGateway(st) {
			if _, ok := gatewayChatText(st); !ok {
				return false // nothing its chat takes (handleMessage)
			}
			envelope = true
			break
		}
		return t.keepRead(ctx, st)
	case "iq":
		if st.Type() != "get" && st.Type() != "set" {
			return false
		}
		if t.refuseNow(ctx, st) {
			return true
		}
	case "presence":
		switch st.Type() {
		case "subscribe", "subscribed", "unsubscribe", "unsubscribed", "probe":
		default:
			return false
		}
	default:
		return false
	}
	return t.keepStanza(ctx, st, envelope || st.Kind() == "iq" && st.Type() == "set")
}

// keepRead keeps a user's message st, read once the stop began or
// waiting in its worker when it began, for the next start: the record it
// got as it was read (held_queue.go), once written; else (none, or its
// write failed) a record of the stanza alone, unless the next start has
// nothing to do with it. It reports whether it kept st.
func (t *transport) keepRead(ctx context.Context, st *wire.Stanza) bool {
	if put := t.takeRead(st); put != nil {
		if _, err := put.Wait(); err == nil {
			return true // its record, written, is the next start's (held.go)
		}
	}
	m := parseUserMessage(st)
	if !m.action() && m.displayed == "" {
		return false // a chat state: past by the next start
	}
	return t.keepStanza(ctx, st, false)
}

// keepStanza records st to be handled at the next start (replayKept),
// without its payload if envelope, and reports whether it did.
func (t *transport) keepStanza(ctx context.Context, st *wire.Stanza, envelope bool) bool {
	var w wire.Writer
	if envelope {
		w.Start(st.Kind(), "").Attr("type", st.Type()).Attr("id", st.ID()).Attr("from", st.From()).Attr("to", st.To()).End()
	} else {
		w.Element(&st.Element)
	}
	h := store.HeldMessage{LoginID: keptLogin, UserJID: bareOf(st.From()), To: st.To(), ID: st.ID(), Stanza: w.Bytes()}
	if _, err := t.db.PutHeld(context.WithoutCancel(ctx), t.name, h); err != nil {
		t.log.Warn("a stanza read as the gateway stopped is not kept; its sender gets no answer", "kind", st.Kind(), "from", st.From(), "id", st.ID(), "err", err)
		return false
	}
	t.log.Info("stanza read as the gateway stopped kept; it is handled at the next start", "kind", st.Kind(), "type", st.Type(), "from", st.From(), "to", st.To(), "id", st.ID())
	return true
}

// refuseNow answers the iq st, read once the stop began, with an error
// that asks to send it again in a moment, and reports whether the link
// wrote it: it does until its close begins (stopLink). A wait that does
// not end (a link that neither writes nor closes) is taken as written:
// kept too, st would be answered twice.
func (t *transport) refuseNow(ctx context.Context, st *wire.Stanza) bool {
	data := wire.ErrorReply(st, wire.ResourceConstraint, "the gateway is stopping; send it again in a moment")
	written := make(chan error, 1)
	if err := t.link.Send(context.WithoutCancel(ctx), data, func(err error) { written <- err }); err != nil {
		return false
	}
	select {
	case err := <-written:
		if err != nil {
			return false
		}
	case <-time.After(refuseNowWait):
	}
	t.metrics.ErrorSent(data)
	t.log.Info("iq read as the gateway stopped refused: to be sent again", "type", st.Type(), "from", st.From(), "to", st.To(), "id", st.ID())
	return true
}

// refuseNowWait bounds refuseNow's wait for the link's write.
const refuseNowWait = 2 * time.Second

// replayKept handles a stanza kept at an earlier stop (keepAtStop) as if
// just read, once the link is up, then forgets its record once what the
// handling sent is written (stop_kept_sends.go: what the link did not
// write goes again once it is up). A stop that comes first, or while it
// is handled, leaves it for the start after: what the handling sent on
// the ended context did not go out; but not once its answer went. A
// message's record is its handling's, as one recorded as it was read
// (held_queue.go): its send takes it over, a stop keeps it, handle
// forgets it once done.
func (t *transport) replayKept(ctx context.Context, h store.HeldMessage) {
	st := heldStanza(h)
	if st == nil {
		t.log.Error("stanza kept at a stop unreadable; dropped", "seq", h.Seq)
		t.deleteHeld(ctx, h.Seq)
		return
	}
	// The replay starts once the plugin is ready, maybe before the link
	// to the server is up: what the handling sends then (an iq's answer,
	// a subscription's, a message's error) fails at once. So it waits
	// for the link; a stop first leaves the record for the start after.
	if !t.link.Up() {
		t.log.Info("a stanza read as the gateway stopped waits for the link to the server", "kind", st.Kind(), "from", st.From(), "id", st.ID())
	}
	if ctx.Err() != nil || t.link.WaitUp(ctx) != nil {
		return
	}
	ctx, _ = watchSends(ctx)
	t.log.Info("handling a stanza read as the gateway stopped", "kind", st.Kind(), "from", st.From(), "id", st.ID())
	_, hasBody := st.Body()
	whole := true // the handling is the one answer sent here
	switch user := bareOf(st.From()); {
	case st.Kind() == "iq" && st.Type() == "set" && st.Payload() == nil: // kept without it
		t.send(ctx, wire.ErrorReply(st, wire.ResourceConstraint, "the gateway stopped before it handled this request; send it again"))
	case st.Kind() == "message" && toGateway(st) && !hasBody && t.access.Allowed(user): // kept without it
		t.send(ctx, t.chat(user, "The gateway stopped before it handled your last message to it; send it again."))
	case st.Kind() == "message":
		t.adoptQueued(st, h.Seq)
		t.handle(ctx, st) // its record forgotten or kept there (handledQueued)
		return
	default:
		whole = false
		t.handle(ctx, st)
	}
	t.log.Debug("stanza read as the gateway stopped handled", "kind", st.Kind(), "from", st.From(), "id", st.ID())
	if !t.keptHandled(ctx, st, ctx.Err() != nil, whole) {
		t.log.Info("stanza read as the gateway stopped kept again: a stop came before its answer went", "kind", st.Kind(), "from", st.From(), "id", st.ID())
		return
	}
	t.deleteHeld(ctx, h.Seq)
}

// toGateway reports whether st is to the gateway's own JID (its chat),
// not to a contact or a room.
func toGateway(st *wire.Stanza) bool {
	return !strings.Contains(bareOf(st.To()), "@")
}
