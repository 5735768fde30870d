package bridge

import (
	"context"
	"strings"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/puppet"
)

// cmdLeaveGroup is the ad-hoc command that leaves a group on the network
// (the other explicit way besides "/leave" in the room): pick one of the
// user's rooms, and the gateway leaves the group, with the user's words
// where they give a reason.
func (t *transport) cmdLeaveGroup(ctx context.Context, st *wire.Stanza, user, sid string, sess *adhocSession, cmd *wire.Element) {
	const node = "leave-group"
	s := t.roomCommandSession(ctx, st, node, user, sid)
	if s == nil {
		return
	}
	if sess == nil {
		r := t.roomForm(ctx, st, node, user, s, "Leave a group",
			"The gateway leaves the group on "+t.displayName()+" for all your devices.")
		if r != nil {
			// As "/leave REASON" in the room: the network's leave
			// carries the words where it has a text (IRC's PART).
			r.Start("field", "").Attr("var", "reason").Attr("type", "text-single").Attr("label", "Reason (optional)").End()
			t.send(ctx, r.Bytes())
		}
		return
	}
	t.adhoc.drop(sid)
	chosen := formValues(cmd)["room"]
	r := t.chosenRoom(s, chosen)
	if r == nil {
		t.done(ctx, st, node, sid, "error", "You are in no group "+chosen+".")
		return
	}
	name := r.displayName()
	// One line, as "/leave REASON" takes it: a form's client may send
	// a text-single value with line breaks.
	reason := strings.Join(strings.Fields(formValues(cmd)["reason"]), " ")
	s.leaveSaying(ctx, r, reason, func(_ wire.Condition, text string) {
		if text != "" {
			t.done(ctx, st, node, sid, "error", "Leaving "+name+" failed: "+text)
			return
		}
		t.done(ctx, st, node, sid, "info", "You left "+name+".")
	})
}

// roomCommandSession is the session of a room command's user, or nil
// once the command was answered that the user is not logged in.
func (t *transport) roomCommandSession(ctx context.Context, st *wire.Stanza, node, user, sid string) *session {
	s := t.session(user)
	if s == nil {
		t.done(ctx, st, node, sid, "error", "You are not logged in to "+t.displayName()+".")
	}
	return s
}

// roomForm starts a room command's form, its first field the user's
// rooms to pick from, and leaves the form open for more fields; nil once
// the command was answered that the user is in no group.
func (t *transport) roomForm(ctx context.Context, st *wire.Stanza, node, user string, s *session, title, instructions string) *wire.Writer {
	rooms := s.rooms.all()
	if len(rooms) == 0 {
		t.done(ctx, st, node, "", "info", "You are in no group on "+t.displayName()+".")
		return nil
	}
	sid := t.newID()
	t.adhoc.put(sid, &adhocSession{user: user, node: node, stage: "room"})
	r := cmdReply(st, node, sid, "executing")
	r.Start("actions", "").Attr("execute", "complete").Leaf("complete", "", "").End()
	r.Start("x", wire.NSData).Attr("type", "form").Leaf("title", "", title).Leaf("instructions", "", instructions)
	r.Start("field", "").Attr("var", "room").Attr("type", "list-single").Attr("label", "Group").Leaf("required", "", "")
	for _, rm := range rooms {
		r.Start("option", "").Attr("label", rm.displayName()).Leaf("value", "", rm.jid).End()
	}
	r.End()
	return r
}

// chosenRoom is the user's room a form's room field names, or nil.
func (t *transport) chosenRoom(s *session, roomJID string) *room {
	j, err := jid.Parse(roomJID)
	if err != nil || j.Domainpart() != t.domain {
		return nil
	}
	chatID, err := puppet.FromJID(j)
	if err != nil {
		return nil
	}
	return s.rooms.get(chatID)
}
