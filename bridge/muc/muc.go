// Package muc holds the XEP-0045 (Multi-User Chat) pieces of the
// gateway's rooms as pure functions: reading a join, the occupant
// presences with their status codes, the room's disco#info and subject,
// the history a join asks for, and unique nicks. It keeps no state but
// what a Nicks holds (and a count of the bad nicks OccupantJID replaced)
// and sends nothing: the bridge's room worker calls it
// and writes the bytes it returns.
package muc

import transportpb "passerelle.im/passerelle/plugins/proto"

// Namespaces of XEP-0045 and of the features a room announces.
const (
	NS         = "http://jabber.org/protocol/muc"
	NSUser     = "http://jabber.org/protocol/muc#user"
	NSRoomInfo = "http://jabber.org/protocol/muc#roominfo"
	NSMAM      = "urn:xmpp:mam:2"
	// NSMAMExtended: the archive takes before-id, after-id, ids and
	// <flip-page/>, and answers metadata queries (XEP-0313).
	NSMAMExtended = "urn:xmpp:mam:2#extended"
	// NSModerate is XEP-0425's message moderation.
	NSModerate = "urn:xmpp:message-moderate:1"
	// NSModerate0 is XEP-0425 before 0.3, which many clients still speak.
	NSModerate0 = "urn:xmpp:message-moderate:0"
	// NSStableID says the room reflects a message with the id its
	// sender gave it (XEP-0045 §7.4, since 1.31), so that clients match
	// the reflection to what they sent.
	NSStableID = "http://jabber.org/protocol/muc#stable_id"
	// NSSelfPingOptimization says the room answers an occupant's
	// self-ping itself (XEP-0410 §3.3): result when joined,
	// not-acceptable when not.
	NSSelfPingOptimization = "http://jabber.org/protocol/muc#self-ping-optimization"
	// NSReactions is XEP-0444's message reactions, and NSReactionRules
	// the FORM_TYPE of the limits a room sets on them.
	NSReactions     = "urn:xmpp:reactions:0"
	NSReactionRules = "urn:xmpp:reactions:0:restrictions"
	// NodeTraffic is the disco#info node on which a room may list the
	// extended namespaces it lets through (XEP-0045's implementation
	// note "Allowable Traffic"); a room that does not support it answers
	// feature-not-implemented.
	NodeTraffic = "http://jabber.org/protocol/muc#traffic"
	// NSVCardUpdate is XEP-0153's avatar hash in a presence.
	NSVCardUpdate = "vcard-temp:x:update"
)

// Status codes (XEP-0045 §15.6 registry) the gateway's rooms send.
const (
	// StatusNonAnonymous: every occupant's real JID is visible (self-presence on join).
	StatusNonAnonymous = 100
	// StatusSelf marks the presence of the occupant it is sent to.
	StatusSelf = 110
	// StatusConfigChanged: the room's configuration (its name) changed.
	StatusConfigChanged = 104
	// StatusLogged: the room's messages are archived (here: MAM).
	StatusLogged = 170
	// StatusNickModified: the room changed the nick the client asked for.
	StatusNickModified = 210
	// StatusBanned: removed and kept out.
	StatusBanned = 301
	// StatusNickChange: an unavailable presence that is a nick change; the item carries the new nick.
	StatusNickChange = 303
	// StatusKicked: removed from the room.
	StatusKicked = 307
	// StatusAffiliationChange: removed because of an affiliation change.
	StatusAffiliationChange = 321
	// StatusMembersOnly: removed because the room became members-only.
	StatusMembersOnly = 322
	// StatusShutdown: removed because the service (the gateway, the network session) is going away.
	StatusShutdown = 332
)

// Affiliation and role names of XEP-0045.
const (
	AffOwner   = "owner"
	AffAdmin   = "admin"
	AffMember  = "member"
	AffNone    = "none"
	AffOutcast = "outcast"

	RoleModerator   = "moderator"
	RoleParticipant = "participant"
	RoleVisitor     = "visitor"
	RoleNone        = "none"
)

// Affiliation is the XEP-0045 name of a contract affiliation; an unknown
// value (a newer plugin's) is "member", the room being members-only.
func Affiliation(a transportpb.Affiliation) string {
	switch a {
	case transportpb.Affiliation_AFFILIATION_OWNER:
		return AffOwner
	case transportpb.Affiliation_AFFILIATION_ADMIN:
		return AffAdmin
	case transportpb.Affiliation_AFFILIATION_NONE:
		return AffNone
	case transportpb.Affiliation_AFFILIATION_OUTCAST:
		return AffOutcast
	}
	return AffMember
}

// Role is the XEP-0045 name of a contract role; an unknown value is
// "participant".
func Role(r transportpb.Role) string {
	switch r {
	case transportpb.Role_ROLE_MODERATOR:
		return RoleModerator
	case transportpb.Role_ROLE_VISITOR:
		return RoleVisitor
	}
	return RoleParticipant
}
