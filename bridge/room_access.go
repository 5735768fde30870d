package bridge

import (
	"context"

	"passerelle.im/passerelle/bridge/wire"
)

// roomRefused answers st, a stanza to a room or one of its occupants,
// when the gateway does not serve its user: one not in access.allow
// (not-allowed), or one without a login here, s nil
// (registration-required). It reports whether it did; each room handler
// asks it first.
func (t *transport) roomRefused(ctx context.Context, st *wire.Stanza, user string, s *session) bool {
	switch {
	case !t.access.Allowed(user):
		t.send(ctx, wire.ErrorReply(st, wire.NotAllowed, "you are not allowed to use this gateway"))
	case s == nil:
		t.notRegistered(ctx, st)
	default:
		return false
	}
	return true
}
