package bridge

import (
	"context"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/puppet"
)

// cmdLeaveGroup is the ad-hoc command that leaves a group on the network
// (the other explicit way besides "/leave" in the room): pick one of the
// user's rooms, and the gateway leaves the group.
func (t *transport) cmdLeaveGroup(ctx context.Context, st *wire.Stanza, user, sid string, sess *adhocSession, cmd *wire.Element) {
	const node = "leave-group"
	s := t.session(user)
	if s == nil {
		t.done(ctx, st, node, sid, "error", "You are not logged in to "+t.displayName()+".")
		return
	}
	if sess == nil {
		rooms := s.rooms.all()
		if len(rooms) == 0 {
			t.done(ctx, st, node, "", "info", "You are in no group on "+t.displayName()+".")
			return
		}
		sid = t.newID()
		t.adhoc.put(sid, &adhocSession{user: user, node: node, stage: "room"})
		r := cmdReply(st, node, sid, "executing")
		r.Start("actions", "").Attr("execute", "complete").Leaf("complete", "", "").End()
		r.Start("x", wire.NSData).Attr("type", "form").Leaf("title", "", "Leave a group").
			Leaf("instructions", "", "The gateway leaves the group on "+t.displayName()+" for all your devices.")
		r.Start("field", "").Attr("var", "room").Attr("type", "list-single").Attr("label", "Group").Leaf("required", "", "")
		for _, rm := range rooms {
			r.Start("option", "").Attr("label", rm.displayName()).Leaf("value", "", rm.jid).End()
		}
		t.send(ctx, r.Bytes())
		return
	}
	t.adhoc.drop(sid)
	chosen := formValues(cmd)["room"]
	var r *room
	if j, err := jid.Parse(chosen); err == nil && j.Domainpart() == t.domain {
		if chatID, err := puppet.FromJID(j); err == nil {
			r = s.rooms.get(chatID)
		}
	}
	if r == nil {
		t.done(ctx, st, node, sid, "error", "You are in no group "+chosen+".")
		return
	}
	name := r.displayName()
	s.leave(ctx, r, func(_ wire.Condition, text string) {
		if text != "" {
			t.done(ctx, st, node, sid, "error", "Leaving "+name+" failed: "+text)
			return
		}
		t.done(ctx, st, node, sid, "info", "You left "+name+".")
	})
}
