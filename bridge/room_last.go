package bridge

import (
	"context"
	"fmt"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/bridge/wire"
)

// roomLast answers XEP-0012 Last Activity asked of r's JID or of one of
// its occupants (nick), as Prosody's MUC does, never as of a contact
// (the contact path would read the room's ID as a contact's). A room
// never was online: Prosody has no handler for it, so
// service-unavailable. An occupant is asked through the room, which
// first checks that the asker is joined (not-acceptable) and that
// someone holds the nick (item-not-found); Prosody would then pass the
// query on to the occupant's client, which answers for itself. A
// member's last activity is its own address's to tell; the user's is
// their own server's.
func (s *session) roomLast(ctx context.Context, st *wire.Stanza, r *room, from jid.JID, nick string) {
	t := s.t
	if nick == "" {
		t.send(ctx, wire.ErrorReply(st, wire.ServiceUnavailable, r.jid+" is a group: it has no last activity"))
		return
	}
	r.mu.Lock()
	joined := r.joined[from.Resourcepart()]
	member, held := r.nicks.MemberOf(nick)
	own := nick == r.ownNickLocked(s)
	r.mu.Unlock()
	switch {
	case !joined:
		t.send(ctx, wire.ErrorReply(st, wire.NotAcceptable, notConnected))
	case own:
		t.send(ctx, wire.ErrorReply(st, wire.ServiceUnavailable, "that is you in "+r.jid+": ask your own server"))
	case !held:
		t.send(ctx, wire.ErrorReply(st, wire.ItemNotFound, fmt.Sprintf("nobody is %q in %s", nick, r.jid)))
	default:
		text := nick + " in " + r.jid + " tells no last activity through the room"
		if pj, err := t.puppetJID(member); err == nil && member != selfKey {
			text += ": ask " + pj.String()
		}
		t.send(ctx, wire.ErrorReply(st, wire.ServiceUnavailable, text))
	}
}
