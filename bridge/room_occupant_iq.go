package bridge

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/bridge/wire"
)

// IQs to an occupant's JID (room/nick), every one of them, are answered
// here as Prosody's MUC does (handle_iq_to_occupant), never by the
// contact path as such, which read the room's ID as a contact's. The
// room first checks that the asker is joined (not-acceptable; a disco
// query bad-request, XEP-0045 §6.6) and that the nick is held
// (item-not-found), then passes the IQ on to the occupant: a client's
// self-ping it answers itself (XEP-0410). For a member the gateway is
// that occupant: its vCard, avatar and vCard4 are its profile (Prosody
// passes those on to the occupant's bare JID), its disco and version
// the puppet's (the contact path's answer), its last activity its own
// address's to tell, anything else service-unavailable, as a client
// answers a namespace it does not serve (MAM: an occupant keeps no
// archive, the room's is at its bare JID). The user's own occupant is
// the user's client: the IQ goes on to it and its answer back to the
// asker, as Prosody forwards them, but for the profile and last
// activity, which are the user's own server's.

// occupantIQ handles st, an IQ to the occupant to of the room chatID,
// from the user's resource from; r is the user's room if known. False
// when the contact path answers it.
func (t *transport) occupantIQ(ctx context.Context, st *wire.Stanza, s *session, r *room, chatID string, from, to jid.JID) bool {
	p := st.Payload()
	var ns string
	if p != nil {
		ns = p.XMLName.Space
	}
	get := st.Type() == "get"
	ping := get && ns == wire.NSPing
	profile := get && (ns == nsVCard || ns == nsPubSub && p.XMLName.Local == "pubsub")
	if s == nil {
		if ping {
			// No login, so no group (unregistered, or logged out while
			// the client did not hear it): not joined. The contact
			// path's ping answers any address: a client took itself for
			// joined for good.
			t.send(ctx, wire.ErrorReply(st, wire.NotAcceptable, "you are in no group on "+t.displayName()+": register with "+t.domain+" first"))
			return true
		}
		return false
	}
	if r == nil && !s.knowsUser(chatID) {
		r, _ = s.occupantRoom(ctx, chatID, ping) // room_occupant_addr.go: a self-ping asks the network too
		if r == nil && ping {
			// No room of the user's (any more): not joined. The
			// contact path would answer for a "contact".
			t.send(ctx, wire.ErrorReply(st, wire.NotAcceptable, "you are in no group "+to.Bare().String()+" on "+t.displayName()))
			return true
		}
	}
	if r == nil && profile {
		r = s.findRoom(ctx, chatID)
	}
	if r == nil {
		return false
	}
	nick := to.Resourcepart()
	switch st.Type() {
	case "result", "error":
		// The user's client answering an IQ passed on to it.
		s.ownOccupantReply(ctx, st, r, from, nick)
		return true
	case "get", "set":
	default:
		return true
	}
	if p == nil {
		t.send(ctx, wire.ErrorReply(st, wire.BadRequest, "iq without a payload"))
		return true
	}
	if profile && t.roomRefused(ctx, st, s.user, s) { // room_access.go
		return true
	}
	r.mu.Lock()
	joined := r.joined[from.Resourcepart()]
	member, held := r.nicks.MemberOf(nick)
	own := r.isOwnOccupantLocked(nick)
	if own {
		member = r.ownMemberIDLocked(s)
	}
	r.mu.Unlock()
	refuse := func(cond wire.Condition, text string) { t.send(ctx, wire.ErrorReply(st, cond, text)) }
	disco := ns == wire.NSDiscoInfo || ns == wire.NSDiscoItems
	switch {
	case !joined && disco:
		t.refuseNonOccupant(ctx, st, r) // room_in.go
	case !joined:
		refuse(wire.NotAcceptable, notConnected)
	case own && ping:
		t.send(ctx, wire.Result(st).Bytes()) // the client's self-ping: joined
	case own && get && ns == nsLast:
		refuse(wire.ServiceUnavailable, "that is you in "+r.jid+": ask your own server")
	case own && !profile:
		s.forwardToOwnOccupant(ctx, st, r, from, nick)
	case !held && !own:
		// A self-ping's nick nobody holds: XEP-0410 has the client take
		// it for not joined (its own nick from before a rename it
		// missed) and join again.
		refuse(wire.ItemNotFound, fmt.Sprintf("nobody is %q in %s", nick, r.jid))
	case ping:
		t.send(ctx, wire.Result(st).Bytes()) // a member is there
	case get && ns == nsLast:
		text := nick + " in " + r.jid + " tells no last activity through the room"
		if pj, err := t.puppetJID(member); err == nil {
			text += ": ask " + pj.String()
		}
		refuse(wire.ServiceUnavailable, text)
	case get && ns == nsVCard:
		t.vcard(ctx, st, s.user, member) // contacts.go: the member's profile
	case profile:
		if items := p.Child("", "items"); items != nil && items.Attr("node") == nsVCard4Node {
			t.vcard4Items(ctx, st, s.user, member) // vcard4.go
			return true
		}
		t.avatarItems(ctx, st, s.user, member, p) // contacts.go: XEP-0084, as Dino and Movim ask it
	case get && (disco || ns == wire.NSVersion):
		return false // the member's own answer (inbound.go)
	case ns == nsMAM:
		refuse(wire.ServiceUnavailable, "an occupant keeps no archive: the room's is at "+r.jid)
	default:
		refuse(wire.ServiceUnavailable, nick+" in "+r.jid+" answers no "+ns+" request")
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

// ownOccupantError passes on st, an IQ error from a user's resource to
// their own occupant in a room, when it answers an IQ
// forwardToOwnOccupant passed on (errors go no further than inbound's
// first look); false for any other error.
func (t *transport) ownOccupantError(ctx context.Context, st *wire.Stanza) bool {
	s, r, from, to := t.errorRoom(st) // room_gone.go
	return r != nil && to.Resourcepart() != "" && s.ownOccupantReply(ctx, st, r, from, to.Resourcepart())
}

// ownOccupantReply takes st, a result or error from a user's resource to
// nick in r, the answer to an IQ forwardToOwnOccupant passed on, back to
// the resource that asked, with its id, from the occupant's JID; false
// when it answers no such IQ (a result is then dropped, as Prosody drops
// it).
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
	own := r.isOwnOccupantLocked(nick)
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

// ownMemberIDLocked is the user's own member ID in r: the one the
// network marked, else the login's (as isSelfLocked takes it). Call
// with r.mu held.
func (r *room) ownMemberIDLocked(s *session) string {
	if r.selfID != "" {
		return r.selfID
	}
	return s.LoginID()
}

// isOwnOccupantLocked reports whether nick is the user's own occupant in
// r: the nick the room gave the user, not ownNickLocked, which would
// make one up for a resource not joined (and hold it against a member
// the network lists under it later). Call with r.mu held.
func (r *room) isOwnOccupantLocked(nick string) bool {
	member, held := r.nicks.MemberOf(nick)
	return nick == r.selfNick || held && member == selfKey
}
