package bridge

import (
	"context"
	"errors"
	"strings"

	"passerelle.im/passerelle/bridge/muc"
	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/store"
)

// A room joined by name (room_join.go) must look like a room before the
// join: Gajim (nbxmpp's DiscoInfo.is_muc: a conference identity and the
// muc feature), Conversations, Dino and Converse.js send disco#info to
// the room's address first, and open a one-to-one chat, or say "not a
// group chat", when the answer is a contact's. So where the network joins
// chats by name (join_chat), disco#info on a bare address of the
// transport that is no known room and no one the session knows (no
// contact, no presence, no member of one of its rooms) answers as a room
// the user may join: XEP-0045 §6.4's conference identity, named after
// the address, and the muc feature. Nothing is asked of the network:
// clients send this query often, and whether the name leads anywhere is
// the join's to say (a redirect with gone, or an error). The room is not
// said to need a password (muc_passwordprotected): a join without one
// that the network refuses gets not-authorized, after which clients ask
// for one. Without join_chat, such an address stays a contact's, as
// before.

// aliasFeatures are the features of a room joined by name: what is known
// of it before the join.
var aliasFeatures = []string{wire.NSDiscoInfo, muc.NS, "muc_public", "muc_unsecured"}

// aliasDiscoInfo answers disco#info (p, with no node) on chatID's bare
// address as a room to join by name, when the network joins chats by
// name and the address is no one the session knows; false when it is not
// for it (the contact's answer then, inbound.go).
func (s *session) aliasDiscoInfo(ctx context.Context, st *wire.Stanza, chatID string, p *wire.Element) bool {
	t := s.t
	f := t.host.Caps().GetFeatures()
	if p.Attr("node") != "" || !t.access.Allowed(s.user) || !f.GetJoinChat() || !chatName(f.GetJoinChatPrefixes(), chatID) || s.knowsUser(chatID) {
		return false
	}
	w := wire.Result(st)
	w.Start("query", wire.NSDiscoInfo)
	w.Start("identity", "").Attr("category", "conference").Attr("type", "text").Attr("name", wire.XMLSafe(chatID)).End()
	for _, f := range aliasFeatures {
		w.Start("feature", "").Attr("var", f).End()
	}
	w.End()
	t.send(ctx, w.Bytes())
	return true
}

// chatName reports whether id may name a chat by what the network says
// every chat name starts with (join_chat_prefixes; none: any). An IRC
// nick is a person's: Gajim would join it as a room.
func chatName(prefixes []string, id string) bool {
	if len(prefixes) == 0 {
		return true
	}
	for _, p := range prefixes {
		if p != "" && strings.HasPrefix(id, p) {
			return true
		}
	}
	return false
}

// knowsUser reports whether userID is someone the session knows, by what
// the gateway holds (no network call): a contact, someone whose presence
// it has, or a member of one of the user's rooms. A store that cannot be
// read counts as knowing: the contact's answer is the one given before
// join_chat.
func (s *session) knowsUser(userID string) bool {
	t := s.t
	if _, err := t.db.GetPuppet(t.name, s.LoginID(), userID); !errors.Is(err, store.ErrNotFound) {
		return true
	}
	if s.presence(userID) != nil {
		return true
	}
	for _, r := range s.rooms.all() {
		r.mu.Lock()
		_, member := r.members[userID]
		r.mu.Unlock()
		if member {
			return true
		}
	}
	return false
}
