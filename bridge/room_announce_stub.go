package bridge

import "context"

// announceRoom tells the user of a new room: bookmarks or an invitation.
// Provisional no-op until bookmarks.go lands (it replaces this file).
func (t *transport) announceRoom(ctx context.Context, user, roomJID, name string) {}
