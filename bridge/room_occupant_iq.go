package bridge

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/bridge/wire"
)

// IQs to an occupant's JID (room/nick) that no handler of their own
// takes (room_in.go: self-ping, last activity, vCard, PubSub, a member's
// disco): answered as Prosody's MUC does (handle_iq_to_occupant), never
// by the contact path, which read the room's ID as a contact's. The room
// first checks the asker is joined (not-acceptable) and that the nick is
// held (item-not-found), then passes the IQ on to the occupant. For a
// member the gateway is that occupant: its disco#info and version are
// the puppet's (the contact path's answer), anything else
// service-unavailable, as a client answers a namespace it does not serve
// (MAM: an occupant keeps no archive, the room's is at its bare JID).
// The user's own occupant is the user's client: the IQ goes on to it,
// its answer back to the asker, as Prosody forwards them.

// occupantIQ answers st, an IQ get or set to nick in r from the user's
// resource from; false when the contact path answers it as the member.
func (s *session) occupantIQ(ctx context.Context, st *wire.Stanza, r *room, from jid.JID, nick string, p *wire.Element) bool {
	t := s.t
	r.mu.Lock()
	joined := r.joined[from.Resourcepart()]
	_, held := r.nicks.MemberOf(nick)
	own := nick == r.ownNickLocked(s)
	r.mu.Unlock()
	switch {
	case !joined:
		t.send(ctx, wire.ErrorReply(st, wire.NotAcceptable, notConnected))
	case own:
		s.forwardToOwnOccupant(ctx, st, r, from, nick)
	case !held:
		t.send(ctx, wire.ErrorReply(st, wire.ItemNotFound, fmt.Sprintf("nobody is %q in %s", nick, r.jid)))
	case st.Type() == "get" && (p.XMLName.Space == wire.NSDiscoInfo || p.XMLName.Space == wire.NSDiscoItems || p.XMLName.Space == wire.NSVersion):
		return false // the member's own answer (inbound.go)
	default:
		text := nick + " in " + r.jid + " answers no " + p.XMLName.Space + " request"
		if p.XMLName.Space == nsMAM {
			text = "an occupant keeps no archive: the room's is at " + r.jid
		}
		t.send(ctx, wire.ErrorReply(st, wire.ServiceUnavailable, text))
	}
	return true
}

// forwardToOwnOccupant passes st, an IQ to the user's own occupant nick
// in r, on to the asking resource (one of the occupant's sessions), from
// the occupant's JID and with an id that carries the asker and its id
// back (ownOccupantReply), as Prosody's MUC forwards an IQ to an
// occupant's real JID.
func (s *session) forwardToOwnOccupant(ctx context.Context, st *wire.Stanza, r *room, from jid.JID, nick string) {
	id := base64.RawURLEncoding.EncodeToString([]byte(from.String() + "\x00" + st.ID()))
	var w wire.Writer
	w.Start("iq", "").Attr("from", r.jid+"/"+nick).Attr("to", from.String()).Attr("id", id).Attr("type", st.Type())
	if p := st.Payload(); p != nil {
		w.Element(p)
	}
	s.t.send(ctx, w.Bytes())
}

// ownOccupantReply takes st, a result or error from a user's resource to
// nick in r, the answer to an IQ forwardToOwnOccupant passed on, back to
// the resource that asked, with its id, from the occupant's JID; false
// when st answers no such IQ (it is then dropped, as Prosody drops it).
func (s *session) ownOccupantReply(ctx context.Context, st *wire.Stanza, r *room, from jid.JID, nick string) bool {
	raw, err := base64.RawURLEncoding.DecodeString(st.ID())
	if err != nil {
		return false
	}
	asker, id, ok := strings.Cut(string(raw), "\x00")
	if !ok {
		return false
	}
	aj, err := jid.Parse(asker)
	if err != nil || !aj.Bare().Equal(from.Bare()) {
		return false // only the user's own IQs are theirs to answer
	}
	r.mu.Lock()
	own := nick == r.ownNickLocked(s)
	r.mu.Unlock()
	if !own {
		return false
	}
	var w wire.Writer
	w.Start("iq", "").Attr("from", r.jid+"/"+nick).Attr("to", asker).Attr("id", id).Attr("type", st.Type())
	for i := range st.Children {
		c := st.Children[i]
		if c.XMLName.Space == st.XMLName.Space {
			c.XMLName.Space = "" // the stream's namespace (an <error/>)
		}
		w.Element(&c)
	}
	s.t.send(ctx, w.Bytes())
	return true
}
