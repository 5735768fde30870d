package muc

import (
	"strconv"

	"passerelle.im/passerelle/bridge/wire"
)

// RoomInfo is what a room's disco#info shows (XEP-0045 §6.4).
type RoomInfo struct {
	// Name is the group's name on the network; the identity's name and
	// muc#roomconfig_roomname.
	Name string
	// Description and Subject are the form's, "" to leave out.
	Description, Subject string
	// Occupants is the number of occupants; -1 leaves it out.
	Occupants int
	// SubjectChangeable: occupants may change the subject
	// (muc#roominfo_subjectmod, and muc#roomconfig_changesubject, the
	// one Conversations, Monocles and Cheogram read).
	SubjectChangeable bool
	// AllowInvites: the user may add people to the group
	// (muc#roomconfig_allowinvites), which Conversations reads to offer
	// a participant of a members-only room the invitation.
	AllowInvites bool
	// Archived: the room answers MAM queries (urn:xmpp:mam:2 and its
	// #extended; status 170).
	Archived bool
	// Moderated: only some members may post (a channel, a group where
	// only admins write): the others are visitors.
	Moderated bool
	// Moderation: a moderator may retract others' messages (XEP-0425),
	// where the network deletes messages.
	Moderation bool
	// Reactions: the user may react to messages (XEP-0444), and
	// MaxReactions is how many reactions of the user's a message keeps
	// on the network, 0 for no limit (a network with one reaction per
	// user: a client that knows offers one, not several of which the
	// network keeps the last).
	Reactions    bool
	MaxReactions int
	// AvatarHash is the SHA-1 of the group's picture, "" for none
	// (XEP-0486: muc#roominfo_avatarhash; the picture is in the room's
	// vCard-temp).
	AvatarHash string
}

// Features is the room's disco#info features, in the order written:
// every room of the gateway is a persistent, members-only, hidden (the
// user's view of their group, listed to them alone),
// non-anonymous room with XEP-0359 stanza-ids and XEP-0421
// occupant-ids, that reflects a message with its sender's id and
// answers self-pings itself (the bridge does both); an archived one is
// queried with MAM.
func (ri RoomInfo) Features() []string {
	moderated := "muc_unmoderated"
	if ri.Moderated {
		moderated = "muc_moderated"
	}
	f := []string{NS, "muc_persistent", "muc_membersonly", "muc_hidden", "muc_nonanonymous", moderated, "muc_unsecured", wire.NSSID,
		"vcard-temp", // the group's picture (XEP-0486)
		NSOccupantID, NSStableID, NSSelfPingOptimization}
	if ri.Archived {
		f = append(f, NSMAM, NSMAMExtended)
	}
	if ri.Moderation {
		f = append(f, NSModerate, NSModerate0)
	}
	if ri.Reactions {
		f = append(f, NSReactions) // XEP-0444 §2: an entity that supports them MUST say so
	}
	return f
}

// WriteDiscoInfo writes the <query xmlns='disco#info'/> of the room into
// w (an IQ result, see wire.Result): the conference/text identity named
// after the room, its features, and the muc#roominfo form (XEP-0128).
func WriteDiscoInfo(w *wire.Writer, ri RoomInfo) {
	w.Start("query", wire.NSDiscoInfo)
	w.Start("identity", "").Attr("category", "conference").Attr("type", "text").Attr("name", wire.XMLSafe(ri.Name)).End()
	for _, f := range ri.Features() {
		w.Start("feature", "").Attr("var", f).End()
	}
	w.Start("x", wire.NSData).Attr("type", "result")
	field := func(v, typ, value string) {
		w.Start("field", "").Attr("var", v).Attr("type", typ)
		w.Leaf("value", "", wire.XMLSafe(value))
		w.End()
	}
	field("FORM_TYPE", "hidden", NSRoomInfo)
	if ri.Name != "" {
		field("muc#roomconfig_roomname", "text-single", ri.Name)
	}
	if ri.Description != "" {
		field("muc#roominfo_description", "text-single", ri.Description)
	}
	if ri.Subject != "" {
		field("muc#roominfo_subject", "text-single", ri.Subject)
	}
	if ri.Occupants >= 0 {
		field("muc#roominfo_occupants", "text-single", strconv.Itoa(ri.Occupants))
	}
	field("muc#roominfo_subjectmod", "boolean", boolValue(ri.SubjectChangeable))
	// Prosody and slidge send the config's field in the info form; what
	// Conversations reads to offer a participant the subject.
	field("muc#roomconfig_changesubject", "boolean", boolValue(ri.SubjectChangeable))
	// Conversations offers a participant no invitation in a members-only
	// room without it (MucOptions.canInvite): a moderator only.
	field("muc#roomconfig_allowinvites", "boolean", boolValue(ri.AllowInvites))
	if ri.AvatarHash != "" {
		field("muc#roominfo_avatarhash", "text-multi", ri.AvatarHash)
	}
	w.End() // x
	if ri.Reactions && ri.MaxReactions > 0 {
		// XEP-0444 §2.1: the limit, in a form of its own (XEP-0128).
		w.Start("x", wire.NSData).Attr("type", "result")
		field("FORM_TYPE", "hidden", NSReactionRules)
		w.Start("field", "").Attr("var", "max_reactions_per_user").Leaf("value", "", strconv.Itoa(ri.MaxReactions)).End()
		w.End()
	}
	w.End() // query
}

func boolValue(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// NodeReservedNick is the disco#info node on which a room tells a user
// the nick reserved for them (XEP-0045 §7.12).
const NodeReservedNick = "x-roomuser-item"

// WriteReservedNick writes the answer to a disco#info query on
// NodeReservedNick into w (an IQ result): the nick as a conference/text
// identity's name. The user's nick in a group is the network's: a client
// that asks first (Converse.js) joins with it, and its join is not
// renamed (status 210). Without this node a room must answer
// feature-not-implemented, not item-not-found.
func WriteReservedNick(w *wire.Writer, nick string) {
	w.Start("query", wire.NSDiscoInfo).Attr("node", NodeReservedNick)
	if nick != "" {
		w.Start("identity", "").Attr("category", "conference").Attr("type", "text").Attr("name", wire.XMLSafe(nick)).End()
	}
	w.End()
}
