package bridge

import (
	"context"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/puppet"
)

// render turns a stored network event into the stanza for its user, or
// nil when it needs none (it was handled here, or has no XMPP form yet).
func (t *transport) render(ctx context.Context, d delivery) []byte {
	ev := d.ev
	if step, ok := ev.Payload.(*pb.Event_LoginStep); ok {
		// A new QR code for a login in progress (they rotate).
		if p := t.procByID(step.LoginStep.ProcessId); p != nil {
			p.setStep(ctx, step.LoginStep, nil)
		}
		return nil
	}
	user := t.userOf(ev.LoginId)
	if user == "" {
		t.log.Debug("event for a login no user has; dropped", "login", ev.LoginId)
		return nil
	}
	switch p := ev.Payload.(type) {
	case *pb.Event_Message:
		return t.renderMessage(d, user, p.Message)
	case *pb.Event_SavedState:
		if err := t.db.SetSavedState(ctx, t.name, user, p.SavedState.SavedState); err != nil {
			t.log.Error("saving the plugin's login state failed", "user", user, "err", err)
		} else if l, ok := t.loginOf(user); ok {
			l.SavedState = p.SavedState.SavedState
			t.setLogin(l)
		}
		return nil
	case *pb.Event_LoginState:
		t.log.Info("login state", "user", user, "login", ev.LoginId, "state", p.LoginState.State, "message", p.LoginState.Message)
		t.setState(ctx, user, ev.LoginId, p.LoginState)
		return nil
	case *pb.Event_Contact, *pb.Event_ContactRemoved, *pb.Event_Presence:
		t.contactEvent(ctx, user, ev)
		return nil
	}
	t.log.Debug("event kind not bridged yet", "kind", kindOf(ev))
	return nil
}

func kindOf(ev *pb.Event) string {
	if ev.Payload == nil {
		return "none"
	}
	return string(ev.ProtoReflect().WhichOneof(ev.ProtoReflect().Descriptor().Oneofs().ByName("payload")).Name())
}

func (t *transport) renderMessage(d delivery, user string, m *pb.MessageEvent) []byte {
	ev := d.ev
	if ev.ChatType != pb.ChatType_CHAT_TYPE_DIRECT {
		t.log.Warn("group message not bridged: groups are not supported yet", "chat", ev.ChatId)
		return nil
	}
	from, err := puppet.JID(ev.ChatId, t.domain)
	if err != nil {
		t.log.Error("remote chat ID has no JID; message dropped", "chat", ev.ChatId, "err", err)
		return nil
	}
	body := m.Text
	if ev.GetSender().GetIsFromMe() {
		// Without XEP-0356 the gateway cannot speak as the user; say
		// plainly whose words these are.
		body = "You wrote from another device: " + body
	}
	var w wire.Writer
	w.Start("message", "").Attr("from", from.String()).Attr("to", user).Attr("type", "chat").Attr("id", d.xid)
	w.Leaf("body", "", body)
	w.Start("origin-id", wire.NSSID).Attr("id", d.xid).End()
	w.Start("stanza-id", wire.NSSID).Attr("id", d.xid).Attr("by", from.String()).End()
	if ev.IsBackfill && ev.TimestampUnixMicro > 0 {
		w.Start("delay", wire.NSDelay).Attr("from", t.domain).
			Attr("stamp", time.UnixMicro(ev.TimestampUnixMicro).UTC().Format("2006-01-02T15:04:05.000000Z")).End()
	}
	return w.Bytes()
}
