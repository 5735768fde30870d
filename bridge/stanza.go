package bridge

import (
	"context"
	"strconv"
	"strings"

	"passerelle.im/passerelle/bridge/wire"
)

// The gateway's own stanzas, from its own addresses: what every unit
// writes to the server with.

// bareOf is j without its resource, unparsed: cheap enough for the
// link's reader.
func bareOf(j string) string {
	for i := 0; i < len(j); i++ {
		if j[i] == '/' {
			return j[:i]
		}
	}
	return j
}

// newID is a fresh id for a stanza of the gateway's.
func (t *transport) newID() string {
	return t.idPrefix + strconv.FormatUint(t.ids.Add(1), 36)
}

// ownID reports whether id is one the gateway makes: a network event's
// (xmppIDFor) or this process's (newID).
func (t *transport) ownID(id string) bool {
	return strings.HasPrefix(id, "pe-") || (t.idPrefix != "" && strings.HasPrefix(id, t.idPrefix))
}

// send queues a stanza to the server; a stanza for a link that is down is
// dropped with a log line (its sender will retry or already got an error;
// a replayed kept stanza's handling sends it again: stop_kept_sends.go).
func (t *transport) send(ctx context.Context, data []byte) {
	t.metrics.ErrorSent(data)
	done := watchSend(ctx, data)
	if err := t.link.Send(ctx, data, done); err != nil {
		if done != nil {
			done(err)
		}
		t.log.Debug("stanza not sent", "err", err)
	}
}

// tell sends what answers the user's own stanza, also once the gateway
// stops (its context ended, the link still open for the answers to the
// commands in flight); false if the link did not take it.
func (t *transport) tell(ctx context.Context, data []byte) bool {
	t.metrics.ErrorSent(data)
	done := watchSend(ctx, data)
	if err := t.link.Send(context.WithoutCancel(ctx), data, done); err != nil {
		if done != nil {
			done(err)
		}
		t.log.Debug("answer not sent", "err", err)
		return false
	}
	return true
}

func (t *transport) presence(to, typ string) []byte {
	var w wire.Writer
	w.Start("presence", "").Attr("from", t.domain).Attr("to", to).Attr("type", typ)
	return w.Bytes()
}

// chat is a chat message from the gateway's own JID.
func (t *transport) chat(to, body string) []byte {
	var w wire.Writer
	w.Start("message", "").Attr("from", t.domain).Attr("to", to).Attr("type", "chat").Attr("id", t.newID())
	w.Leaf("body", "", body)
	return w.Bytes()
}

func (t *transport) puppetPresence(from, to, typ string) []byte {
	var w wire.Writer
	w.Start("presence", "").Attr("from", from).Attr("to", to).Attr("type", typ)
	return w.Bytes()
}
