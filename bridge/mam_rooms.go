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
