package bridge

import (
	"context"

	"passerelle.im/passerelle/store"
)

// roomReplyTarget is what a network reply in a room names (XEP-0461):
// the replied-to message's author as their occupant JID (room@domain/nick,
// the nick the archive kept with the message; "" when the room itself
// spoke or the message is not archived) and the message's stanza-id. The
// archive's lookup may write the room's pending appends to bbolt first:
// a cost paid per reply, not per reaction (targetID never pays it).
func (c chatOut) roomReplyTarget(ref store.MessageRef) (to, id string) {
	m, err := c.t.db.LookupArchivedRemote(context.Background(), c.t.roomKey(c.user, c.ev.ChatId), ref.RemoteID)
	if err != nil {
		return "", c.targetID(ref)
	}
	if m.Nick != "" {
		to = bareOf(c.puppet) + "/" + m.Nick
	}
	return to, m.StanzaID
}
