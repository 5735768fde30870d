package muc

import (
	"cmp"
	"slices"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	transportpb "passerelle.im/passerelle/plugins/proto"
)

// Occupant is one occupant of a room as its presences show it.
type Occupant struct {
	// Nick is the occupant's nick in the room (see Nicks).
	Nick string
	// JID is the real JID shown in the item: a puppet's JID, or the
	// user's own JID for their self-presence. "" leaves it out.
	JID string
	// Affiliation and Role are XEP-0045 names (Affiliation, Role).
	Affiliation, Role string
	// Photo is the SHA-1 of the occupant's avatar (XEP-0153), "" when not
	// known: clients then fetch the picture from the occupant's vCard.
	Photo string
	// NoPhoto says the occupant is known to have no avatar (Photo ""):
	// an empty <photo/> (XEP-0153 §3.2), so that clients drop a picture
	// they hold, where no element leaves it.
	NoPhoto bool
	// OccupantID is the occupant's XEP-0421 id (OccupantID), "" for none.
	OccupantID string
	// Show and Status are the occupant's availability (XEP-0045 §7.7),
	// shown while it is in the room; "" for available, no status.
	Show, Status string
}

// MemberOccupant is the occupant of a contract member with the nick and
// JID the room gave it.
func MemberOccupant(m *transportpb.Member, nick, jid string) Occupant {
	return Occupant{Nick: nick, JID: jid, Affiliation: Affiliation(m.GetAffiliation()), Role: Role(m.GetRole())}
}

// Presence is an occupant presence from room/nick to one of the user's
// resources.
type Presence struct {
	// Room is the room's bare JID; To the resource's full JID.
	Room, To string
	Occupant Occupant
	// Unavailable: the occupant leaves (or changes nick, with NewNick).
	Unavailable bool
	// Statuses are the status codes, in order (StatusSelf, ...).
	Statuses []int
	// NewNick is the nick of a nick change (status 303), in the item.
	NewNick string
	// Reason is the item's <reason/> (a kick's, a ban's).
	Reason string
	// Actor is the nick of the occupant who kicked or banned this one
	// (XEP-0045 §9.1.6, §9.2: the item's <actor/>), "" when not known:
	// Gajim and Conversations show "kicked by" it.
	Actor string
	// Show and Status are the presence's own <show/> and <status/>; when
	// "", an available presence shows the occupant's.
	Show, Status string
	// ID is the stanza's id, "" for none.
	ID string
	// Destroyed: the room is gone (XEP-0045 §10.9), with Venue the room
	// that goes on in its place ("" for none) and Reason in the
	// <destroy/> element rather than the item.
	Destroyed bool
	Venue     string
}

// Bytes builds the presence stanza.
func (p Presence) Bytes() []byte {
	var w wire.Writer
	w.Start("presence", "").Attr("from", OccupantJID(p.Room, p.Occupant.Nick)).Attr("to", p.To).Attr("id", p.ID)
	if p.Unavailable {
		w.Attr("type", "unavailable")
	}
	show, status := p.Show, p.Status
	if !p.Unavailable {
		show, status = cmp.Or(show, p.Occupant.Show), cmp.Or(status, p.Occupant.Status)
	}
	if show != "" && !p.Unavailable {
		w.Leaf("show", "", show)
	}
	if status != "" {
		w.Leaf("status", "", wire.XMLSafe(status))
	}
	w.Start("x", NSUser)
	aff, role := p.Occupant.Affiliation, p.Occupant.Role
	if aff == "" {
		aff = AffNone
	}
	if role == "" || p.Unavailable && p.NewNick == "" {
		role = RoleNone // gone from the room (a nick change keeps it)
	}
	w.Start("item", "").Attr("affiliation", aff).Attr("role", role).Attr("jid", p.Occupant.JID).Attr("nick", p.NewNick)
	if p.Actor != "" && !p.Destroyed {
		w.Start("actor", "").Attr("nick", p.Actor).End()
	}
	if p.Reason != "" && !p.Destroyed {
		w.Leaf("reason", "", wire.XMLSafe(p.Reason))
	}
	w.End()
	if p.Destroyed {
		w.Start("destroy", "").Attr("jid", p.Venue)
		if p.Reason != "" {
			w.Leaf("reason", "", wire.XMLSafe(p.Reason))
		}
		w.End()
	}
	for _, c := range p.Statuses {
		w.Start("status", "").Attr("code", itoa(c)).End()
	}
	w.End() // x
	switch {
	case p.Unavailable:
	case p.Occupant.Photo != "":
		w.Start("x", NSVCardUpdate).Leaf("photo", "", p.Occupant.Photo).End()
	case p.Occupant.NoPhoto:
		w.Start("x", NSVCardUpdate).Start("photo", "").End().End()
	}
	WriteOccupantID(&w, p.Occupant.OccupantID)
	return w.Bytes()
}

func itoa(c int) string {
	if c >= 100 && c <= 999 {
		return string([]byte{byte('0' + c/100), byte('0' + c/10%10), byte('0' + c%10)})
	}
	return "0"
}

// SelfPresence is the presence of the user's own occupant that ends the
// occupant list of a join (XEP-0045 §7.2.3): status 110, 100 (real JIDs
// are visible: the room is non-anonymous), 170 (the room is archived),
// and 210 when the nick is not the one the client asked for. id is the
// join presence's id, which the room reflects (§7.2.3 allows it;
// Conversations and slidge match the join by it), "" for none.
func SelfPresence(room, to string, self Occupant, nickModified bool, id string) []byte {
	codes := []int{StatusSelf, StatusNonAnonymous, StatusLogged}
	if nickModified {
		codes = append(codes, StatusNickModified)
	}
	return Presence{Room: room, To: to, Occupant: self, Statuses: codes, ID: id}.Bytes()
}

// NickChange is the pair of presences of an occupant's nick change
// (XEP-0045 §7.6): unavailable from the old nick with status 303 and the
// new nick, then available from the new nick. self adds status 110 to
// both (the user's own change).
func NickChange(room, to string, o Occupant, newNick string, self bool) [][]byte {
	var codes []int
	if self {
		codes = []int{StatusSelf}
	}
	gone := Presence{Room: room, To: to, Occupant: o, Unavailable: true, NewNick: newNick,
		Statuses: append(slices.Clone(codes), StatusNickChange)}
	o.Nick = newNick
	back := Presence{Room: room, To: to, Occupant: o, Statuses: codes}
	return [][]byte{gone.Bytes(), back.Bytes()}
}

// Removal is why an occupant is removed from the room.
type Removal int

// The removals and their status codes.
const (
	Left Removal = iota // left by itself: no code
	Kicked
	Banned
	AffiliationChanged
	MembersOnly
	Shutdown
)

// Code is the status code of r, 0 for Left.
func (r Removal) Code() int {
	switch r {
	case Kicked:
		return StatusKicked
	case Banned:
		return StatusBanned
	case AffiliationChanged:
		return StatusAffiliationChange
	case MembersOnly:
		return StatusMembersOnly
	case Shutdown:
		return StatusShutdown
	}
	return 0
}

// Removed is the unavailable presence of an occupant leaving or removed
// (XEP-0045 §7.14, §8.2, §9.1, §9.7, §9.8): role none, the affiliation
// the occupant has now (outcast for a ban, none for one who is no longer
// a member), the reason's code, and 110 when it is the user's own
// occupant. Every removal but a shutdown is out of the group: one who
// left or was kicked is no member either, and Conversations (Monocles,
// Cheogram) keep an unavailable member of a members-only room listed as
// an offline one. (The user leaving the room alone is no Removed.)
func Removed(room, to string, o Occupant, r Removal, reason string, self bool) []byte {
	return RemovedBy(room, to, o, r, reason, "", self)
}

// RemovedBy is Removed with the nick of the occupant who removed o
// (actor, "" for none) in the item's <actor/>.
func RemovedBy(room, to string, o Occupant, r Removal, reason, actor string, self bool) []byte {
	var codes []int
	if self {
		codes = append(codes, StatusSelf)
	}
	if c := r.Code(); c != 0 {
		codes = append(codes, c)
	}
	switch r {
	case Banned:
		o.Affiliation = AffOutcast
	case Left, Kicked, AffiliationChanged, MembersOnly:
		o.Affiliation = AffNone
	}
	return Presence{Room: room, To: to, Occupant: o, Unavailable: true, Statuses: codes, Reason: reason, Actor: actor}.Bytes()
}

// Destroyed is the unavailable presence that tells the user's occupant
// the room is gone (XEP-0045 §10.9): role and affiliation none, 110, and
// a <destroy/> naming venue, the room that goes on in its place ("" for
// none), with the reason.
func Destroyed(room, to string, o Occupant, venue, reason string) []byte {
	o.Affiliation = AffNone
	return Presence{Room: room, To: to, Occupant: o, Unavailable: true, Statuses: []int{StatusSelf},
		Reason: reason, Destroyed: true, Venue: venue}.Bytes()
}

// Subject is the subject message that ends a join (XEP-0045 §7.2.15),
// also sent when the subject changes: from the occupant who set it
// (byNick, "" for the room itself, and byID its occupant-id, "" for
// none), with <subject/> empty when there is none, no body, and a delay
// stamped with when it was set (at, zero to leave out) so clients do not
// take an old subject for a new one.
func Subject(room, to, byNick, byID, subject string, at time.Time, id string) []byte {
	from := room
	if byNick != "" {
		from = OccupantJID(room, byNick)
	}
	var w wire.Writer
	w.Start("message", "").Attr("from", from).Attr("to", to).Attr("type", "groupchat").Attr("id", id)
	w.Leaf("subject", "", wire.XMLSafe(subject))
	if !at.IsZero() {
		w.Start("delay", wire.NSDelay).Attr("from", room).Attr("stamp", at.UTC().Format(time.RFC3339Nano)).End()
	}
	if byNick != "" {
		WriteOccupantID(&w, byID)
	}
	return w.Bytes()
}

// ConfigChanged tells an occupant that the room's configuration changed
// (XEP-0045 §10.2.1: status 104), so that its client reads the room's
// disco#info, and its new name, again.
func ConfigChanged(room, to, id string) []byte {
	var w wire.Writer
	w.Start("message", "").Attr("from", room).Attr("to", to).Attr("type", "groupchat").Attr("id", id)
	w.Start("x", NSUser).Start("status", "").Attr("code", itoa(StatusConfigChanged)).End()
	return w.Bytes()
}
