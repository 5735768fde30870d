package bridge

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/puppet"
	"passerelle.im/passerelle/store"
)

// handle works on one stanza from the XMPP server, on its conversation's
// shard.
func (t *transport) handle(ctx context.Context, st *wire.Stanza) {
	t.log.Debug("stanza in", "kind", st.Kind(), "type", st.Type(), "from", st.From(), "to", st.To(), "id", st.ID())
	if st.Type() == "error" {
		// Never answer an error: two gateways would loop.
		return
	}
	from, ferr := jid.Parse(st.From())
	to, terr := jid.Parse(st.To())
	if ferr != nil || terr != nil {
		if st.Kind() != "presence" {
			t.send(ctx, wire.ErrorReply(st, wire.JIDMalformed, "malformed from or to address"))
		}
		return
	}
	switch st.Kind() {
	case "iq":
		t.handleIQ(ctx, st, from, to)
	case "message":
		t.handleMessage(ctx, st, from, to)
	case "presence":
		t.handlePresence(ctx, st, from, to)
	}
}

func (t *transport) handleIQ(ctx context.Context, st *wire.Stanza, from, to jid.JID) {
	if st.Type() != "get" && st.Type() != "set" {
		return
	}
	p := st.Payload()
	if p == nil {
		t.send(ctx, wire.ErrorReply(st, wire.BadRequest, "iq without a payload"))
		return
	}
	toGateway := to.Localpart() == ""
	get := st.Type() == "get"
	switch {
	case p.XMLName.Space == wire.NSDiscoInfo && get:
		t.send(ctx, t.discoInfo(st, toGateway, p.Attr("node")))
	case p.XMLName.Space == wire.NSDiscoItems && get:
		r := wire.Result(st)
		r.Start("query", wire.NSDiscoItems).Attr("node", p.Attr("node")).End()
		t.send(ctx, r.Bytes())
	case p.XMLName.Space == wire.NSPing && get:
		t.send(ctx, wire.Result(st).Bytes())
	case p.XMLName.Space == wire.NSVersion && get:
		r := wire.Result(st)
		r.Start("query", wire.NSVersion).Leaf("name", "", "passerelle").Leaf("version", "", version()).Leaf("os", "", runtime.GOOS).End()
		t.send(ctx, r.Bytes())
	case p.XMLName.Space == wire.NSRegister && toGateway:
		if !t.access.Allowed(from.Bare().String()) {
			t.send(ctx, wire.ErrorReply(st, wire.NotAllowed, "you are not allowed to use this gateway"))
			return
		}
		if get {
			t.registerForm(ctx, st, from.Bare().String())
		} else {
			t.register(ctx, st, from.Bare().String(), p)
		}
	default:
		t.send(ctx, wire.ErrorReply(st, wire.ServiceUnavailable, ""))
	}
}

func (t *transport) discoInfo(st *wire.Stanza, toGateway bool, node string) []byte {
	if node != "" {
		return wire.ErrorReply(st, wire.ItemNotFound, "no such node")
	}
	r := wire.Result(st)
	r.Start("query", wire.NSDiscoInfo)
	if toGateway {
		network, name := t.name, t.name
		if caps := t.host.Caps(); caps != nil {
			network, name = caps.Network, caps.DisplayName
		}
		r.Start("identity", "").Attr("category", "gateway").Attr("type", network).Attr("name", name).End()
		for _, f := range []string{wire.NSDiscoInfo, wire.NSDiscoItems, wire.NSRegister, wire.NSVersion, wire.NSPing} {
			r.Start("feature", "").Attr("var", f).End()
		}
	} else {
		r.Start("identity", "").Attr("category", "client").Attr("type", "pc").End()
		for _, f := range []string{wire.NSDiscoInfo, wire.NSPing} {
			r.Start("feature", "").Attr("var", f).End()
		}
	}
	return r.Bytes()
}

func (t *transport) handleMessage(ctx context.Context, st *wire.Stanza, from, to jid.JID) {
	user := from.Bare().String()
	if !t.access.Allowed(user) {
		t.send(ctx, wire.ErrorReply(st, wire.NotAllowed, "you are not allowed to use this gateway"))
		return
	}
	if st.Type() == "groupchat" {
		t.send(ctx, wire.ErrorReply(st, wire.FeatureNotImpl, "group chats are not supported yet"))
		return
	}
	body, hasBody := st.Body()
	if to.Localpart() == "" {
		if hasBody {
			t.send(ctx, t.chat(user, fmt.Sprintf("This is the passerelle gateway to %s. Register with it from your client's service discovery (in-band registration); then write to contacts as CONTACT@%s.", t.displayName(), t.domain)))
		}
		return
	}
	if !hasBody {
		// Chat states and markers alone: not bridged yet, and they need
		// no answer.
		return
	}
	login, ok := t.loginOf(user)
	if !ok {
		t.send(ctx, wire.ErrorReply(st, wire.RegistrationRequired, "register with "+t.domain+" first"))
		return
	}
	if t.maxBody > 0 && len(body) > t.maxBody {
		t.send(ctx, wire.ErrorReply(st, wire.PolicyViolation, fmt.Sprintf("the message is %d bytes long; this gateway takes at most %d", len(body), t.maxBody)))
		return
	}
	chatID, err := puppet.FromJID(to)
	if err != nil {
		t.send(ctx, wire.ErrorReply(st, wire.ItemNotFound, "no such contact: "+err.Error()))
		return
	}
	originID := ""
	if oid := st.Child(wire.NSSID, "origin-id"); oid != nil {
		originID = oid.Attr("id")
	}
	txn := originID
	if txn == "" {
		txn = st.ID()
	}
	if txn != "" {
		if _, err := t.db.GetTxn(t.name, login.LoginID, txn); err == nil {
			t.log.Debug("message already sent; resend ignored", "txn", txn)
			return
		}
	}
	cmd := &pb.Command{LoginId: login.LoginID, TxnId: txn, ChatId: chatID, Action: &pb.Command_Send{Send: &pb.SendMessage{Text: body}}}
	t.host.Send(cmd, func(r *pb.CommandResult) {
		t.log.Debug("command result", "txn", txn, "message_id", r.MessageId, "err", r.Error)
		if r.Error != nil {
			t.send(ctx, wire.ErrorReply(st, conditionOf(r.Error.Code), r.Error.Text))
			return
		}
		t.remember(ctx, login.LoginID, chatID, txn, originID, st.ID(), r)
	})
}

// remember maps the sent message's remote ID to its XMPP IDs, so later
// corrections, reactions and receipts find it, and records the txn.
func (t *transport) remember(ctx context.Context, loginID, chatID, txn, originID, id string, r *pb.CommandResult) {
	if r.MessageId == "" {
		return
	}
	ref := store.MessageRef{Transport: t.name, LoginID: loginID, ChatID: chatID, RemoteID: r.MessageId,
		OriginID: originID, ID: id, FromMe: true, Time: time.UnixMicro(r.TimestampUnixMicro)}
	if err := t.db.PutMessages(ctx, []store.MessageRef{ref}); err != nil {
		t.log.Error("message map write failed", "err", err)
	}
	if txn != "" {
		if err := t.db.PutTxn(ctx, t.name, loginID, txn, r.MessageId); err != nil {
			t.log.Error("txn write failed", "err", err)
		}
	}
}

func (t *transport) displayName() string {
	if caps := t.host.Caps(); caps != nil && caps.DisplayName != "" {
		return caps.DisplayName
	}
	return t.name
}

// chat is a chat message from the gateway's own JID.
func (t *transport) chat(to, body string) []byte {
	var w wire.Writer
	w.Start("message", "").Attr("from", t.domain).Attr("to", to).Attr("type", "chat").Attr("id", t.newID())
	w.Leaf("body", "", body)
	return w.Bytes()
}

func (t *transport) handlePresence(ctx context.Context, st *wire.Stanza, from, to jid.JID) {
	user := from.Bare().String()
	if !t.access.Allowed(user) {
		return
	}
	_, registered := t.loginOf(user)
	var w wire.Writer
	switch st.Type() {
	case "subscribe":
		// The user adds the gateway or a contact: approve, as the
		// gateway cannot ask anyone.
		w.Start("presence", "").Attr("from", to.Bare().String()).Attr("to", user).Attr("type", "subscribed")
		t.send(ctx, w.Bytes())
		if to.Localpart() == "" && registered {
			t.send(ctx, t.presence(user, ""))
		}
	case "probe":
		if to.Localpart() == "" {
			typ := "unavailable"
			if registered {
				typ = ""
			}
			t.send(ctx, t.presence(user, typ))
		}
	}
}

// reply gives the XMPP error for a failed plugin call: the plugin's typed
// error, or service-unavailable when the plugin is down.
func reply(err error) (wire.Condition, string) {
	var se *sdk.Error
	if errors.As(err, &se) {
		return conditionOf(se.Code), se.Text
	}
	e := sdk.FromGRPC(err)
	return conditionOf(e.Code), e.Text
}
