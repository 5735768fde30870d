package bridge

import (
	"context"

	"passerelle.im/passerelle/bridge/muc"
	"passerelle.im/passerelle/store"
)

// roomReplyTarget is what a network reply in a room names (XEP-0461):
// the replied-to message's author as their occupant JID (room@domain/nick,
// their nick when the message came; "" when the room itself spoke or
// the message is not known) and the message's stanza-id. The nick of a
// recent message is remembered (authors); the user's own message is the
// user's; only an older one is looked up in the archive, whose lookup
// may write the room's pending appends to bbolt first (a checkpoint per
// reply in a busy room otherwise: docs/performance.md, "Rooms").
func (c chatOut) roomReplyTarget(ref store.MessageRef) (to, id string) {
	nick, known := "", false
	if s := c.t.sessionOf(c.ev.LoginId); s != nil {
		if r := s.rooms.get(c.ev.ChatId); r != nil {
			r.mu.Lock()
			if nick, known = r.authors.get(ref.RemoteID); !known && ref.FromMe {
				nick, known = r.ownNickLocked(s), true
			}
			r.mu.Unlock()
		}
	}
	id = c.targetID(ref)
	if !known {
		m, err := c.t.db.LookupArchivedRemote(context.Background(), c.t.roomKey(c.user, c.ev.ChatId), ref.RemoteID)
		if err != nil {
			return "", id
		}
		nick = m.Nick
	}
	if nick != "" {
		to = muc.OccupantJID(bareOf(c.puppet), nick)
	}
	return to, id
}

// authorsKept is how many recent messages of a room authors remembers.
const authorsKept = 512

// authors remembers the nicks of a room's recent messages by remote ID,
// the oldest forgotten first. Guarded by the room's mutex.
type authors struct {
	m     map[string]string
	order []string
}

func (a *authors) put(remoteID, nick string) {
	if remoteID == "" {
		return
	}
	if a.m == nil {
		a.m = map[string]string{}
	}
	if _, ok := a.m[remoteID]; !ok {
		a.order = append(a.order, remoteID)
	}
	a.m[remoteID] = nick
	if len(a.order) > authorsKept {
		delete(a.m, a.order[0])
		a.order = a.order[1:]
	}
}

func (a *authors) get(remoteID string) (string, bool) {
	nick, ok := a.m[remoteID]
	return nick, ok
}

// roomQuoteAuthor is the nick in the room of a network quote's author:
// the user's own for fromMe, else the member's; "" when the room does
// not know them (quoteAuthor names them otherwise).
func (c chatOut) roomQuoteAuthor(id string, fromMe bool) string {
	s := c.t.sessionOf(c.ev.LoginId)
	if s == nil {
		return ""
	}
	r := s.rooms.get(c.ev.ChatId)
	if r == nil {
		return ""
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if fromMe {
		return r.ownNickLocked(s)
	}
	if id == "" {
		return ""
	}
	return r.nickOfLocked(id)
}
