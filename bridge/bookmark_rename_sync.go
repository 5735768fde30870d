package bridge

import (
	"context"
	"time"
)

// Renames the gateway did not see. The store keeps, with the record of
// the room's announcement, the name the gateway last handled the room
// under (store/announcedname.go). A rename made on the network while the
// gateway was down, or the login offline, shows when the session first
// sees the room again (its chat list at connect, or an event): the name
// differs from the one kept, and the bookmark follows as for a rename
// seen live (bookmark_rename.go). A room the user was never told of has
// no name kept, and its first sight is an announcement, not a rename.
//
// After a start the plugin's chat list can come before the link is up
// and the server's XEP-0356 advertisement: a rename found then waits
// for them a little (privilegesWait), else it would wait for the next
// start.

// bookmarkFollows takes the room roomJID of user to be named name now,
// and renames the user's bookmark of it where that is still named as
// the gateway knew the room: was (the session's name before a rename
// seen live; "" at the room's first sight in the session), or the name
// kept. Once the bookmark is settled, name is kept; while it is not (the
// server unreachable, a failed read or write) the old name stays kept,
// so the next start tries again. Where the server does not grant the
// permission, a rename found at a first sight is settled: nothing of
// the gateway's can follow it.
func (t *transport) bookmarkFollows(ctx context.Context, user, roomJID, was, name string) {
	kept, told, err := t.db.RoomAnnouncedName(t.name, user, roomJID)
	if err != nil {
		t.log.Warn("cannot read a room's last known name", "user", user, "room", roomJID, "err", err)
		kept, told = "", false
	}
	if was == "" {
		switch {
		case !told || kept == name:
			return // never told (announceRoom's), or not renamed
		case kept == "":
			// Told before names were kept: nothing to compare yet.
			t.keepRoomName(ctx, user, roomJID, name)
			return
		}
		t.log.Info("room renamed on the network while the gateway did not see it", "user", user, "room", roomJID)
		if !t.awaitPubSubPrivilege(ctx) {
			if t.link.Up() {
				// The server does not grant it: no bookmark of ours to
				// follow, now or at the next start.
				t.keepRoomName(ctx, user, roomJID, name)
			}
			return
		}
	}
	var known []string
	for _, n := range [...]string{was, kept} {
		if n != "" && n != name {
			known = append(known, n)
		}
	}
	if t.renameBookmark(ctx, user, roomJID, known, name) && told && kept != name {
		t.keepRoomName(ctx, user, roomJID, name)
	}
}

// keepRoomName records name as the room's last known name.
func (t *transport) keepRoomName(ctx context.Context, user, roomJID, name string) {
	if err := t.db.SetRoomAnnouncedName(ctx, t.name, user, roomJID, name); err != nil {
		t.log.Warn("cannot record a room's name; a rename may be followed again", "user", user, "room", roomJID, "err", err)
	}
}

// awaitPubSubPrivilege waits, at most privilegesWait, for the link to be
// up, then for the server's grants (privileges), and reports whether
// they include pubsub iq of both types.
func (t *transport) awaitPubSubPrivilege(ctx context.Context) bool {
	deadline := time.Now().Add(privilegesWait)
	for !t.link.Up() {
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(50 * time.Millisecond):
		}
	}
	p := t.privileges()
	return p.iqGet(nsPubSub) && p.iqSet(nsPubSub)
}
