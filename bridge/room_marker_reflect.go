package bridge

import (
	"context"
	"time"

	"passerelle.im/passerelle/bridge/muc"
	"passerelle.im/passerelle/bridge/wire"
)

// The user's own read marker in a room (XEP-0333 <displayed/> in a
// groupchat message with no body) is reflected to each joined resource,
// as a MUC service reflects every groupchat message: Dino takes a
// displayed marker from its own occupant, sent by another device, as
// "read up to here" and clears the room's unread count. It
// went to the network as a read and nowhere else: the phone kept the
// room unread after the desktop read it. Not archived: a marker names a
// message and is worth nothing later, as a chat state.

// reflectMarker sends st, the user's message carrying the read marker,
// back from the user's occupant to each joined resource, with the
// client's id and the user's occupant-id.
func (s *session) reflectMarker(ctx context.Context, st *wire.Stanza, r *room) {
	r.mu.Lock()
	nick := r.ownNickLocked(s)
	to := r.resourcesLocked()
	r.mu.Unlock()
	var w wire.Writer
	w.Start("message", "").Attr("from", muc.OccupantJID(r.jid, nick)).Attr("to", s.user).Attr("type", "groupchat").Attr("id", st.ID())
	for i := range st.Children {
		c := &st.Children[i]
		if c.XMLName.Space == wire.NSSID && c.XMLName.Local == "stanza-id" || c.XMLName.Space == wire.NSDelay || isOccupantID(c) {
			continue // only the room's own, as for a reflected message
		}
		writeClientElement(&w, c)
	}
	payload := w.Bytes()
	oid := s.selfOccupantID(r)
	for _, res := range to {
		s.t.send(ctx, roomCopy(payload, s.user, s.user+"/"+res, r.jid, "", oid, time.Time{}))
	}
}
