package bridge

import (
	"context"

	"passerelle.im/passerelle/bridge/wire"
)

// roomLast answers XEP-0012 Last Activity asked of r's JID as Prosody's
// MUC does, never as of a contact (the contact path would read the
// room's ID as a contact's): a room never was online, and Prosody has no
// handler for it, so service-unavailable. Asked of an occupant, it is
// occupantIQ's (room_occupant_iq.go).
func (s *session) roomLast(ctx context.Context, st *wire.Stanza, r *room) {
	s.t.send(ctx, wire.ErrorReply(st, wire.ServiceUnavailable, r.jid+" is a group: it has no last activity"))
}
