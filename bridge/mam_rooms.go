package bridge

import (
	"context"

	"passerelle.im/passerelle/store"
)

// Provisional: what the rooms (bridge/room*.go) answer for the archive's
// queries, until they land; this file is deleted then.

// roomOf reports whether chatID is one of the user's rooms. Here: the
// store has a non-empty archive of it for the user (bare JID); the rooms
// answer from the login's chat list.
func (t *transport) roomOf(user, chatID string) bool {
	page, err := t.db.QueryArchive(context.Background(), store.RoomKey{Transport: t.name, UserJID: user, RoomID: chatID}, store.ArchiveQuery{CountOnly: true})
	return err == nil && page.Count > 0
}

// roomOccupantJID maps an occupant's nick in the user's room to the JID
// its messages are archived under (store.ArchivedMessage.SenderJID).
// Here: none is known; the rooms answer from the room's members.
func (t *transport) roomOccupantJID(user, chatID, nick string) (string, bool) {
	return "", false
}
