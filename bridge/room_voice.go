package bridge

import (
	"context"

	"passerelle.im/passerelle/bridge/muc"
	"passerelle.im/passerelle/bridge/wire"
)

// A request for voice (XEP-0045 §7.13): a visitor asks the room's
// moderators to let it post, with a muc#request form in a message to the
// room's bare JID. Gajim offers it in a moderated room, which a channel's
// room is to its readers. The network's channels have no such request,
// and the gateway cannot ask the channel's admins in the user's name, so
// the room says so. It was refused as a message of the wrong type ("join
// the room and send groupchat messages"), which told a joined reader
// nothing of why.

// nsMUCRequest is the FORM_TYPE of a request for voice.
const nsMUCRequest = "http://jabber.org/protocol/muc#request"

// voiceRequest reports whether st, a message to a room, is a request for
// voice: a data form whose FORM_TYPE is muc#request.
func voiceRequest(st *wire.Stanza) bool {
	x := st.Child(wire.NSData, "x")
	if x == nil {
		return false
	}
	for i := range x.Children {
		f := &x.Children[i]
		if f.XMLName.Local != "field" || f.Attr("var") != "FORM_TYPE" {
			continue
		}
		v := f.Child("", "value")
		return v != nil && v.Text == nsMUCRequest
	}
	return false
}

// refuseVoiceRequest answers a request for voice in r: the gateway passes
// none on; a user who may post is told so.
func (s *session) refuseVoiceRequest(ctx context.Context, st *wire.Stanza, r *room) {
	r.mu.Lock()
	visitor := s.selfOccupantLocked(r).Role == muc.RoleVisitor // room_nick.go
	r.mu.Unlock()
	name := r.displayName()
	text := "you may post in " + name + " already"
	if visitor {
		text = "only the admins of " + name + " post in it, and " + s.t.displayName() +
			" has no request for voice the gateway could pass on: ask one of them there"
	}
	s.t.send(ctx, wire.ErrorReply(st, wire.FeatureNotImpl, text))
}
